"""The public device API read as ASP.NET Core reads CI-J's: JSON names in any letter case, one trailing slash.

CI-J's public API is ASP.NET Core, whose JSON binding matches property names case-insensitively and
whose routes take a trailing slash; apps written against it send ``{"trackingId", ...}`` and
``.../devices/``. Every public device route is driven here over HTTP through the dev server (the
template's own routes), and the operator routes are shown to stay strict.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, create_app, final_statuses
from tests.e2e.test_sends import create_active_message, seed, wait_for_completion

pytestmark = pytest.mark.stack

TRACK = {"x-ms-track-registration": "true"}


def hex_token() -> str:
    return "0" + uuid.uuid4().hex[1:] + uuid.uuid4().hex


def fcm_token() -> str:
    return f"fcm-{uuid.uuid4().hex}:APA91b{uuid.uuid4().hex}"


def problems(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    return {detail["Field"]: detail["Problem"] for detail in response.json()["Error"]["Details"]}


@pytest.fixture(scope="module")
def app(admin: httpx.Client) -> RegisteredApp:
    org = admin.post("/admin/v1/orgs", json={"Name": "ASP.NET forms org"})
    assert org.status_code == 201, org.text
    return create_app(admin, org.json()["OrgId"])


def devices(admin: httpx.Client, app: RegisteredApp, user_id: str) -> list[dict[str, Any]]:
    listed = admin.get(f"/admin/v1/orgs/{app.org_id}/mobileapps/{app.app_id}/devices/{user_id}")
    assert listed.status_code == 200, listed.text
    found: list[dict[str, Any]] = listed.json()["Devices"]
    return found


# ------------------------------------------------------------------ registration, v1 and v2


def test_v1_register_takes_camel_and_lower_case_names_and_a_trailing_slash(
    admin: httpx.Client, public: httpx.Client, app: RegisteredApp
) -> None:
    ios_user, android_user = str(uuid.uuid4()), str(uuid.uuid4())
    token = hex_token()

    camel = public.post(
        app.v1(ios_user) + "/", json={"apiToken": app.api_token, "apnsDeviceContract": {"apnsToken": token}}
    )
    lower = public.post(
        app.v1(android_user), json={"apitoken": app.api_token, "fcmdevicecontract": {"FCMTOKEN": fcm_token()}}
    )

    assert camel.status_code == 200, camel.text
    assert lower.status_code == 200, lower.text
    assert [(d["Platform"], d["Token"]) for d in devices(admin, app, ios_user)] == [("ios", token)]
    assert [d["Platform"] for d in devices(admin, app, android_user)] == ["android"]


def test_v2_register_status_and_cleanup_take_camel_case_names_and_a_trailing_slash(
    admin: httpx.Client, public: httpx.Client, app: RegisteredApp
) -> None:
    user_id, token = str(uuid.uuid4()), hex_token()
    body = {"mobileAppId": app.app_id, "userId": user_id, "apiToken": app.api_token, "apnsDeviceToken": token}

    accepted = public.post(app.v2 + "/", json=body, headers=TRACK)

    assert accepted.status_code == 202, accepted.text
    request_id = accepted.json()["RegistrationRequestId"]
    status_body = {"registrationRequestIds": [request_id], "mobileAppId": app.app_id, "apiToken": app.api_token}
    assert final_statuses(public, app, [request_id]) == [{"Status": "Success"}]
    status = public.post(f"{app.v2}/status/", json=status_body)
    assert status.status_code == 200, status.text
    assert status.json() == [{"Status": "Success"}]
    status_batch = public.request(
        "GET", f"{app.v2}/status/batch/", json=[{"registrationRequestId": request_id, "apitoken": app.api_token}]
    )
    assert status_batch.status_code == 200, status_batch.text
    assert status_batch.json() == [{"Status": "Success"}]

    cleaned = public.post(
        f"{app.v2}/cleanup/",
        json={"MOBILEAPPID": app.app_id, "apiToken": app.api_token, "userid": user_id, "deviceToken": token},
    )
    assert cleaned.status_code == 202, cleaned.text
    assert devices(admin, app, user_id) == []


def test_v2_batches_take_lower_case_names_and_a_trailing_slash(
    admin: httpx.Client, public: httpx.Client, app: RegisteredApp
) -> None:
    users = [str(uuid.uuid4()), str(uuid.uuid4())]
    items = [
        {"mobileappid": app.app_id, "userid": users[0], "apitoken": app.api_token, "fcmdevicetoken": fcm_token()},
        {"mobileAppId": app.app_id, "userId": users[1], "apiToken": app.api_token, "apnsDeviceToken": hex_token()},
    ]

    accepted = public.post(f"{app.v2}/batch/", json=items, headers=TRACK)

    assert accepted.status_code == 202, accepted.text
    request_ids = [item["RegistrationRequestId"] for item in accepted.json()]
    assert final_statuses(public, app, request_ids) == [{"Status": "Success"}, {"Status": "Success"}]
    cleaned = public.post(
        f"{app.v2}/cleanup/batch/",
        json=[{"mobileAppId": app.app_id, "apiToken": app.api_token, "userId": user} for user in users],
    )
    assert cleaned.status_code == 202, cleaned.text
    assert [devices(admin, app, user) for user in users] == [[], []]


# ------------------------------------------------------------------ events, v1 and v2


def test_event_reports_take_camel_case_names_and_a_trailing_slash(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, app: RegisteredApp
) -> None:
    # The request: {"trackingId", "deviceToken", "pushNotificationStatus": 1}, once on each route.
    assert dev_stack.simulator is not None
    population = seed(dev_stack, app, 2)
    message_id = create_active_message(admin, app.org_id)
    recipients = [{"UserId": user, "TriggerData": {"order": "SO-1"}} for user in population.users]
    send = admin.post(
        f"/admin/v1/orgs/{app.org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": recipients},
    )
    assert send.status_code == 202, send.text
    wait_for_completion(admin, app.org_id, send.json()["SendId"])
    received = [n for t in population.tokens("valid") for n in dev_stack.simulator.notifications(token=t)]
    first, second = ((n["token"], (n["payload"].get("data") or n["payload"]["message"]["data"])) for n in received[:2])
    org = f"/api/v1.0/orgs/{app.org_id}"

    v2 = public.post(
        f"{org}/pushdatareceiver/events/",
        json={"trackingId": first[1]["trackingId"], "deviceToken": first[0], "pushNotificationStatus": 1},
    )
    v1 = public.post(
        f"{org}/pushchannel/event/trackings/{second[1]['trackingId']}/",
        json={"devicetoken": second[0], "pushnotificationstatus": "Opened"},
    )

    assert v2.status_code == 202, v2.text
    assert v1.status_code == 200, v1.text
    insights = admin.get(f"/admin/v1/orgs/{app.org_id}/insights/messages/{message_id}")
    assert insights.status_code == 200, insights.text
    assert insights.json()["Overall"]["Opened"] == 2


# ------------------------------------------------------------------ user mapping


def test_user_mapping_lookup_takes_camel_case_names_and_a_trailing_slash(
    admin: httpx.Client, public: httpx.Client, app: RegisteredApp
) -> None:
    person_id = str(uuid.uuid4())
    email = f"ana-{uuid.uuid4().hex[:8]}@contoso.com"
    stored = admin.put(f"/admin/v1/orgs/{app.org_id}/contacts/{person_id}", json={"emailaddress1": email})
    assert stored.status_code in {200, 201}, stored.text
    enabled = admin.patch(f"/admin/v1/orgs/{app.org_id}/mobileapps/{app.app_id}", json={"UserResolveEnabled": True})
    assert enabled.status_code == 200, enabled.text

    resolved = public.post(
        f"/api/v1.0/orgs/{app.org_id}/pushusermapping/resolve/",
        json={"mobileAppId": app.app_id, "apiToken": app.api_token, "email": email},
    )

    assert resolved.status_code == 200, resolved.text
    assert resolved.json() == {"UserId": person_id, "EntityType": "contact"}


# ------------------------------------------------------------------ what stays refused


def test_a_name_sent_twice_in_different_cases_is_refused_naming_the_field(
    public: httpx.Client, app: RegisteredApp
) -> None:
    user_id = str(uuid.uuid4())
    body = {"MobileAppId": app.app_id, "UserId": user_id, "ApiToken": app.api_token, "apiToken": "pgat_other"}

    found = problems(public.post(app.v2, json={**body, "FcmDeviceToken": fcm_token()}))
    nested = problems(
        public.post(
            app.v1(user_id),
            json={"ApiToken": app.api_token, "ApnsDeviceContract": {"ApnsToken": hex_token(), "apnsToken": "00"}},
        )
    )

    assert set(found) == {"ApiToken"}
    assert "ApiToken" in found["ApiToken"] and "apiToken" in found["ApiToken"]
    assert set(nested) == {"ApnsDeviceContract.ApnsToken"}


def test_names_match_only_by_letter_case_not_by_look_alike_letters(public: httpx.Client, app: RegisteredApp) -> None:
    # U+212A KELVIN SIGN lower-cases to "k" in Python, but is not the letter K (nor is it to .NET).
    body = {"MobileAppId": app.app_id, "UserId": str(uuid.uuid4()), "ApiTo\u212aen": app.api_token}

    assert "ApiToken" in problems(public.post(app.v2, json={**body, "FcmDeviceToken": fcm_token()}))


def test_only_one_trailing_slash_is_taken(public: httpx.Client, app: RegisteredApp) -> None:
    body = app.android(str(uuid.uuid4()), fcm_token())

    assert public.post(app.v2 + "//", json=body).status_code == 404
    assert public.post(f"/api/v1.0/orgs/{app.org_id}/pushdatareceiver/events//", json={}).status_code == 404


def test_operator_routes_stay_strict_about_names_and_paths(admin: httpx.Client, app: RegisteredApp) -> None:
    apps = f"/admin/v1/orgs/{app.org_id}/mobileapps"

    assert admin.get(apps).status_code == 200
    assert admin.get(apps + "/").status_code == 404
    assert admin.post("/admin/v1/orgs/", json={"Name": "Slash org"}).status_code == 404
    assert "Name" in problems(admin.post("/admin/v1/orgs", json={"name": "Camel org"}))
