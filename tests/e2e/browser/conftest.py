"""A real browser for the console tests: Playwright's Python driver on Debian's Chromium, headless.

Never a browser Playwright downloads: ``make chromium`` (a prerequisite of ``make pytest``) installs
the ``chromium`` apt package when /usr/bin/chromium is missing. Set ``PUSHGATE_CONSOLE_SCREENSHOTS``
to a folder to save a PNG of each page as the tests pass through it (``make screenshots``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

CHROMIUM = Path(os.environ.get("PUSHGATE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 1000}
#: Any one wait of a browser test (a function's first call starts its worker; the suite shares 2 cores).
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make chromium' (apt package chromium)")
    launched = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def context(browser: Browser) -> Iterator[BrowserContext]:
    created = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
    created.set_default_timeout(TIMEOUT_MS)
    yield created
    created.close()


@pytest.fixture(scope="module")
def page(context: BrowserContext) -> Iterator[Page]:
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    assert not errors, f"uncaught errors in the console's scripts: {errors}"


class Screenshots:
    """Saves full-page PNGs when a folder is set (``make screenshots``); does nothing otherwise."""

    def __init__(self, folder: str | None) -> None:
        self.folder = Path(folder) if folder else None

    def __call__(self, page: Page, name: str) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def screenshot() -> Screenshots:
    return Screenshots(os.environ.get("PUSHGATE_CONSOLE_SCREENSHOTS"))
