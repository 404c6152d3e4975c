"""A SERVER span per HTTP request, named by its route template (`POST /emails`).

The span ends with the response's last byte, so its duration is what the client waited.
Its context stays current for the rest of the ASGI call, where the request's background
jobs run: their spans are its children (jobs.py says why a child and not a link).
"""

from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import context as service_context


def carrier(scope: Scope) -> dict[str, str]:
    """The request's headers, for the propagator (W3C `traceparent`, `tracestate`)."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


class TracingMiddleware:
    """Pure ASGI. Continues the caller's trace when the request carries a `traceparent`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracer: trace.Tracer | None = getattr(scope["app"].state, "tracer", None)
        if scope["type"] != "http" or tracer is None:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        parent = propagate.extract(carrier(scope))
        span = tracer.start_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": scope["path"],
                "url.scheme": scope.get("scheme", "http"),
                "request.id": service_context.request_id.get() or "",
            },
        )
        status: int | None = None
        ended = False

        def end(error: BaseException | None = None) -> None:
            nonlocal ended
            if ended:
                return
            ended = True
            route = getattr(scope.get("route"), "path", None)
            if route is not None:
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
            if status is not None:
                span.set_attribute("http.response.status_code", status)
            if error is not None:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            elif status is None or status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            span.end()

        async def send_and_end(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                end()

        token = context.attach(trace.set_span_in_context(span, parent))
        try:
            await self.app(scope, receive, send_and_end)
        except Exception as error:
            end(error)  # no effect once the response has ended (a job's error is its own)
            raise
        finally:
            end()  # the client left before the response ended
            context.detach(token)
