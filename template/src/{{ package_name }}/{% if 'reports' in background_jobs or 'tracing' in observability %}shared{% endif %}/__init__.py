"""Code that more than one part of the service runs, and that imports no web framework: the
report builder (the API's process pool and the Celery worker), the tracer set-up (the API and
the worker's pool processes)."""
