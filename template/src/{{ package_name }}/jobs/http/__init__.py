"""The FastAPI face of jobs: the `/jobs` endpoints, their dependencies, and the features that
open the store and run the jobs with the app."""
