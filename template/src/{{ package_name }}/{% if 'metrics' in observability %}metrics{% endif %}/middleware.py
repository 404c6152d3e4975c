import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .instruments import Metrics

UNMATCHED = "unmatched"
"""The route label of requests no route matched (their paths would be endless labels)."""


class HttpMetricsMiddleware:
    """Counts and times each request by its route template (`/jobs/{job_id}`), not its path.

    Pure ASGI. The time ends with the response's last byte: background jobs run after it,
    in the same ASGI call, and are timed by the job metrics instead.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics: Metrics | None = getattr(scope["app"].state, "metrics", None)
        if scope["type"] != "http" or metrics is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        answered = False

        def observe() -> None:
            route = getattr(scope.get("route"), "path", UNMATCHED)
            method = scope["method"]
            metrics.http_requests.labels(method, route, str(status)).inc()
            metrics.http_request_duration.labels(method, route).observe(
                time.perf_counter() - started
            )

        async def send_and_observe(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered = True
                observe()

        try:
            await self.app(scope, receive, send_and_observe)
        finally:
            if not answered:  # failed (or the client left) before the response ended
                observe()
