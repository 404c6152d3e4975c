"""A rendered project run as a real process, and the real servers it talks to.

Used by the fault and hostile-input tests: the service is started the way an operator
starts it (`python -m <package> serve`), in the shared environment of its Python version,
with its settings in the environment, and is stopped with real signals.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from conftest import clean_env, read_answers

# Every in-process feature on: what the fault and hostile-input tests run against.
# (The Celery side has its own fault tests, against real brokers, with its feature.)
ALL_IN_PROCESS: dict[str, Any] = {
    "python_version": "3.12",
    "async_clients": True,
    "background_jobs": ["audit_log", "email", "files", "reports"],
    "task_queue": "none",
    "use_docker": False,
    "ci": "none",
}
FINISHED = {"succeeded", "failed", "uncertain", "interrupted"}


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout}s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Response:
    status: int
    body: Any
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)
    """Names in lower case."""


def lowercase(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def http(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    *,
    raw: bytes | None = None,
    timeout: float = 30,
) -> Response:
    """One request over a fresh connection; any status comes back as a Response."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            status, content, received = reply.status, reply.read(), lowercase(reply.headers)
    except urllib.error.HTTPError as error:
        status, content, received = error.code, error.read(), lowercase(error.headers)
    elapsed = time.perf_counter() - started
    try:
        parsed: Any = json.loads(content) if content else None
    except ValueError:
        parsed = content.decode(errors="replace")
    return Response(status, parsed, elapsed, received)


class Service:
    """`python -m <package> serve` on a free loopback port, in `workdir`, with `settings`."""

    def __init__(
        self, project: Path, environment: Path, workdir: Path, settings: dict[str, str]
    ) -> None:
        self.project = project
        self.python = environment / "bin" / "python"
        self.package = read_answers(project)["package_name"]
        self.workdir = workdir
        self.settings = {
            "JOBS_DB": str(workdir / "var" / "jobs.sqlite3"),
            "FILES_DIR": str(workdir / "var" / "files"),
            "OUTBOX_DIR": str(workdir / "var" / "outbox"),
            "LOG_FILE": str(workdir / "var" / "audit.jsonl"),
            "REPORTS_DIR": str(workdir / "var" / "reports"),
            "JOB_RETRY_BASE_DELAY": "0.05",
            "JOB_RETRY_MAX_DELAY": "0.2",
            **settings,
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "service.log"
        self.preexec: Callable[[], None] | None = None
        self.arguments: list[str] = []
        """More options for `serve` (`--workers 2`)."""

    def start(self) -> Service:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(self.python),
                    "-m",
                    self.package,
                    "serve",
                    "--port",
                    str(self.port),
                    *self.arguments,
                ],
                cwd=self.workdir,
                env=self.process_environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=self.preexec,  # resource limits only
            )
        wait_until(self._healthy, 60, f"{self.url}/health\n{self.log()}")
        return self

    def process_environment(self) -> dict[str, str]:
        return {
            **os.environ,
            **clean_env(),
            "PYTHONPATH": str(self.project / "src"),
            **self.settings,
        }

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the service exited {self.process.returncode}:\n{self.log()}")
        try:
            return http("GET", self.url + "/health", timeout=1).status == 200
        except OSError:
            return False

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60) -> tuple[int, float]:
        """Send `signum`; return the exit code and the seconds the process took to exit."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the service ignored signal {signum}:\n{self.log()}") from None
        return code, time.monotonic() - started

    def kill_if_running(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:] if self.log_path.exists() else ""

    # The API

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Response:
        return http(method, self.url + path, body, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> Response:
        return http("POST", self.url + path, body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Response:
        return http("GET", self.url + path, **kwargs)

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.get(f"/jobs/{job_id}")
        assert response.status == 200, response
        job: dict[str, Any] = response.body
        return job

    def wait_for_jobs(
        self, job_ids: list[str], statuses: set[str] = FINISHED, timeout: float = 30
    ) -> list[dict[str, Any]]:
        wait_until(
            lambda: all(self.job(job_id)["status"] in statuses for job_id in job_ids),
            timeout,
            f"jobs {job_ids} to reach {statuses}\n{self.log()}",
        )
        return [self.job(job_id) for job_id in job_ids]

    # The jobs database, read directly (also after the process is gone)

    def stored_jobs(self) -> dict[str, dict[str, Any]]:
        with closing(sqlite3.connect(self.settings["JOBS_DB"])) as connection:
            connection.row_factory = sqlite3.Row
            rows = connection.execute("SELECT * FROM jobs").fetchall()
        return {row["id"]: dict(row) for row in rows}


def send_emails(service: Service, count: int, prefix: str = "fault") -> list[str]:
    ids = []
    for i in range(count):
        response = service.post(
            "/emails", {"to": f"user{i}@example.com", "subject": f"{prefix} {i}", "body": "hi"}
        )
        assert response.status == 202, response
        ids.append(response.body["job_id"])
    return ids


@contextmanager
def running(service: Service) -> Iterator[Service]:
    try:
        yield service.start()
    finally:
        service.kill_if_running()


class SlowSmtpHandler:
    """An SMTP server's handler that takes `delay` seconds before accepting each message,
    and, once it has stored it, `reply_delay` seconds more before it says so (a slow relay)."""

    def __init__(self, delay: float = 0.0, reply_delay: float = 0.0) -> None:
        self.delay = delay
        self.reply_delay = reply_delay
        self.messages: list[Message] = []
        self.sessions = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sessions += 1
        await asyncio.sleep(self.delay)
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        await asyncio.sleep(self.reply_delay)
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        return [str(message["Subject"]) for message in self.messages]


@contextmanager
def smtp_server(
    port: int, delay: float = 0.0, reply_delay: float = 0.0
) -> Iterator[SlowSmtpHandler]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1:`port` for as long as the block runs."""
    handler = SlowSmtpHandler(delay, reply_delay)
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@dataclass
class Webhook:
    """A real HTTP server that answers each POST with the next scripted behaviour.

    A behaviour is a status code, or ("hang", seconds) to answer 200 only after that long.
    After the script runs out it answers 200.
    """

    script: list[Any]
    received: list[Any] = field(default_factory=list)
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # its sender was killed mid-request: nothing delivered
                    return
                webhook.received.append(json.loads(body or b"null"))
                behaviour = webhook.script.pop(0) if webhook.script else 200
                if isinstance(behaviour, tuple):
                    time.sleep(behaviour[1])
                    behaviour = 200
                self.send_response(behaviour)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                with suppress(OSError):  # the client gave up waiting: that was the point
                    self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def webhook_server(script: list[Any]) -> Iterator[Webhook]:
    webhook = Webhook(list(script))
    server = ThreadingHTTPServer(("127.0.0.1", 0), webhook.handler())
    server.daemon_threads = True
    webhook.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield webhook
    finally:
        server.shutdown()
        server.server_close()


class PausableProxy:
    """A TCP proxy on loopback whose traffic the test holds and lets go: a host cut off from
    its database (its connections stay open, nothing gets through either way), then back."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._open = threading.Event()
        self._open.set()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def pause(self) -> None:
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._open.set()
        self._server.close()
        for sock in self._sockets:
            with suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                return
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                self._open.wait()
                sink.sendall(data)
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def send_emails_across_a_pause(
    paused: Service,
    survivor: Service,
    smtp: SlowSmtpHandler,
    pause: Callable[[], None],
    resume: Callable[[], None],
    count: int = 8,
) -> list[dict[str, Any]]:
    """The fence scenario: `count` emails to `paused`, which is paused while the first is in
    DATA (the rest wait for its one SMTP connection) and resumed once `survivor` has taken
    the rest over and finished them. Returns every job's final record, as `survivor` reads it.
    """
    ids = send_emails(paused, count, prefix="fenced")
    wait_until(lambda: smtp.sessions >= 1, 30, f"the first message in DATA\n{paused.log()}")
    pause()
    try:
        # The first one is swept `interrupted` (it was under way); the others are claimed.
        survivor.wait_for_jobs(ids, FINISHED, timeout=60)
    finally:
        resume()
    records = survivor.wait_for_jobs(ids, {"succeeded"}, timeout=30)
    # Time for the resumed process to find its lease gone and to send again, were it to.
    lease = float(paused.settings["JOBS_LEASE_SECONDS"])
    wait_until(lambda: "taken over" in paused.log(), 10 + lease, "the lease loss in the log")
    time.sleep(2)
    return records
