"""Persistence: the database, its schema and migrations, the job records, and the store that
writes and reads them. Imports nothing else of `jobs`."""
