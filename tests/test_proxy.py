"""The compose proxy, without Docker: nginx from the distribution's package, with the generated
proxy/nginx.conf (moved to loopback ports), in front of a real `serve`.

A flood of slow clients (each sends half a request's headers, then nothing) is sent through the
proxy: /health still answers through it, the API sees the proxy's X-Forwarded-For, and nginx
closes the slow clients once client_header_timeout has passed. The same flood sent to uvicorn
directly, as the image served it before the proxy, leaves /health without an answer: the proof
that the flood is one. The API runs with 1024 file descriptors, a process's usual soft limit.
"""

from __future__ import annotations

import http.client
import os
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import pytest
from combos import SUPPORTED
from conftest import clean_env, read_answers, run, shared_environment

SLOW_CLIENTS = 1100
API_FILE_LIMIT = 1024
HALF_A_REQUEST = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
HEADER_TIMEOUT = re.compile(r"(?m)^\s*client_header_timeout (\d+)s;")


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_health(port: int, timeout: float) -> tuple[int, float]:
    """GET /health on a fresh connection: (status, seconds); raises OSError on no answer."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/health")
        status = connection.getresponse().status
    finally:
        connection.close()
    return status, time.monotonic() - started


def wait_for_health(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited {process.returncode}:\n{log.read_text()[-4000:]}")
        with suppress(OSError):
            if get_health(port, timeout=2)[0] == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"/health on port {port} did not answer within 60 s:\n{log.read_text()[-4000:]}")


@contextmanager
def slow_clients(port: int, count: int) -> Iterator[list[socket.socket]]:
    """Up to `count` loopback connections that each send half a request's headers, held open
    (a connection the server's backlog cannot take is left out)."""
    with ExitStack() as stack:
        clients = []
        for _ in range(count):
            try:
                client = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                continue
            stack.enter_context(client)
            client.sendall(HALF_A_REQUEST)
            clients.append(client)
        yield clients


def closed_by_peer(clients: list[socket.socket], wait: float) -> int:
    """How many of `clients` the server has answered or closed within `wait` seconds."""
    poller = select.poll()  # not select(): these descriptors go past FD_SETSIZE
    by_fd = {client.fileno(): client for client in clients}
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    closed = 0
    deadline = time.monotonic() + wait
    while by_fd:
        for fd, _ in poller.poll(200):
            with suppress(OSError):
                by_fd[fd].setblocking(False)
                while by_fd[fd].recv(65536):
                    pass
            poller.unregister(fd)
            del by_fd[fd]
            closed += 1
        if time.monotonic() >= deadline:
            break
    return closed


@contextmanager
def started(command: list[str], cwd: Path, env: dict[str, str], log: Path, **options):
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, **options
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def limit_files_to(count: int):
    def limit() -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))

    return limit


@pytest.fixture
def nginx() -> str:
    found = find_nginx()
    if found is None:
        message = "nginx is not installed (Debian: apt-get install nginx-light; .ci/proxy.sh does)"
        if os.environ.get("REQUIRE_NGINX") == "1":
            pytest.fail(f"REQUIRE_NGINX=1 but {message}")
        pytest.skip(message)
    return found


@pytest.fixture
def many_files() -> None:
    """Room in this process for two floods' worth of client sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * SLOW_CLIENTS + 256
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the hard limit of open files here is {hard}; the flood needs {wanted}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.slow
@pytest.mark.usefixtures("many_files")
def test_slow_client_flood_does_not_stop_health_through_the_proxy(
    rendered, nginx: str, tmp_path: Path
) -> None:
    project = rendered("defaults", SUPPORTED["defaults"])
    answers = read_answers(project)
    python = shared_environment(answers["python_version"]) / "bin" / "python"
    api_port, proxy_port = free_port(), free_port()

    config = (project / "proxy" / "nginx.conf").read_text()
    header_timeout = int(HEADER_TIMEOUT.search(config).group(1))
    # Where compose has the proxy listen and the API answer, loopback ports here.
    config, listens = re.subn(
        r"(?m)^(\s*)listen 8080;", rf"\1listen 127.0.0.1:{proxy_port};", config
    )
    config, apis = re.subn(
        r"(?m)^(\s*)server api:8000;", rf"\1server 127.0.0.1:{api_port};", config
    )
    assert (listens, apis) == (1, 1), "the config no longer listens and forwards as compose says"
    conf = tmp_path / "nginx.conf"
    conf.write_text(config)
    globals_ = f"pid {tmp_path / 'nginx.pid'}; daemon off;"
    nginx_command = [nginx, "-p", f"{tmp_path}/", "-c", str(conf), "-g", globals_]
    run([*nginx_command, "-t", "-q"], tmp_path)

    workdir = tmp_path / "api"
    workdir.mkdir()
    env = {**os.environ, **clean_env(), "PYTHONPATH": str(project / "src")}
    serve = [str(python), "-m", answers["package_name"], "serve", "--port", str(api_port),
             "--forwarded-allow-ips", "127.0.0.1"]  # fmt: skip
    api_log, proxy_log = tmp_path / "api.log", tmp_path / "nginx.log"
    with (
        started(serve, workdir, env, api_log, preexec_fn=limit_files_to(API_FILE_LIMIT)) as api,
        started(nginx_command, tmp_path, env, proxy_log) as proxy,
    ):
        wait_for_health(api_port, api, api_log)
        wait_for_health(proxy_port, proxy, proxy_log)

        flood_started = time.monotonic()
        with slow_clients(proxy_port, SLOW_CLIENTS) as clients:
            opened = time.monotonic() - flood_started
            assert len(clients) == SLOW_CLIENTS, "nginx refused connections of the flood"
            answers_through_proxy = [get_health(proxy_port, timeout=5) for _ in range(20)]
            still_open = len(clients) - closed_by_peer(clients, wait=0)
            closed_after_timeout = closed_by_peer(clients, wait=header_timeout + 10)
            closing_took = time.monotonic() - flood_started

        with slow_clients(api_port, SLOW_CLIENTS) as direct_clients:
            try:
                direct = get_health(api_port, timeout=3)
            except OSError as error:
                direct = error

    latencies = sorted(seconds for _, seconds in answers_through_proxy)
    print(
        f"\n{SLOW_CLIENTS} slow clients opened in {opened:.2f} s; /health through the proxy: "
        f"{len(latencies)} answers, p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms; {closed_after_timeout} closed by nginx "
        f"{closing_took:.1f} s after the flood began (client_header_timeout {header_timeout}s); "
        f"/health straight to uvicorn during a flood of {len(direct_clients)}: {direct!r}"
    )
    assert [status for status, _ in answers_through_proxy] == [200] * 20
    assert latencies[-1] < 2
    assert still_open == SLOW_CLIENTS, "the flood was not held open: it tested nothing"
    assert closed_after_timeout == SLOW_CLIENTS
    assert closing_took >= header_timeout
    # Through the proxy the API saw X-Forwarded-For: uvicorn logs such a client with port 0.
    assert re.search(r'127\.0\.0\.1:0 - "GET /health HTTP/1\.[01]" 200', api_log.read_text())
    assert isinstance(direct, OSError), "uvicorn answered through the flood: it was no flood"
