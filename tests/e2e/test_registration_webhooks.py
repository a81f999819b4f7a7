"""Registration webhooks end to end: a loopback receiver gets the signed callback; SSRF targets are refused.

The local runtime sets ``PUSHGATE_ALLOW_LOOPBACK_WEBHOOKS=true`` (the receiver is on loopback,
plain http); the rules that still apply with it (no link-local, private or metadata
addresses, no redirects) are checked here, the loopback refusal itself in the unit tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime
from tests.e2e.conftest import ADMIN_KEY
from tests.e2e.registration_support import RegisteredApp, Table, create_app, final_statuses, wait_until

pytestmark = pytest.mark.stack


class Receiver:
    """A loopback HTTP server that records what it receives and answers as told."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.arrived:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    receiver.arrived.notify_all()
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("location", "http://169.254.169.254/latest/meta-data/")
                else:
                    self.send_response(202)
                self.send_header("content-length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, path: str, timeout_s: float = 60) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((r for r in self.requests if r["path"] == path), None)

        with self.arrived:
            if not self.arrived.wait_for(lambda: found() is not None, timeout=timeout_s):
                raise AssertionError(f"no webhook call to {path}")
            request = found()
        assert request is not None
        return request

    def calls_to(self, prefix: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].startswith(prefix)]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def client(dev_stack: LocalRuntime) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev_stack.api_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def app(client: httpx.Client) -> RegisteredApp:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    org = client.post("/admin/v1/orgs", json={"Name": "Webhooks org"}, headers=headers)
    assert org.status_code == 201, org.text
    with httpx.Client(base_url=str(client.base_url), headers=headers, timeout=30) as admin:
        return create_app(admin, org.json()["OrgId"])


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def table(dev_stack: LocalRuntime) -> Table:
    return Table(dev_stack)


def register(client: httpx.Client, app: RegisteredApp, callback_url: str, **headers: str) -> str:
    body = app.android(str(uuid.uuid4()), f"fcm-{uuid.uuid4().hex}")
    response = client.post(
        app.v2, json=body, headers={"x-ms-track-registration": "true", "x-ms-callback-url": callback_url, **headers}
    )
    assert response.status_code == 202, response.text
    return str(response.json()["RegistrationRequestId"])


def webhook_result(table: Table, app: RegisteredApp, request_id: str) -> str:
    def noted() -> str | None:
        item = table.item(f"REGREQ#{app.org_id}#{app.app_id}#{request_id}", "REGREQ")
        return None if item is None else item.get("webhook_result")

    result: str = wait_until(noted, "the webhook result to be noted")
    return result


def test_webhook_gets_status_and_an_hmac_of_the_callback_url_keyed_with_the_api_token(
    client: httpx.Client, app: RegisteredApp, receiver: Receiver, table: Table
) -> None:
    url = f"{receiver.base}/hooks/{uuid.uuid4()}?attempt=1"
    request_id = register(client, app, url, **{"x-ms-callback-url-headers": json.dumps({"X-Correlation": "abc-1"})})

    call = receiver.wait_for(url.removeprefix(receiver.base))

    body = json.loads(call["body"])
    expected = base64.b64encode(hmac.new(app.api_token.encode(), url.encode(), hashlib.sha256).digest()).decode()
    assert body == {"Status": "Success", "Signature": expected}
    assert call["headers"]["X-Correlation"] == "abc-1"
    assert final_statuses(client, app, [request_id]) == [{"Status": "Success"}]
    assert webhook_result(table, app, request_id) == "delivered 202"


def test_the_alternative_header_name_x_ms_status_callback_url_works_too(
    client: httpx.Client, app: RegisteredApp, receiver: Receiver
) -> None:
    path = f"/alt/{uuid.uuid4()}"
    body = app.android(str(uuid.uuid4()), "bad-token")
    response = client.post(app.v2, json=body, headers={"x-ms-status-callback-url": receiver.base + path})
    assert response.status_code == 202

    call = receiver.wait_for(path)

    assert json.loads(call["body"])["FailureReason"] == "DryRunSendingFailed"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://192.168.1.1/hook",
        "https://[fd00:ec2::254]/latest/meta-data/",
        "https://user:pass@example.com/hook",
    ],
)
def test_webhooks_into_the_network_are_refused_and_the_registration_still_completes(
    client: httpx.Client, app: RegisteredApp, table: Table, url: str
) -> None:
    request_id = register(client, app, url)

    assert final_statuses(client, app, [request_id]) == [{"Status": "Success"}]
    assert webhook_result(table, app, request_id).startswith("refused: ")


def test_redirects_are_not_followed(client: httpx.Client, app: RegisteredApp, receiver: Receiver, table: Table) -> None:
    path = f"/redirect/{uuid.uuid4()}"
    request_id = register(client, app, receiver.base + path)

    receiver.wait_for(path)

    assert webhook_result(table, app, request_id) == "failed: HTTP 302 (redirects are not followed)"
    assert len(receiver.calls_to(path)) == 1


def test_a_callback_url_that_is_not_http_at_all_is_a_400(client: httpx.Client, app: RegisteredApp) -> None:
    body = app.android(str(uuid.uuid4()), f"fcm-{uuid.uuid4().hex}")
    response = client.post(app.v2, json=body, headers={"x-ms-callback-url": "ftp://example.com/hook"})

    assert response.status_code == 400
    assert response.json()["Error"]["Details"][0]["Field"] == "header.x-ms-callback-url"
