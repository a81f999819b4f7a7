"""CI-J's device API over HTTP: Microsoft's documented examples replayed against the dev server."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest

from pushgate_local.credentials import generate_fcm_service_account
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import (
    RegisteredApp,
    Table,
    create_app,
    final_statuses,
    statuses,
    wait_until,
)

pytestmark = pytest.mark.stack

#: The sample token of Microsoft's troubleshooting page (hex, upper case).
DOC_APNS_TOKEN = "0123456789ABCDEF"
TRACK = {"x-ms-track-registration": "true"}


def hex_token() -> str:
    # 64 hex digits, like a real APNs token; never "bad...", which the simulator answers BadDeviceToken.
    return "0" + uuid.uuid4().hex[1:] + uuid.uuid4().hex


def fcm_token() -> str:
    return f"fcm-{uuid.uuid4().hex}:APA91b{uuid.uuid4().hex}"


def user() -> str:
    return str(uuid.uuid4())


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@pytest.fixture(scope="module")
def app(admin: httpx.Client) -> RegisteredApp:
    org = admin.post("/admin/v1/orgs", json={"Name": "Devices org"})
    assert org.status_code == 201, org.text
    return create_app(admin, org.json()["OrgId"])


@pytest.fixture(scope="module")
def table(dev_stack: LocalRuntime) -> Table:
    return Table(dev_stack)


def fields(response: httpx.Response) -> set[str]:
    return {detail["Field"] for detail in response.json()["Error"]["Details"]}


# ------------------------------------------------------------------ v2 single (DEV-REG examples)


def test_doc_example_ios_registration_with_tracking_is_accepted_then_succeeds(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    user_id = user()
    response = public.post(app.v2, json=app.ios(user_id, DOC_APNS_TOKEN), headers=TRACK)

    assert response.status_code == 202, response.text
    request_id = response.json()["RegistrationRequestId"]
    uuid.UUID(request_id)
    assert final_statuses(public, app, [request_id]) == [{"Status": "Success"}]
    (device,) = table.devices(app, user_id)
    assert device["platform"] == "ios"
    assert device["token"] == DOC_APNS_TOKEN.lower()
    assert device["sk"] == f"ios#{sha(DOC_APNS_TOKEN.lower())}"
    assert device["app_mode"] == "Sandbox"
    assert device["status"] == "Active"
    status_item = table.item(f"REGREQ#{app.org_id}#{app.app_id}#{request_id}", "REGREQ")
    assert status_item is not None
    assert int(status_item["expiration"]) > 0


def test_doc_example_android_registration_without_tracking_has_an_empty_202_and_stores_the_device(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    user_id, token = user(), fcm_token()
    response = public.post(app.v2, json=app.android(user_id, token))

    assert response.status_code == 202
    assert response.content == b""
    (device,) = wait_until(lambda: table.devices(app, user_id), "the device to be stored")
    assert (device["platform"], device["token"]) == ("android", token)
    assert "app_mode" not in device


def test_status_of_unknown_ids_is_pending_as_in_ci_j(public: httpx.Client, app: RegisteredApp) -> None:
    assert statuses(public, app, [str(uuid.uuid4()), str(uuid.uuid4())]) == [
        {"Status": "Pending"},
        {"Status": "Pending"},
    ]


def test_status_path_with_the_documented_trailing_slash(public: httpx.Client, app: RegisteredApp) -> None:
    # The documented path ends in '/'; API Gateway routes it through the registration function's
    # greedy route, as the dev server does here.
    assert statuses(public, app, [str(uuid.uuid4())], slash=True) == [{"Status": "Pending"}]


def test_re_registering_the_same_token_for_the_same_user_reports_duplicate_and_refreshes_once_a_day(
    dev_stack: LocalRuntime, public: httpx.Client, app: RegisteredApp, table: Table, clock: Any
) -> None:
    simulator = dev_stack.simulator
    assert simulator is not None
    user_id, token = user(), hex_token()
    first = public.post(app.v2, json=app.ios(user_id, token), headers=TRACK).json()["RegistrationRequestId"]
    assert final_statuses(public, app, [first]) == [{"Status": "Success"}]
    (before,) = table.devices(app, user_id)

    # The next launches the same day: answered as ever, the device left as it is.
    second = public.post(app.v2, json=app.ios(user_id, token.upper()), headers=TRACK)
    untracked = public.post(app.v2, json=app.ios(user_id, token))
    v1 = public.post(app.v1(user_id), json={"ApiToken": app.api_token, "ApnsDeviceContract": {"ApnsToken": token}})

    assert second.status_code == 202
    assert list(second.json()) == ["RegistrationRequestId"]
    assert (untracked.status_code, untracked.content) == (202, b"")
    assert (v1.status_code, v1.content) == (200, b"")
    second_id = second.json()["RegistrationRequestId"]
    assert final_statuses(public, app, [second_id]) == [{"Status": "Failed", "FailureReason": "DuplicateExists"}]
    assert table.devices(app, user_id) == [before]
    # A duplicate is not verified again: the provider saw the first registration's push only.
    assert len(simulator.notifications(token=token)) == 1

    # A day later the registration moves the device's last registration (and its stale due time).
    clock(AdvanceSeconds=25 * 3600)
    third = public.post(app.v2, json=app.ios(user_id, token), headers=TRACK).json()["RegistrationRequestId"]

    assert final_statuses(public, app, [third]) == [{"Status": "Failed", "FailureReason": "DuplicateExists"}]
    (after,) = table.devices(app, user_id)
    assert after["registered_at"] == before["registered_at"]
    assert after["last_registered_at"] > before["last_registered_at"]
    assert after["gsi1sk"] > before["gsi1sk"]
    assert len(simulator.notifications(token=token)) == 1


def test_registering_a_token_under_another_user_moves_it(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    alice, bob, token = user(), user(), fcm_token()
    first = public.post(app.v2, json=app.android(alice, token), headers=TRACK).json()["RegistrationRequestId"]
    assert final_statuses(public, app, [first]) == [{"Status": "Success"}]

    second = public.post(app.v2, json=app.android(bob, token), headers=TRACK).json()["RegistrationRequestId"]

    assert final_statuses(public, app, [second]) == [{"Status": "Success"}]
    assert table.devices(app, alice) == []
    assert [d["token"] for d in table.devices(app, bob)] == [token]
    owner = table.item(f"DEVTOKEN#{app.org_id}#{app.app_id}#android#{sha(token)}", "DEVTOKEN")
    assert owner is not None and owner["user_id"] == bob


@pytest.mark.parametrize(
    ("platform", "token"),
    [("ios", "bad" + "0" * 61), ("android", "bad-token-the-simulator-rejects")],
)
def test_a_token_the_provider_rejects_fails_the_dry_run_and_is_not_stored(
    public: httpx.Client, app: RegisteredApp, table: Table, platform: str, token: str
) -> None:
    user_id = user()
    body = app.ios(user_id, token) if platform == "ios" else app.android(user_id, token)
    request_id = public.post(app.v2, json=body, headers=TRACK).json()["RegistrationRequestId"]

    assert final_statuses(public, app, [request_id]) == [{"Status": "Failed", "FailureReason": "DryRunSendingFailed"}]
    assert table.devices(app, user_id) == []


@pytest.mark.parametrize("token", ["ab" * 33, "a" * 65, "AB" * 32 + "C"], ids=["66-hex", "65-hex", "65-upper"])
def test_an_apns_token_longer_than_64_hex_digits_fails_with_device_token_too_long(
    public: httpx.Client, app: RegisteredApp, table: Table, token: str
) -> None:
    user_id = user()
    accepted = public.post(app.v2, json=app.ios(user_id, token), headers=TRACK)
    assert accepted.status_code == 202, accepted.text

    request_id = accepted.json()["RegistrationRequestId"]
    assert final_statuses(public, app, [request_id]) == [{"Status": "Failed", "FailureReason": "DeviceTokenTooLong"}]
    assert table.devices(app, user_id) == []


@pytest.mark.parametrize("token", ["ab" * 33, "a" * 65])
def test_v1_refuses_an_apns_token_past_64_hex_digits_naming_it(
    public: httpx.Client, app: RegisteredApp, table: Table, token: str
) -> None:
    user_id = user()
    response = public.post(
        app.v1(user_id), json={"ApnsDeviceContract": {"ApnsToken": token}, "ApiToken": app.api_token}
    )

    assert response.status_code == 400, response.text
    assert any("ApnsToken" in field for field in fields(response)), response.text
    assert "DeviceTokenTooLong" in response.text
    assert table.devices(app, user_id) == []


# ------------------------------------------------------------------ batch


def test_batch_of_100_mixed_platforms_answers_ids_in_request_order(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    users = [user() for _ in range(50)]
    items: list[dict[str, Any]] = []
    for user_id in users:
        items += [app.ios(user_id, hex_token()), app.android(user_id, fcm_token())]

    response = public.post(f"{app.v2}/batch", json=items, headers=TRACK)

    assert response.status_code == 202, response.text
    ids = [entry["RegistrationRequestId"] for entry in response.json()]
    assert len(ids) == 100 == len(set(ids))
    assert final_statuses(public, app, ids) == [{"Status": "Success"}] * 100
    stored = table.devices(app, users[7])
    tokens = {d["platform"]: d["token"] for d in stored}
    assert tokens == {"ios": items[14]["ApnsDeviceToken"], "android": items[15]["FcmDeviceToken"]}


def test_batch_of_101_is_rejected_and_nothing_is_enqueued(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    user_id = user()
    response = public.post(f"{app.v2}/batch", json=[app.android(user_id, fcm_token())] * 101, headers=TRACK)

    assert response.status_code == 400
    assert fields(response) == {"body"}
    assert table.devices(app, user_id) == []


def test_one_bad_item_rejects_the_whole_batch_naming_its_index(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    user_id = user()
    good = app.android(user_id, fcm_token())
    response = public.post(f"{app.v2}/batch", json=[good, {**good, "UserId": ""}, app.ios(user_id, "xyz")])

    assert response.status_code == 400
    assert fields(response) == {"[1].UserId", "[2].ApnsDeviceToken"}
    assert table.devices(app, user_id) == []


# ------------------------------------------------------------------ rejected requests store nothing


@pytest.mark.parametrize("wrong", ["token", "app", "org"])
def test_wrong_api_token_app_or_org_is_a_400_and_stores_nothing(
    public: httpx.Client, app: RegisteredApp, table: Table, wrong: str
) -> None:
    user_id = user()
    body = app.android(user_id, fcm_token())
    path = app.v2
    if wrong == "token":
        body["ApiToken"] = app.api_token[:-4] + "AAAA"
    elif wrong == "app":
        body["MobileAppId"] = str(uuid.uuid4())
    else:
        path = path.replace(app.org_id, str(uuid.uuid4()))

    response = public.post(path, json=body, headers=TRACK)

    assert response.status_code == 400
    assert fields(response) == {"ApiToken"}
    assert "RegistrationRequestId" not in response.text
    assert table.devices(app, user_id) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"MobileAppId": "x"}, "UserId"),
        ({"UserId": None}, "UserId"),
        ({"ApnsDeviceToken": None, "FcmDeviceToken": None}, "ApnsDeviceToken"),
        ({"FcmDeviceToken": "also-one"}, "ApnsDeviceToken"),
        ({"ApnsDeviceToken": "not-hex"}, "ApnsDeviceToken"),
        ({"ApnsDeviceToken": "abc"}, "ApnsDeviceToken"),
        ({"MobileAppId": "not-a-guid"}, "MobileAppId"),
        ({"UserId": "a#b"}, "UserId"),
    ],
)
def test_malformed_bodies_are_400_naming_the_field(
    public: httpx.Client, app: RegisteredApp, body: dict[str, Any], field: str
) -> None:
    base = app.ios(user(), hex_token())
    merged = {**base, **body}
    if body == {"MobileAppId": "x"}:
        del merged["UserId"]
        merged["MobileAppId"] = app.app_id

    response = public.post(app.v2, json=merged)

    assert response.status_code == 400, response.text
    assert field in fields(response)


def test_non_json_body_and_bad_callback_headers_are_400(public: httpx.Client, app: RegisteredApp) -> None:
    not_json = public.post(app.v2, content=b'{"MobileAppId": ', headers={"content-type": "application/json"})
    bad_headers = public.post(
        app.v2,
        json=app.android(user(), fcm_token()),
        headers={"x-ms-callback-url": "https://example.com/hook", "x-ms-callback-url-headers": "[1, 2]"},
    )

    assert (not_json.status_code, fields(not_json)) == (400, {"body"})
    assert (bad_headers.status_code, fields(bad_headers)) == (400, {"header.x-ms-callback-url-headers"})


def test_registering_an_apns_token_for_an_app_without_ios_is_a_400(
    public: httpx.Client, admin: httpx.Client, app: RegisteredApp
) -> None:
    created = admin.post(
        f"/admin/v1/orgs/{app.org_id}/mobileapps",
        json={"Name": "Android only", "Android": {"ServiceAccountJson": _android_only_account()}},
    )
    assert created.status_code == 201, created.text
    android_only = created.json()["MobileAppId"]
    token = admin.post(f"/admin/v1/orgs/{app.org_id}/mobileapps/{android_only}/tokens", json={}).json()["ApiToken"]

    response = public.post(
        app.v2,
        json={"MobileAppId": android_only, "UserId": user(), "ApiToken": token, "ApnsDeviceToken": hex_token()},
    )

    assert response.status_code == 400
    assert fields(response) == {"ApnsDeviceToken"}


def _android_only_account() -> dict[str, Any]:

    return generate_fcm_service_account("android-only").info


# ------------------------------------------------------------------ v1, the legacy API


def test_v1_doc_examples_store_ios_and_android_devices_synchronously(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    user_id, apns, fcm = user(), hex_token().upper(), fcm_token()

    ios = public.post(app.v1(user_id), json={"ApnsDeviceContract": {"ApnsToken": apns}, "ApiToken": app.api_token})
    android = public.post(app.v1(user_id), json={"FcmDeviceContract": {"FcmToken": fcm}, "ApiToken": app.api_token})
    again = public.post(app.v1(user_id), json={"FcmDeviceContract": {"FcmToken": fcm}, "ApiToken": app.api_token})

    assert (ios.status_code, android.status_code, again.status_code) == (200, 200, 200)
    assert {d["platform"]: d["token"] for d in table.devices(app, user_id)} == {"ios": apns.lower(), "android": fcm}


def test_v1_with_a_wrong_api_token_is_a_400_and_stores_nothing(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    user_id = user()
    response = public.post(
        app.v1(user_id), json={"FcmDeviceContract": {"FcmToken": fcm_token()}, "ApiToken": "pgat_nope"}
    )

    assert (response.status_code, fields(response)) == (400, {"ApiToken"})
    assert table.devices(app, user_id) == []


# ------------------------------------------------------------------ cleanup


def test_cleanup_with_a_device_token_removes_that_device_only(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    user_id, apns, fcm = user(), hex_token(), fcm_token()
    public.post(app.v1(user_id), json={"ApnsDeviceContract": {"ApnsToken": apns}, "ApiToken": app.api_token})
    public.post(app.v1(user_id), json={"FcmDeviceContract": {"FcmToken": fcm}, "ApiToken": app.api_token})

    response = public.post(
        f"{app.v2}/cleanup",
        json={"MobileAppId": app.app_id, "ApiToken": app.api_token, "UserId": user_id, "DeviceToken": apns.upper()},
    )

    assert response.status_code == 202
    assert [d["platform"] for d in table.devices(app, user_id)] == ["android"]
    assert table.item(f"DEVTOKEN#{app.org_id}#{app.app_id}#ios#{sha(apns)}", "DEVTOKEN") is None


def test_cleanup_without_a_device_token_removes_all_of_the_users_devices(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    user_id = user()
    for token in (hex_token(), hex_token()):
        public.post(app.v1(user_id), json={"ApnsDeviceContract": {"ApnsToken": token}, "ApiToken": app.api_token})
    assert len(table.devices(app, user_id)) == 2

    response = public.post(
        f"{app.v2}/cleanup", json={"MobileAppId": app.app_id, "ApiToken": app.api_token, "UserId": user_id}
    )

    assert response.status_code == 202
    assert table.devices(app, user_id) == []


def test_cleanup_batch_takes_an_array_and_the_docs_single_object(
    public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    users = [user(), user(), user()]
    for user_id in users:
        public.post(app.v1(user_id), json={"FcmDeviceContract": {"FcmToken": fcm_token()}, "ApiToken": app.api_token})

    as_array = public.post(
        f"{app.v2}/cleanup/batch",
        json=[{"MobileAppId": app.app_id, "ApiToken": app.api_token, "UserId": u} for u in users[:2]],
    )
    as_object = public.post(
        f"{app.v2}/cleanup/batch", json={"MobileAppId": app.app_id, "ApiToken": app.api_token, "UserId": users[2]}
    )

    assert (as_array.status_code, as_object.status_code) == (202, 202)
    assert [table.devices(app, u) for u in users] == [[], [], []]


def test_cleanup_with_a_wrong_api_token_removes_nothing(public: httpx.Client, app: RegisteredApp, table: Table) -> None:
    user_id = user()
    public.post(app.v1(user_id), json={"FcmDeviceContract": {"FcmToken": fcm_token()}, "ApiToken": app.api_token})

    response = public.post(
        f"{app.v2}/cleanup/batch",
        json=[
            {"MobileAppId": app.app_id, "ApiToken": app.api_token, "UserId": user_id},
            {"MobileAppId": app.app_id, "ApiToken": "pgat_wrong", "UserId": user_id},
        ],
    )

    assert (response.status_code, fields(response)) == (400, {"[1].ApiToken"})
    assert len(table.devices(app, user_id)) == 1


# ------------------------------------------------------------------ the 2024 status batch


def test_the_2024_status_batch_get_answers_as_the_status_route(public: httpx.Client, app: RegisteredApp) -> None:
    done = public.post(app.v2, json=app.ios(user(), hex_token()), headers=TRACK).json()["RegistrationRequestId"]
    failed = public.post(app.v2, json=app.ios(user(), "ab" * 33), headers=TRACK).json()["RegistrationRequestId"]
    final_statuses(public, app, [done, failed])
    unknown = str(uuid.uuid4())
    items = [{"RegistrationRequestId": rid, "ApiToken": app.api_token} for rid in (done, failed, unknown)]

    # The form CI-J documented for a day: a GET with an array body, no MobileAppId.
    response = public.request("GET", f"{app.v2}/status/batch", json=items)

    assert response.status_code == 200, response.text
    assert response.json() == statuses(public, app, [done, failed, unknown])
    assert response.json() == [
        {"Status": "Success"},
        {"Status": "Failed", "FailureReason": "DeviceTokenTooLong"},
        {"Status": "Pending"},
    ]
    posted = public.post(f"{app.v2}/status/batch", json=[{**items[0], "MobileAppId": app.app_id}])
    assert (posted.status_code, posted.json()) == (200, [{"Status": "Success"}])


def test_the_status_batch_refuses_a_token_of_no_app_and_malformed_ids(public: httpx.Client, app: RegisteredApp) -> None:
    rid = str(uuid.uuid4())
    forged = app.api_token[:-4] + ("AAAA" if not app.api_token.endswith("AAAA") else "BBBB")
    bad_token = public.request(
        "GET", f"{app.v2}/status/batch", json=[{"RegistrationRequestId": rid, "ApiToken": forged}]
    )
    assert bad_token.status_code == 400
    assert fields(bad_token) == {"[0].ApiToken"}
    bad_id = public.request(
        "GET", f"{app.v2}/status/batch", json=[{"RegistrationRequestId": "nope", "ApiToken": app.api_token}]
    )
    assert bad_id.status_code == 400
    assert fields(bad_id) == {"[0].RegistrationRequestId"}
