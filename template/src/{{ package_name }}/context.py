"""What the code running now is doing for whom: the request and the job, for logs and records.

Set by the request-id middleware and by the job runner; read by the log formatter and by
whatever records a job. Background jobs run in their request's context, so they see its id.
"""

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)
job_kind: ContextVar[str | None] = ContextVar("job_kind", default=None)
