"""A span per job attempt, `job <kind>`: the child of the span of the request that scheduled it.

Parent, not link. A job runs after its response, in the same ASGI call and the same context,
so the request's span is still the current one when the job starts: the job's span becomes
its child and the whole story (request, job, the job's retries, whatever the job calls or
sends to Celery) is one trace. The request span has ended by then (it is as long as the
client waited), and a child outliving its parent is allowed. A link would start a new trace
per job, and the request's trace would no longer show what it set off.

Jobs without a request — claimed again after a restart (`JobRunner.recover`), or run by a
schedule — start a new trace of their own (a root span); `job.request_id` still names the
request that scheduled a recovered job, for its logs.

While an attempt runs, its span is the current one (so calls the job makes are its
children). An attempt cut off by shutdown is never told to the observers: once the jobs have
drained, its span is ended as an error, "cut off by shutdown", before the last spans are sent.
"""

from contextvars import Token

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode

from ..jobs import JobEvent, JobStatus, describe


class JobSpans:
    """The runner's JobObserver: a span from each attempt's start to its end."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer
        self._open: dict[str, tuple[Span, Token[Context]]] = {}
        """Attempts running: their span, and the token that made it the current span."""

    def accepted(self, job: JobEvent) -> None:
        pass

    def started(self, job: JobEvent, attempt: int) -> None:
        span = self.tracer.start_span(
            f"job {job.kind}",
            attributes={
                "job.id": job.job_id,
                "job.kind": job.kind,
                "job.attempts": attempt,
                "job.request_id": job.request_id or "",
            },
        )
        # The runner tells `started` and the end of the attempt in the job's own task: the
        # token is reset in the context it was set in.
        token = context.attach(trace.set_span_in_context(span))
        self._open[job.job_id] = (span, token)

    def retrying(self, job: JobEvent, attempt: int, error: Exception) -> None:
        self._end(job, "retrying", error)

    def finished(
        self, job: JobEvent, status: JobStatus, seconds: float, error: Exception | None
    ) -> None:
        self._end(job, status.value, error)  # one interrupted before it started has no span

    def end_cut_off(self) -> None:
        """After the drain: the attempts still open were cut off (given back or interrupted)."""
        for span, _ in self._open.values():
            span.set_attribute("job.outcome", "cut off")
            span.set_status(Status(StatusCode.ERROR, "cut off by shutdown"))
            span.end()
        self._open.clear()

    def _end(self, job: JobEvent, outcome: str, error: Exception | None) -> None:
        opened = self._open.pop(job.job_id, None)
        if opened is None:
            return
        span, token = opened
        span.set_attribute("job.outcome", outcome)
        if error is not None:
            span.record_exception(error)
        if outcome != JobStatus.SUCCEEDED.value:
            span.set_status(Status(StatusCode.ERROR, describe(error) if error else outcome))
        span.end()
        context.detach(token)
