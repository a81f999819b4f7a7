"""The push a v2 registration verifies its token with, as the providers receive it: nothing in it for an
app to act on (``{"aps":{"content-available":1}}`` alone on APNs, a bare ``validate_only`` message on FCM)."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import create_app, final_statuses

pytestmark = pytest.mark.stack


def test_a_v2_registration_verifies_the_token_with_a_push_that_carries_nothing(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, org_id: str
) -> None:
    simulator = dev_stack.simulator
    assert simulator is not None
    app = create_app(admin, org_id)
    user_id = str(uuid.uuid4())
    apns_token = hashlib.sha256(f"verify-{app.app_id}".encode()).hexdigest().replace("b", "c")
    fcm_token = f"fcm-verify-{app.app_id[:8]}"
    tracked = {"x-ms-track-registration": "true"}
    ids = [
        public.post(app.v2, json=body, headers=tracked).json()["RegistrationRequestId"]
        for body in (app.ios(user_id, apns_token), app.android(user_id, fcm_token))
    ]
    assert final_statuses(public, app, ids) == [{"Status": "Success"}, {"Status": "Success"}]

    # APNs: one background push at priority 5 with content-available alone, no data block at all.
    [ios] = simulator.notifications(token=apns_token)
    assert ios["headers"]["apns-push-type"] == "background"
    assert ios["headers"]["apns-priority"] == "5"
    assert ios["headers"]["apns-topic"] == "com.contoso.pushgate"
    assert ios["payload"] == {"aps": {"content-available": 1}}

    # FCM: validated, never delivered, and the message names the token and nothing else.
    assert simulator.notifications(token=fcm_token) == []
    [android] = simulator.validated(token=fcm_token)
    assert android["payload"] == {"token": fcm_token}
