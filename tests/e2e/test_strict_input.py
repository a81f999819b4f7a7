"""Operator routes take integers as JSON integers and time zones that exist everywhere, over HTTP:
no string, boolean or decimal stands in for a number, no host-dependent zone name is stored, and a
message cannot be saved with an ``ExpiresAt`` already past. Each is a 400 naming the field, and
nothing is written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.registration_support import create_app

pytestmark = pytest.mark.stack

#: Strings, booleans and decimals are not integers, however they read.
NOT_INTEGERS: list[Any] = ["30", " 30 ", 30.0, True, "3", "60", 1e1]
#: Names some hosts' tzdata has that are no zone: ``localtime`` (the host's own), ``Factory`` (tzdata's
#: placeholder), ``posixrules``, and the ``posix/``/``right/`` trees.
HOST_ZONES = ["localtime", "Factory", "posixrules", "posix/Europe/Paris", "right/UTC"]


def _fields(response: httpx.Response) -> dict[str, str]:
    return {detail["Field"]: detail["Problem"] for detail in response.json()["Error"]["Details"]}


@pytest.fixture
def app_url(admin: httpx.Client, org_id: str) -> str:
    return f"/admin/v1/orgs/{org_id}/mobileapps/{create_app(admin, org_id).app_id}"


@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_token_policy_days_are_json_integers(admin: httpx.Client, app_url: str, value: Any) -> None:
    for field in ("StaleAfterDays", "InvalidGraceDays", "StaleGraceDays"):
        refused = admin.put(f"{app_url}/token-policy", json={field: value})
        assert refused.status_code == 400, (field, value, refused.text)
        assert field in _fields(refused)
    assert admin.get(f"{app_url}/token-policy").json()["IsDefault"] is True
    assert admin.put(f"{app_url}/token-policy", json={"StaleAfterDays": 30}).status_code == 200


@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_frequency_caps_are_json_integers(admin: httpx.Client, app_url: str, value: Any) -> None:
    for cap in ({"MaxNotifications": value, "PeriodHours": 24}, {"MaxNotifications": 3, "PeriodHours": value}):
        for body in ({"FrequencyCap": cap}, {"CategoryCaps": {"promo": cap}}):
            refused = admin.put(f"{app_url}/delivery-policy", json=body)
            assert refused.status_code == 400, (body, refused.text)
            assert any(name in field for field in _fields(refused) for name in cap if cap[name] is value), _fields(
                refused
            )
    assert admin.get(f"{app_url}/delivery-policy").json()["IsDefault"] is True


def test_a_dataverse_zone_code_is_a_json_integer_and_true_is_not_one(admin: httpx.Client, app_url: str) -> None:
    refused = admin.put(f"{app_url}/delivery-policy", json={"DefaultTimeZone": True})
    assert refused.status_code == 400, refused.text
    assert "DefaultTimeZone" in _fields(refused)
    stored = admin.put(f"{app_url}/delivery-policy", json={"DefaultTimeZone": 110})
    assert stored.status_code == 200, stored.text
    assert stored.json()["DefaultTimeZoneResolved"] == "Europe/Berlin"


@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_message_numbers_are_json_integers(admin: httpx.Client, org_id: str, value: Any) -> None:
    url = f"/admin/v1/orgs/{org_id}/pushmessages"
    for body, field in (
        ({"TimeToLiveSeconds": value}, "TimeToLiveSeconds"),
        ({"Ios": {"Badge": value}}, "Ios.Badge"),
    ):
        refused = admin.post(url, json={"Name": "n", "Title": "t", "Body": "b", **body})
        assert refused.status_code == 400, (body, refused.text)
        assert field in _fields(refused)
    assert admin.get(url).json()["PushMessages"] == []
    # Zero stays a valid time to live: deliver now or never.
    assert admin.post(url, json={"Name": "n", "Title": "t", "Body": "b", "TimeToLiveSeconds": 0}).status_code == 201


@pytest.mark.parametrize("zone", HOST_ZONES)
def test_host_dependent_zone_names_are_refused_everywhere(
    admin: httpx.Client, org_id: str, app_url: str, zone: str
) -> None:
    policy = admin.put(f"{app_url}/delivery-policy", json={"DefaultTimeZone": zone})
    assert policy.status_code == 400, policy.text
    assert "DefaultTimeZone" in _fields(policy)

    contact = admin.put(f"/admin/v1/orgs/{org_id}/contacts/{uuid.uuid4()}", json={"timezone": zone})
    assert contact.status_code == 400, contact.text
    assert "timezone" in _fields(contact)


def test_real_zones_are_still_accepted(admin: httpx.Client, org_id: str, app_url: str) -> None:
    for zone in ("Europe/Paris", "UTC", "Etc/GMT+5", "Asia/Calcutta", "W. Europe Standard Time", "110"):
        policy = admin.put(f"{app_url}/delivery-policy", json={"DefaultTimeZone": zone})
        assert policy.status_code == 200, (zone, policy.text)
        contact = admin.put(f"/admin/v1/orgs/{org_id}/contacts/{uuid.uuid4()}", json={"timezone": zone})
        assert contact.status_code == 201, (zone, contact.text)


def test_a_message_cannot_be_saved_already_expired(admin: httpx.Client, org_id: str) -> None:
    url = f"/admin/v1/orgs/{org_id}/pushmessages"
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused = admin.post(url, json={"Name": "n", "Title": "t", "Body": "b", "ExpiresAt": past})
    assert refused.status_code == 400, refused.text
    assert "has passed" in _fields(refused)["ExpiresAt"]
    assert admin.get(url).json()["PushMessages"] == []

    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = admin.post(url, json={"Name": "n", "Title": "t", "Body": "b", "ExpiresAt": future})
    assert created.status_code == 201, created.text
    message_url = f"{url}/{created.json()['MessageId']}"
    patched = admin.patch(message_url, json={"ExpiresAt": past})
    assert patched.status_code == 400, patched.text
    assert "ExpiresAt" in _fields(patched)
    assert admin.get(message_url).json()["Version"] == 1
