"""Hostile input against a real all-features service: fuzzing, traversal, injection, size, auth.

The generated service (every in-process feature on) runs as `python -m <package> serve`;
each test sends what an attacker would and asserts on what reached the disk and the logs.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_environment
from live_service import ALL_IN_PROCESS, Service, running

# One group: the services below are module fixtures, started once on one worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hostile-input")]

TOKEN = "a-long-random-test-token"


@pytest.fixture(scope="module")
def project(rendered) -> Path:
    return rendered("all-in-process", ALL_IN_PROCESS)


@pytest.fixture(scope="module")
def environment() -> Path:
    return shared_environment(ALL_IN_PROCESS["python_version"])


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The service's whole world: FILES_DIR and everything around it that must stay untouched."""
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def service(project: Path, environment: Path, sandbox: Path) -> Iterator[Service]:
    with running(Service(project, environment, sandbox / "service", {})) as service:
        yield service


def files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


def test_schemathesis_finds_no_server_error_and_no_response_off_its_schema(
    service: Service, tmp_path: Path
) -> None:
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert schemathesis, "schemathesis is in the test extra"
    result = subprocess.run(
        [
            schemathesis, "run", f"{service.url}/openapi.json",
            "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--phases", "examples,coverage,fuzzing",
            "--max-examples", "30",
            "--seed", "20261124",
            "--request-timeout", "30",
            "--suppress-health-check", "all",
            "--generation-database", "none",
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip

    assert result.returncode == 0, f"{result.stdout[-8000:]}\n{result.stderr[-3000:]}"
    access_log = service.log_path.read_text()
    for operation in ("POST /emails", "POST /files", "POST /signup", "POST /register", "GET /jobs"):
        assert f'"{operation}' in access_log  # it did test them
    assert re.findall(r'"[A-Z]+ [^"]*" 5\d\d', access_log) == []


OUTSIDE = f"/tmp/escape-{uuid.uuid4().hex}.txt"

TRAVERSALS = [
    "../escape.txt",
    "../../escape.txt",
    "../../../../../../etc/passwd",
    "..",
    ".",
    "./escape.txt",
    "..\\escape.txt",
    "..\\..\\escape.txt",
    "..%2fescape.txt",
    "%2e%2e%2fescape.txt",
    "%2e%2e/escape.txt",
    "..%252fescape.txt",
    "%252e%252e%252fescape.txt",
    "..%c0%afescape.txt",  # over-long UTF-8 slash, percent-encoded
    "%c0%ae%c0%ae/escape.txt",  # over-long UTF-8 dots
    "....//escape.txt",
    "..././escape.txt",
    "sub/../../escape.txt",
    OUTSIDE,  # absolute
    "//tmp/escape.txt",
    "C:\\Windows\\escape.txt",
    "C:/escape.txt",
    "\\\\server\\share\\escape.txt",
    "escape.txt\x00.png",  # NUL
    "\x00../escape.txt",
    "..\u2215escape.txt",  # DIVISION SLASH
    "..\uff0fescape.txt",  # FULLWIDTH SOLIDUS
    "\uff0e\uff0e/escape.txt",  # FULLWIDTH FULL STOPs
    "\u2024\u2024/escape.txt",  # ONE DOT LEADERs
    "..\u2044escape.txt",  # FRACTION SLASH
    "~/escape.txt",
    " ../escape.txt",
    "..\r\n/escape.txt",
    "escape.txt/",
    "",
    "x" * 300,  # over-long
    "a/" * 200 + "escape.txt",
]


def test_path_traversal_on_files_is_refused_and_writes_nothing_anywhere(
    service: Service, sandbox: Path
) -> None:
    before = files_under(sandbox)
    statuses = {
        name: service.post("/files", {"file_name": name, "content": "pwned"}).status
        for name in TRAVERSALS
    }
    control = service.post("/files", {"file_name": "legit.txt", "content": "fine"})
    service.wait_for_jobs([control.body["job_id"]])

    assert len(TRAVERSALS) >= 20
    assert {name: status for name, status in statuses.items() if status != 422} == {}
    files_dir = Path(service.settings["FILES_DIR"])
    written = files_under(sandbox) - before
    inside = {path for path in written if files_dir in path.parents}
    outside = {path for path in written - inside if not path.name.startswith("jobs.sqlite3")}
    assert outside == set()
    assert inside == {files_dir / "legit.txt"}
    assert not Path(OUTSIDE).exists()
    assert not any("pwned" in path.read_text(errors="replace") for path in written)


HEADER_INJECTIONS: list[dict[str, Any]] = [
    {"subject": "hello\r\nBcc: victim@example.com"},
    {"subject": "hello\nBcc: victim@example.com"},
    {"subject": "hello\rBcc: victim@example.com"},
    {"subject": "hello\u2028Bcc: victim@example.com"},
    {"subject": "hello\x00"},
    {"subject": "hello\x85Bcc: victim@example.com"},
    {"to": "a@example.com, victim@example.com"},
    {"to": "a@example.com,victim@example.com"},
    {"to": "a@example.com;victim@example.com"},
    {"to": "a@example.com\r\nBcc: victim@example.com"},
    {"to": "a@example.com\nBcc: victim@example.com"},
    {"to": "Alice <a@example.com>, victim@example.com"},
    {"to": "a@example.com\r\n"},
    {"to": ["a@example.com", "victim@example.com"]},
    {"bcc": "victim@example.com"},
]


@pytest.mark.parametrize("change", HEADER_INJECTIONS, ids=lambda change: repr(change)[:60])
def test_email_header_injection_is_refused(service: Service, change: dict[str, Any]) -> None:
    outbox = Path(service.settings["OUTBOX_DIR"])
    before = files_under(outbox) if outbox.exists() else set()
    body = {"to": "a@example.com", "subject": "hello", "body": "hi", **change}

    response = service.post("/emails", body)

    assert response.status == 422, response
    assert (files_under(outbox) if outbox.exists() else set()) == before


def test_a_valid_email_still_has_exactly_its_own_headers(service: Service) -> None:
    response = service.post(
        "/emails", {"to": "a@example.com", "subject": "Bcc: not a header", "body": "x\r\nBcc: y"}
    )
    [job] = service.wait_for_jobs([response.body["job_id"]])

    assert job["status"] == "succeeded"
    message = (Path(service.settings["OUTBOX_DIR"]) / f"{job['id']}.eml").read_bytes()
    headers = message.split(b"\r\n\r\n", 1)[0]
    assert headers.lower().count(b"\nbcc:") == 0 and not headers.lower().startswith(b"bcc:")
    assert headers.count(b"\r\nTo: ") == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/emails", {"to": "a@example.com", "subject": "big", "body": "x" * 100_001}),
        ("/emails", {"to": "a@example.com", "subject": "s" * 10_000, "body": "x"}),
        ("/files", {"file_name": "big.txt", "content": "x" * 1_000_001}),
        ("/emails", {"to": "a@example.com", "subject": "big", "body": "x" * 20_000_000}),
        ("/signup", {"username": "u" * 100_000, "email": "a@example.com"}),
        ("/reports", {"name": "big", "rows": 10**12}),
    ],
    ids=["email-body", "email-subject", "file-content", "20MB-request", "username", "report-rows"],
)
def test_oversized_input_is_refused(service: Service, path: str, body: dict[str, Any]) -> None:
    # Over a kept-alive connection (http.client's default), not urllib's `Connection: close`:
    # a body over MAX_BODY_BYTES is answered 413 before it is read, and uvicorn closes such a
    # connection at once, so a client still writing the body would see a reset, not the 413.
    status = post_raw(
        service, path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )

    assert status in (413, 422), status


USERNAMES = [
    'eve\n{"event": "signup", "username": "admin", "email": "admin@example.com"}',
    "eve\r\nadmin",
    "eve\radmin",
    "eve\u2028admin",
    "eve\u0085admin",
    "eve\x00admin",
    "eve\x1b[2K\x1b[1Gadmin",
    '"},{"username": "root',
    "eve\\nadmin",
    "plain-eve",
]


def test_log_injection_in_usernames_leaves_one_json_line_per_signup(service: Service) -> None:
    log_file = Path(service.settings["LOG_FILE"])
    lines_before = log_file.read_text().splitlines() if log_file.exists() else []
    accepted, job_ids = [], []
    for username in USERNAMES:
        response = service.post("/signup", {"username": username, "email": "eve@example.com"})
        assert response.status in (201, 422), response
        if response.status == 201:
            accepted.append(username)
            job_ids += response.body["job_ids"]
    jobs = service.wait_for_jobs(job_ids)

    assert {job["status"] for job in jobs} == {"succeeded"}
    lines = log_file.read_text().splitlines()[len(lines_before) :]
    assert len(lines) == len(accepted) > 0
    records = [json.loads(line) for line in lines]
    assert sorted(record["username"] for record in records) == sorted(accepted)
    assert {record["event"] for record in records} == {"signup"}
    forged = USERNAMES[0].split("\n", 1)[1]
    assert forged not in service.log().splitlines()


@pytest.fixture(scope="module")
def guarded(project: Path, environment: Path, sandbox: Path) -> Iterator[Service]:
    settings = {"API_TOKEN": TOKEN}
    with running(Service(project, environment, sandbox / "guarded", settings)) as service:
        yield service


def operations(service: Service) -> list[tuple[str, str]]:
    schema = service.get("/openapi.json").body
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def request_from(
    address: str, service: Service, method: str, path: str, authorization: str | None = None
) -> int:
    """The status of one request sent from another loopback address (Linux routes 127.0.0.0/8)."""
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    connection = http.client.HTTPConnection(
        "127.0.0.1", service.port, timeout=30, source_address=(address, 0)
    )
    try:
        connection.request(method, path, body=b"{}", headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_with_api_token_set_every_protected_endpoint_needs_it(guarded: Service) -> None:
    found = operations(guarded)
    protected = [(m, p) for m, p in found if not p.startswith("/health")]
    unanswered: dict[str, list[int]] = {}
    for index, (method, path) in enumerate(protected):
        url = path.replace("{job_id}", "0" * 32).replace("{task_id}", "0" * 32)
        guesser = f"127.0.1.{index + 1}"  # two guesses per address: the throttle allows ten
        without = guarded.request(method, url, {})
        wrong = request_from(guesser, guarded, method, url, f"Bearer {TOKEN}x")
        scheme = request_from(guesser, guarded, method, url, f"Basic {TOKEN}")
        right = guarded.request(method, url, {}, headers={"Authorization": f"Bearer {TOKEN}"})
        statuses = [without.status, wrong, scheme]
        if statuses != [401, 401, 401] or right.status == 401:
            unanswered[f"{method} {path}"] = [*statuses, right.status]

    paths = {path for _, path in protected}
    assert {"/jobs", "/jobs/{job_id}", "/emails", "/files", "/signup", "/register"} <= paths
    assert {"/reports", "/aggregate"} <= paths
    assert unanswered == {}
    assert guarded.get("/health").status == 200
    assert guarded.get("/openapi.json").status == 200


def test_guessing_the_token_is_slowed_per_address_and_the_owner_still_gets_in(
    guarded: Service,
) -> None:
    guesser = "127.0.2.1"
    guesses = [
        request_from(guesser, guarded, "GET", "/jobs", f"Bearer guess{n}") for n in range(12)
    ]
    connection = http.client.HTTPConnection(
        "127.0.0.1", guarded.port, timeout=30, source_address=(guesser, 0)
    )
    connection.request("GET", "/jobs", headers={"Authorization": f"Bearer {TOKEN}"})
    refused = connection.getresponse()
    connection.close()
    owner = guarded.get("/jobs", headers={"Authorization": f"Bearer {TOKEN}"})

    assert guesses == [401] * 10 + [429, 429]
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert owner.status == 200


HUGE = 400 * 1024 * 1024


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


@dataclass
class Streamed:
    status: int
    answered_after: float
    """Seconds from the end of the request's headers to the first line of the answer."""
    growth_mib: float
    """How much the service's resident memory grew, at most, while the body was sent."""


def stream_body(service: Service, path: str, headers: dict[str, str], chunked: bool) -> Streamed:
    """POST a HUGE body from a generator, over a raw socket, while reading the answer."""
    assert service.process is not None
    pid = service.process.pid
    piece = b"[" * (1024 * 1024)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE}"
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    before = resident_kib(pid)
    peak = [before]
    answered: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], resident_kib(pid))
            time.sleep(0.005)

    with socket.create_connection(("127.0.0.1", service.port), timeout=30) as sock:

        def read() -> None:
            first = sock.makefile("rb").readline()
            answered.append((time.monotonic(), int(first.split()[1])))

        sampler = threading.Thread(target=sample)
        reader = threading.Thread(target=read)
        sampler.start()
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}{framing}\r\n\r\n".encode())
        sent_at = time.monotonic()
        reader.start()
        with suppress(OSError):  # the service may close the connection: it has answered
            for _ in range(HUGE // len(piece)):
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        reader.join(30)
        time.sleep(0.2)  # whatever the service still holds of the body shows in its memory
        done.set()
        sampler.join()
    [(at, status)] = answered
    return Streamed(status, at - sent_at, (peak[0] - before) / 1024)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_400_mb_body_without_the_token_is_refused_before_it_is_read(
    guarded: Service, chunked: bool
) -> None:
    result = stream_body(guarded, "/files", {"Content-Type": "application/json"}, chunked)
    print(f"401 after {result.answered_after * 1000:.1f} ms, RSS +{result.growth_mib:.1f} MiB")

    assert result.status == 401
    assert result.answered_after < 2  # measured: about a millisecond
    assert result.growth_mib < 20


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_400_mb_body_to_an_open_service_is_refused_at_max_body_bytes(
    service: Service, chunked: bool
) -> None:
    result = stream_body(service, "/files", {"Content-Type": "application/json"}, chunked)
    print(f"413 after {result.answered_after * 1000:.1f} ms, RSS +{result.growth_mib:.1f} MiB")

    assert result.status == 413
    assert result.answered_after < 2
    # Declared: nothing read. Chunked: read up to MAX_BODY_BYTES (12 MB by default), no further.
    assert result.growth_mib < (20 if not chunked else 40)


MALFORMED: list[tuple[str, bytes, dict[str, str]]] = [
    ("/files", b"[" * 100_000, {}),
    ("/files", b"[" * 100_000, {"Content-Type": "text/plain", "Idempotency-Key": "deep"}),
    ("/files", b'{"file_name": "a"' + b', "x": [' * 1000, {}),
    ("/files", b"\xff\xfe{", {}),
    ("/files", b'{"file_name": "a", "content": "\xff"}', {}),
    ("/files", b'{"file_name": "a", "content": "\\ud800"}', {"Idempotency-Key": "surrogate"}),
    ("/emails", b'{"to": "a@example.com", "subject": "\\udc00", "body": "x"}', {}),
    ("/signup", b'{"username": "\\ud800", "email": "a@example.com"}', {}),
    ("/reports", b'{"name": "a", "rows": NaN}', {}),
    ("/reports", b'{"name": "a", "rows": 1e999}', {"Idempotency-Key": "infinite"}),
    ("/reports", b'{"name": "a", "rows": ' + b"9" * 5000 + b"}", {}),
]


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    MALFORMED,
    ids=["deep-json", "deep-text-idempotency", "deep-object", "not-utf8", "not-utf8-string",
         "lone-surrogate", "email-surrogate", "signup-surrogate", "nan", "infinity", "huge-int"],
)  # fmt: skip
def test_malformed_bodies_get_a_4xx_never_a_5xx(
    service: Service, path: str, body: bytes, headers: dict[str, str]
) -> None:
    status = post_raw(service, path, body, {"Content-Type": "application/json", **headers})

    assert 400 <= status < 500, (status, service.log()[-3000:])


def test_deep_nesting_with_the_token_gets_a_4xx(guarded: Service) -> None:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}

    assert post_raw(guarded, "/files", b"[" * 100_000, headers) == 400


def post_raw(service: Service, path: str, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize("cookie", ["\u00b2" * 43, "\u00b21." + "0" * 64, "x" * 4000, "a.b"])
def test_a_malformed_session_cookie_is_the_sign_in_page_not_an_error(
    guarded: Service, cookie: str
) -> None:
    """Sent as a browser may (Latin-1 bytes); the redirect to the sign-in page is followed."""
    page = guarded.get("/dashboard", headers={"Cookie": f"dashboard_session={cookie}"})

    assert page.status == 200, page
    assert 'type="password"' in page.body
    assert "Traceback" not in guarded.log()


def test_no_address_in_an_answer_is_built_from_the_host_header(service: Service) -> None:
    hostile = {"Host": "attacker.example"}
    signup = {"username": "host-header", "email": "host-header@example.com"}
    assert service.post("/signup", signup, headers=hostile).status == 201

    listed = service.get("/jobs?limit=1", headers=hostile)
    slashed = service.get("/jobs/", headers=hostile)  # a redirect would be followed there

    assert listed.status == 200
    assert listed.headers["link"].startswith("</jobs?limit=1&before=")
    assert slashed.status == 404
    assert "location" not in slashed.headers
    assert "attacker.example" not in json.dumps([listed.body, listed.headers, slashed.body])
