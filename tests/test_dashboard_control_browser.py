"""The dashboard's job control in a real browser (as test_dashboard_browser.py, whose service and
browser it uses): Cancel on a report's detail, and Retry all…, which tells how many first."""

from __future__ import annotations

from typing import Any

import pytest
from live_service import Service
from test_dashboard_browser import SECONDS, TOKEN, VIEWPORT, post, post_file
from test_dashboard_browser import chromium as chromium  # the fixtures, re-exported
from test_dashboard_browser import service as service

pytestmark = pytest.mark.slow


def test_the_dashboard_cancels_a_job_and_retries_failed_ones_in_bulk(
    chromium: str, service: Service
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.goto(service.url + "/dashboard")
            page.fill("#token", TOKEN)
            page.click("button[type=submit]")
            expect(page.locator("#live")).to_have_text("live", timeout=SECONDS)

            # Three reports of seconds each: the last waits or runs when it is cancelled.
            big = {"name": "big", "rows": 100_000}
            report = [post(service, "/reports", big)["task_id"] for _ in range(3)][-1]
            page.locator(f"#jobs tbody tr[data-id='{report}']").click()
            expect(page.locator("#cancel")).to_be_visible(timeout=SECONDS)
            page.click("#cancel")
            badge = page.locator("#detail-fields .badge")
            expect(badge).to_have_text("cancelled", timeout=SECONDS)
            expect(page.locator("#cancel")).to_be_hidden()

            blocked = post_file(service, "blocked.txt")
            failed = page.locator(f"#jobs tbody tr[data-id='{blocked}'] .badge")
            expect(failed).to_have_text("failed", timeout=SECONDS)
            page.select_option("select[name=status]", "failed")
            asked: list[str] = []

            def accept(dialog: Any) -> None:
                asked.append(dialog.message)
                dialog.accept()

            page.on("dialog", accept)
            page.click("#bulk-retry")
            expect(page.locator("#bulk-result")).to_have_text("Retried 1 job(s).", timeout=SECONDS)
        finally:
            browser.close()

    assert asked == ["Retry 1 failed job(s), each as a new job?"]
