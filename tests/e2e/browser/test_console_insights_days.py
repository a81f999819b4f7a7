"""The insights page's day fields in an en-US browser: UTC days written as ISO dates, as labelled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from pushgate_local.runtime import LocalRuntime
from tests.e2e.browser.conftest import TIMEOUT_MS, VIEWPORT
from tests.e2e.conftest import ADMIN_KEY

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def us_page(browser: Browser) -> Iterator[Page]:
    """A tab whose locale writes dates MM/DD/YYYY, where a date picker would."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="America/Los_Angeles")
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"uncaught errors in the console's scripts: {errors}"


def test_insights_days_are_iso_utc_days_in_any_locale(us_page: Page, dev_stack: LocalRuntime) -> None:
    page = us_page
    page.goto(f"{dev_stack.api_url}/console/")
    page.get_by_label("Admin key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Org name").fill("Days org")
    page.get_by_role("button", name="Create org").click()
    expect(page).to_have_url(re.compile(r"#/apps$"))
    page.get_by_role("link", name="Insights").click()

    since = page.get_by_label("From (UTC day)")
    until = page.get_by_label("To (UTC day)")
    today = datetime.now(UTC).date()
    # What the field shows is its value: an ISO day (a date picker would show MM/DD/YYYY here).
    assert since.evaluate("(el) => el.type") == "text"
    expect(since).to_have_value((today - timedelta(days=13)).isoformat())
    expect(until).to_have_value(today.isoformat())

    # A day typed the American way is refused by the field before any request.
    since.fill("11/23/2026")
    assert since.evaluate("(el) => el.validity.patternMismatch") is True

    page.get_by_label("Of").select_option("journeys")
    page.get_by_label("Journey id").fill("spring-journey")
    since.fill((today - timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_role("heading", name=f"Overall, {today - timedelta(days=2)} to {today}")).to_be_visible()
