"""The Celery side: the worker app and its tasks. Nothing here imports FastAPI.

The API imports only `settings` and `config` from this package (what both sides
must agree on); it enqueues tasks by name and never imports `app` or `tasks`.
"""
