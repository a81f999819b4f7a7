"""The console's files as the dev server serves them at ``/console/``, and nothing beside them."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime
from tests.e2e.conftest import ADMIN_KEY

pytestmark = pytest.mark.stack


def raw_get(dev_stack: LocalRuntime, path: str) -> tuple[int, dict[str, str], bytes]:
    """A GET with the path sent exactly as written (no client-side normalisation of ``..``)."""
    address = urlsplit(dev_stack.api_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_the_console_is_served_with_its_config_and_a_strict_content_security_policy(
    dev_stack: LocalRuntime, public: httpx.Client
) -> None:
    page = public.get("/console/")
    script = public.get("/console/js/main.js")
    config = public.get("/console/config.json").json()
    bare = public.get("/console")

    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="js/main.js">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert config == {"ApiUrl": "", "SignIn": "AdminKey", "Environment": "local"}
    assert ADMIN_KEY not in json.dumps(config)  # the operator types the key; the page never receives it
    assert (bare.status_code, bare.headers["location"]) == (302, "/console/")
    settings = json.loads((dev_stack.config.state_dir / "local.json").read_text(encoding="utf-8"))
    assert settings["console_url"] == f"{dev_stack.api_url}/console/"


@pytest.mark.parametrize(
    "path",
    ["/console/../template.yaml", "/console/js/../../template.yaml", "/console/%2e%2e/template.yaml", "/console/x.js"],
)
def test_nothing_outside_the_console_folder_is_served(dev_stack: LocalRuntime, path: str) -> None:
    status, _, body = raw_get(dev_stack, path)

    assert status == 404
    assert json.loads(body)["Error"]["Code"] == "NotFound"
    assert b"AWSTemplateFormatVersion" not in body
