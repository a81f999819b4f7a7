"""Swagger UI at /docs in a real browser: the admin key an operator authorizes with stays in the page's
memory (never in localStorage or sessionStorage of the console's origin), and the page runs under
its Content-Security-Policy without a violation."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from pushgate_local.console import CONTENT_SECURITY_POLICY as CONSOLE_POLICY
from pushgate_local.runtime import LocalRuntime
from tests.e2e.conftest import ADMIN_KEY

pytestmark = pytest.mark.stack

STORAGE = """() => [localStorage, sessionStorage].flatMap((store) =>
    Object.keys(store).map((key) => `${key}=${store.getItem(key)}`))"""


@pytest.fixture
def violations(page: Page) -> Iterator[list[str]]:
    """What the browser refused under the page's Content-Security-Policy (it logs each refusal)."""
    found: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", listen)
    yield found
    page.remove_listener("console", listen)


def test_the_admin_key_is_kept_in_memory_only(dev_stack: LocalRuntime, page: Page, violations: list[str]) -> None:
    page.goto(f"{dev_stack.api_url}/docs")
    expect(page.get_by_text("Create org", exact=True).first).to_be_visible()  # the operation's summary
    authorize = page.locator(".auth-wrapper .btn.authorize")

    # An operator authorizes with the admin key
    authorize.click()
    page.locator("input[aria-label='auth-bearer-value']").fill(ADMIN_KEY)
    page.locator(".auth-btn-wrapper button.authorize").click()
    page.locator(".auth-btn-wrapper button.btn-done").click()

    # Then Swagger UI holds it (the button shows locked), and no storage of the origin does
    expect(authorize).to_have_class("btn authorize locked")
    assert not [entry for entry in page.evaluate(STORAGE) if ADMIN_KEY in entry]

    # And after a reload the key is gone: it lived in the page's memory only
    page.reload()
    expect(page.get_by_text("Create org", exact=True).first).to_be_visible()
    expect(authorize).to_have_class("btn authorize unlocked")
    assert not [entry for entry in page.evaluate(STORAGE) if ADMIN_KEY in entry]
    assert violations == []


def _directives(policy: str) -> dict[str, set[str]]:
    parsed = (part.split() for part in policy.split(";") if part.strip())
    return {name: set(values) for name, *values in parsed}


def test_docs_are_served_with_a_policy_like_the_consoles(public: httpx.Client) -> None:
    response = public.get("/docs")

    assert response.status_code == 200
    policy = _directives(response.headers["content-security-policy"])
    console = _directives(CONSOLE_POLICY)
    # Framed by nobody, talking to this origin only, no base or form target elsewhere: as the console.
    for name in ("default-src", "style-src", "connect-src", "frame-ancestors", "base-uri", "form-action"):
        assert policy[name] == console[name], name
    assert policy["frame-ancestors"] == {"'none'"}
    # Scripts: the bundled files, and the one inline script the page holds, by its hash.
    [inline] = re.findall(r"<script>(.*?)</script>", response.text, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert policy["script-src"] == {"'self'", f"'sha256-{digest}'"}
    assert "persistAuthorization" not in inline
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
