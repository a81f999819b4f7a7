"""What the device routes refuse: user ids no send could reach, and oversized webhook headers.

A device's ``UserId`` must be an id the directory (and so a send) can name: the directory's id rules
(``A-Z a-z 0-9 . _ : @ + = -``, or a GUID) apply on every device route, so a zero-width joiner,
a bidi override, a fullwidth or a Cyrillic look-alike letter is a 400 naming ``UserId`` and nothing
is stored. Webhook headers have documented limits and are refused, named, beyond them.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, Table, create_app, wait_until
from tests.e2e.test_device_api_aspnet_forms import devices, fcm_token, hex_token, problems

pytestmark = pytest.mark.stack

#: Each looks like (or renders as) a plain id, and none is one a send can name.
UNREACHABLE_USER_IDS = {
    "zero-width joiner": "ana\u200dsmith",
    "right-to-left override": "user\u202egpj.exe",
    "soft hyphen (a format character)": "ana\u00adsmith",
    "fullwidth letters": "\uff41\uff4e\uff41",
    "Cyrillic look-alike": "\u0430na",
    "ideographic space": "ana\u3000smith",
}


@pytest.fixture(scope="module")
def app(admin: httpx.Client) -> RegisteredApp:
    org = admin.post("/admin/v1/orgs", json={"Name": "Device input rules org"})
    assert org.status_code == 201, org.text
    return create_app(admin, org.json()["OrgId"])


@pytest.mark.parametrize("user_id", list(UNREACHABLE_USER_IDS.values()), ids=list(UNREACHABLE_USER_IDS))
def test_a_user_id_no_send_could_reach_is_refused_on_every_device_route(
    public: httpx.Client, app: RegisteredApp, user_id: str
) -> None:
    auth = {"MobileAppId": app.app_id, "ApiToken": app.api_token}
    good = app.android(str(uuid.uuid4()), fcm_token())

    single = problems(public.post(app.v2, json=app.android(user_id, fcm_token())))
    batch = problems(public.post(f"{app.v2}/batch", json=[good, app.ios(user_id, hex_token())]))
    v1 = problems(
        public.post(
            app.v1(quote(user_id, safe="")), json={"ApiToken": app.api_token, "FcmDeviceContract": {"FcmToken": "t"}}
        )
    )
    cleanup = problems(public.post(f"{app.v2}/cleanup", json={**auth, "UserId": user_id}))

    assert set(single) == {"UserId"}, single
    assert set(batch) == {"[1].UserId"}, batch
    assert "path.userId" in v1, v1
    assert set(cleanup) == {"UserId"}, cleanup
    assert "A-Z a-z 0-9" in single["UserId"]


def test_a_refused_batch_stores_nothing_and_guids_keep_their_accepted_forms(
    admin: httpx.Client, public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    refused_user = str(uuid.uuid4())
    refused = public.post(
        f"{app.v2}/batch",
        json=[app.android(refused_user, fcm_token()), app.android(UNREACHABLE_USER_IDS["zero-width joiner"], "t")],
    )
    guid = uuid.uuid4()

    braced = public.post(
        app.v1("{" + str(guid).upper() + "}"),
        json={"ApiToken": app.api_token, "FcmDeviceContract": {"FcmToken": fcm_token()}},
    )

    assert refused.status_code == 400
    assert braced.status_code == 200, braced.text
    assert [d["Platform"] for d in devices(admin, app, str(guid))] == ["android"]
    assert table.devices(app, refused_user) == []
    plain = public.post(app.v2, json=app.android("crm-user_42@contoso.com", fcm_token()))
    assert plain.status_code == 202, plain.text
    wait_until(lambda: table.devices(app, "crm-user_42@contoso.com"), "the plain id's device to be stored")


@pytest.fixture(scope="module")
def table(dev_stack: LocalRuntime) -> Table:
    return Table(dev_stack)


# ------------------------------------------------------------------ webhook headers


def test_webhook_headers_beyond_their_documented_limits_are_refused_naming_the_header(
    public: httpx.Client, app: RegisteredApp
) -> None:
    # Loopback webhooks are allowed in the test stack; nothing listens on port 9, so a call fails fast.
    callback = "http://127.0.0.1:9/pushgate"
    oversized_headers = json.dumps({"x-secret": "s" * 5000})
    batch = [app.android(str(uuid.uuid4()), fcm_token()) for _ in range(100)]

    too_many_bytes = public.post(
        f"{app.v2}/batch",
        json=batch,
        headers={"x-ms-callback-url": callback, "x-ms-callback-url-headers": json.dumps({"x-secret": "s" * 60_000})},
    )
    one_value = public.post(
        app.v2,
        json=batch[0],
        headers={"x-ms-callback-url": callback, "x-ms-callback-url-headers": oversized_headers},
    )
    status_spelling = public.post(
        app.v2, json=batch[0], headers={"x-ms-status-callback-url": callback + "?" + "q" * 3000}
    )

    assert set(problems(too_many_bytes)) == {"header.x-ms-callback-url-headers"}
    assert set(problems(one_value)) == {"header.x-ms-callback-url-headers"}
    assert set(problems(status_spelling)) == {"header.x-ms-status-callback-url"}
    within = public.post(
        app.v2,
        json=batch[0],
        headers={"x-ms-callback-url": callback, "x-ms-callback-url-headers": json.dumps({"x-secret": "s" * 1000})},
    )
    assert within.status_code == 202, within.text


# ------------------------------------------------------------------ coercions kept, and refused


@pytest.mark.parametrize("status", [True, 1.0, "2", "open", None])
def test_push_notification_status_takes_only_the_documented_forms(
    public: httpx.Client, app: RegisteredApp, status: object
) -> None:
    events = f"/api/v1.0/orgs/{app.org_id}/pushdatareceiver/events"

    refused = public.post(events, json={"TrackingId": str(uuid.uuid4()), "PushNotificationStatus": status})

    assert set(problems(refused)) == {"PushNotificationStatus"}


def test_ids_and_tokens_are_json_strings_never_numbers(public: httpx.Client, app: RegisteredApp) -> None:
    number = problems(public.post(app.v2, json={**app.android("x", fcm_token()), "UserId": 12345}))
    boolean = problems(public.post(app.v2, json={**app.android("x", fcm_token()), "ApiToken": True}))

    assert set(number) == {"UserId"}
    assert set(boolean) == {"ApiToken"}
