"""The generated jobs dashboard in a real browser: Debian's chromium, driven headless by Playwright.

The service (every in-process feature on) runs as `python -m <package> serve` with an API token,
and a second one (process B) on the same jobs store. The browser signs in through the form, sees
a report posted to process B appear within a second with its progress bar, sees a job posted over
HTTP after the page opened appear and turn `succeeded` by itself (the page polls, one request at
a time, 304 while nothing changed), the counts by kind and status and the chart of the jobs
finished per minute follow, filters to `failed`, opens the failed job's detail and saves a
screenshot; once the
service has `POST /jobs/{job_id}/retry`, it also retries that job from the detail after the
fault is gone, and sees the new attempt succeed. The token never appears in a URL the browser
requests, and the session cookie is HttpOnly, SameSite=Strict and out of the page script's reach.

Playwright's own browser download cannot work here: the system chromium is launched by path.
`.ci/browser.sh` installs it and sets REQUIRE_BROWSER=1, so in CI this test fails, not skips,
without it. UPDATE_DASHBOARD_SCREENSHOT=1 copies the second screenshot (every job, the failed
one open) to the template's docs/dashboard.png, the picture the generated docs/dashboard.md shows.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, shared_environment
from live_service import ALL_IN_PROCESS, Service, running

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"  # Debian's `chromium` package
TOKEN = "dashboard-browser-token"
VIEWPORT = {"width": 1366, "height": 768}  # a laptop screen
SECONDS = 5_000  # what "within a few seconds" means here, in Playwright's milliseconds
A_SECOND = 1_500  # "within a second": a poll a second after the last answer, and a margin
DOCS_SCREENSHOT = ROOT / "template" / "docs" / "{% if jobs_dashboard %}dashboard.png{% endif %}"


def find_chromium() -> str | None:
    return shutil.which("chromium") or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)


@pytest.fixture
def chromium() -> str:
    found = find_chromium()
    if found is None:
        missing = "chromium is not installed (apt-get install chromium; .ci/browser.sh does)"
    elif importlib.util.find_spec("playwright") is None:
        missing = "playwright is not installed (it is in the template's `test` extra)"
    else:
        return found
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {missing}")
    pytest.skip(missing)


@pytest.fixture
def service(rendered, tmp_path: Path) -> Iterator[Service]:
    project = rendered("all-in-process", ALL_IN_PROCESS)
    environment = shared_environment(ALL_IN_PROCESS["python_version"])
    service = Service(project, environment, tmp_path / "service", {"API_TOKEN": TOKEN})
    # A directory where a file is to be written: that file job fails, as a full disk would.
    (Path(service.settings["FILES_DIR"]) / "blocked.txt").mkdir(parents=True)
    with running(service):
        yield service


@pytest.fixture
def other(service: Service, tmp_path: Path) -> Iterator[Service]:
    """Process B: another service on the same jobs store (and the same directories)."""
    environment = service.python.parents[1]
    other = Service(service.project, environment, tmp_path / "other", service.settings)
    with running(other):
        yield other


def post(service: Service, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = service.post(path, body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status in (201, 202), response
    accepted: dict[str, Any] = response.body
    return accepted


def post_file(service: Service, name: str) -> str:
    job_id: str = post(service, "/files", {"file_name": name, "content": "x"})["job_id"]
    return job_id


def test_the_dashboard_follows_jobs_live_in_a_real_browser(
    chromium: str, service: Service, other: Service, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    screenshot, overview = tmp_path / "dashboard-failed.png", tmp_path / "dashboard.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            # The jobs list's polls: their statuses, and how many were in flight at once.
            polls: list[int] = []
            in_flight = [0, 0]  # now, most

            def is_poll(url: str) -> bool:
                return "/dashboard/jobs?" in url

            def sent(request: Any) -> None:
                if is_poll(request.url):
                    in_flight[0] += 1
                    in_flight[1] = max(in_flight)

            def done(request: Any) -> None:
                if is_poll(request.url):
                    in_flight[0] -= 1

            page.on("request", sent)
            page.on("requestfinished", done)
            page.on("requestfailed", done)
            page.on("response", lambda r: polls.append(r.status) if is_poll(r.url) else None)

            page.goto(service.url + "/dashboard")
            expect(page).to_have_url(service.url + "/dashboard/login")
            page.fill("#token", TOKEN)
            page.click("button[type=submit]")
            expect(page).to_have_url(service.url + "/dashboard")
            expect(page.locator("#live")).to_have_text("live", timeout=SECONDS)

            # Posted to process B: on this page (process A's) within a second, its rows as
            # process B's report process writes them.
            report = post(other, "/reports", {"name": "yearly", "rows": 50_000})["task_id"]
            report_row = page.locator(f"#jobs tbody tr[data-id='{report}']")
            expect(report_row).to_be_visible(timeout=A_SECOND)
            expect(report_row.locator("progress")).to_be_visible(timeout=SECONDS)

            # Posted over HTTP after the page opened: it appears and turns succeeded by itself.
            post(service, "/signup", {"username": "ada", "email": "ada@example.com"})
            post(service, "/reports", {"name": "monthly", "rows": 2000})
            written = post_file(service, "hello.txt")
            row = page.locator(f"#jobs tbody tr[data-id='{written}']")
            expect(row).to_be_visible(timeout=SECONDS)
            expect(row.locator(".badge")).to_have_text("succeeded", timeout=SECONDS)

            blocked = post_file(service, "blocked.txt")
            failed_row = page.locator(f"#jobs tbody tr[data-id='{blocked}']")
            expect(failed_row.locator(".badge")).to_have_text("failed", timeout=SECONDS)
            # The counts by kind and status, and the chart of what finished, follow.
            count = page.locator("#counts td[data-kind='files'][data-status='failed']")
            expect(count).to_have_text("1", timeout=SECONDS)
            succeeded = page.locator("#counts td[data-kind='files'][data-status='succeeded']")
            expect(succeeded).to_have_text("1")
            expect(page.locator("#finished-chart rect.bar.failed").first).to_be_attached()
            expect(page.locator("#finished-chart rect.bar.succeeded").first).to_be_attached()

            page.select_option("select[name=status]", "failed")
            expect(page.locator(f"#jobs tbody tr[data-id='{written}']")).to_have_count(0)
            expect(failed_row).to_be_visible()
            statuses = page.locator("#jobs tbody tr .badge").all_inner_texts()
            assert set(statuses) == {"failed"}, statuses
            assert "status=failed" in page.url

            failed_row.click()
            expect(page.locator("#detail")).to_be_visible()
            expect(page.locator("#detail-id")).to_have_text(blocked)
            expect(page.locator("#detail-error")).to_contain_text("IsADirectoryError")
            expect(page.locator("#retry")).to_be_visible()
            page.screenshot(path=str(screenshot))

            # Every job again, the failed one still open: the picture docs/dashboard.md shows.
            page.select_option("select[name=status]", "")
            expect(page.locator(f"#jobs tbody tr[data-id='{written}']")).to_be_visible()
            page.screenshot(path=str(overview))

            if "/jobs/{job_id}/retry" in service.get("/openapi.json").body["paths"]:
                (Path(service.settings["FILES_DIR"]) / "blocked.txt").rmdir()  # the fault is gone
                page.click("#retry")
                expect(page.locator("#retry-result")).to_contain_text("new attempt")
                expect(page.locator("#detail-id")).not_to_have_text(blocked, timeout=SECONDS)
                badge = page.locator("#detail-fields .badge")
                expect(badge).to_have_text("succeeded", timeout=SECONDS)

            # Once process B's report is built, nothing changes: the page's polls come back
            # 304, one request at a time.
            expect(report_row.locator(".badge")).to_have_text("succeeded", timeout=60_000)
            page.wait_for_timeout(2_500)
            assert polls[-1] == 304, polls
            assert in_flight[1] == 1, in_flight

            cookies = {cookie["name"]: cookie for cookie in context.cookies()}
            session = cookies["dashboard_session"]
            assert session["httpOnly"] and session["sameSite"] == "Strict"
            assert TOKEN not in session["value"]
            assert page.evaluate("document.cookie") == "", "the script must not see the session"
            assert [url for url in requested if TOKEN in url] == []
        finally:
            browser.close()

    assert screenshot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("UPDATE_DASHBOARD_SCREENSHOT") == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(overview, DOCS_SCREENSHOT)
