"""Helpers of the device-registration e2e tests: an app with both platforms, status polling, table reads."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import httpx

from pushgate_local.credentials import generate_apns_auth_key, generate_fcm_service_account
from pushgate_local.runtime import LocalRuntime

BUNDLE_ID = "com.contoso.pushgate"
#: Long enough for the worker to finish a batch on a loaded 2-core machine; polling ends as soon as it does.
DEADLINE_S = 60.0


@dataclass(frozen=True)
class RegisteredApp:
    """An org with an app (iOS Sandbox token auth + Android) and an ApiToken."""

    org_id: str
    app_id: str
    api_token: str

    @property
    def v2(self) -> str:
        return f"/api/v1.0/orgs/{self.org_id}/pushdeviceregistration/devices"

    def v1(self, user_id: str, app_id: str | None = None) -> str:
        return f"/api/v1.0/orgs/{self.org_id}/pushchannel/apps/{app_id or self.app_id}/devices/{user_id}"

    def ios(self, user_id: str, token: str, **extra: Any) -> dict[str, Any]:
        return {
            "MobileAppId": self.app_id,
            "UserId": user_id,
            "ApiToken": self.api_token,
            "ApnsDeviceToken": token,
            **extra,
        }

    def android(self, user_id: str, token: str, **extra: Any) -> dict[str, Any]:
        return {
            "MobileAppId": self.app_id,
            "UserId": user_id,
            "ApiToken": self.api_token,
            "FcmDeviceToken": token,
            **extra,
        }


def create_app(admin: httpx.Client, org_id: str) -> RegisteredApp:
    key = generate_apns_auth_key()
    account = generate_fcm_service_account("contoso-devices")
    created = admin.post(
        f"/admin/v1/orgs/{org_id}/mobileapps",
        json={
            "Name": "Devices app",
            "Ios": {
                "AuthMode": "Token",
                "AppMode": "Sandbox",
                "BundleId": BUNDLE_ID,
                "TeamId": key.team_id,
                "KeyId": key.key_id,
                "SigningKey": key.private_key_pem,
            },
            "Android": {"ServiceAccountJson": account.info},
        },
    )
    assert created.status_code == 201, created.text
    app_id = created.json()["MobileAppId"]
    token = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/tokens", json={"Label": "e2e"})
    assert token.status_code == 201, token.text
    return RegisteredApp(org_id, app_id, token.json()["ApiToken"])


def wait_until(condition: Callable[[], Any], what: str, deadline_s: float = DEADLINE_S) -> Any:
    """Polls ``condition`` until it returns something truthy (the worker runs asynchronously)."""
    end = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def statuses(public: httpx.Client, app: RegisteredApp, ids: list[str], *, slash: bool = False) -> list[dict[str, Any]]:
    response = public.post(
        f"{app.v2}/status" + ("/" if slash else ""),
        json={"RegistrationRequestIds": ids, "MobileAppId": app.app_id, "ApiToken": app.api_token},
    )
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def final_statuses(public: httpx.Client, app: RegisteredApp, ids: list[str]) -> list[dict[str, Any]]:
    """The statuses once none is ``Pending`` any more."""

    def done() -> list[dict[str, Any]] | None:
        found = statuses(public, app, ids)
        return None if any(item["Status"] == "Pending" for item in found) else found

    result: list[dict[str, Any]] = wait_until(done, f"{len(ids)} registrations to finish")
    return result


class Table:
    """Direct reads of the main table, to see what the API stored."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self._client = boto3.client("dynamodb", endpoint_url=runtime.dynamodb_url, region_name=runtime.config.region)
        self._name = runtime.resources.table_names["MainTable"]

    def devices(self, app: RegisteredApp, user_id: str) -> list[dict[str, Any]]:
        response = self._client.query(
            TableName=self._name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"DEVICES#{app.org_id}#{app.app_id}#{user_id}"}},
            ConsistentRead=True,
        )
        return [{name: next(iter(value.values())) for name, value in item.items()} for item in response["Items"]]

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self._name, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        )
        raw = response.get("Item")
        return None if raw is None else {name: next(iter(value.values())) for name, value in raw.items()}
