"""The live credential check (``POST .../validate``) against the provider simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pushgate_local.credentials import generate_apns_auth_key, generate_apns_certificate, generate_fcm_service_account
from pushgate_local.runtime import LocalRuntime
from pushgate_local.simulator import RunningSimulator

pytestmark = pytest.mark.stack

BUNDLE_ID = "com.contoso.checks"


@pytest.fixture
def simulator(dev_stack: LocalRuntime) -> Iterator[RunningSimulator]:
    assert dev_stack.simulator is not None
    yield dev_stack.simulator
    dev_stack.simulator.configure(strict=False)


def _app(admin: httpx.Client, org_id: str, body: dict[str, Any]) -> str:
    response = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps", json={"Name": "checked", **body})
    assert response.status_code == 201, response.text
    return str(response.json()["MobileAppId"])


def _validate(admin: httpx.Client, org_id: str, app_id: str) -> dict[str, Any]:
    response = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/validate")
    assert response.status_code == 200, response.text
    checks: dict[str, Any] = response.json()["CredentialValidation"]
    return checks


def test_registered_keys_are_valid_and_stored(admin: httpx.Client, org_id: str, simulator: RunningSimulator) -> None:
    # Given keys the provider knows (the simulator checks the signatures of registered keys)
    key = generate_apns_auth_key()
    account = generate_fcm_service_account("checks-project")
    simulator.register_apns_key(key.team_id, key.key_id, key.public_key_pem)
    simulator.register_fcm_key(account.client_email, account.public_key_pem, account.private_key_id)
    simulator.configure(strict=True)
    app_id = _app(
        admin,
        org_id,
        {
            "Ios": {
                "AuthMode": "Token",
                "AppMode": "Production",
                "BundleId": BUNDLE_ID,
                "TeamId": key.team_id,
                "KeyId": key.key_id,
                "SigningKey": key.private_key_pem,
            },
            "Android": {"ServiceAccountJson": account.info},
        },
    )

    # When the operator asks for the live check
    checks = _validate(admin, org_id, app_id)

    # Then both are Valid, with the time of the check, and the result is stored
    assert {p: c["Status"] for p, c in checks.items()} == {"Ios": "Valid", "Android": "Valid"}
    assert all(c["CheckedAt"] for c in checks.values())
    stored = admin.get(f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}").json()["CredentialValidation"]
    assert stored == checks
    # And the provider really was asked, with a silent push that no device would show
    probes = simulator.notifications(token="0" * 64)
    assert probes and all(p["headers"]["apns-push-type"] == "background" for p in probes)


def test_keys_the_provider_rejects_are_invalid_with_the_reason(
    admin: httpx.Client, org_id: str, simulator: RunningSimulator
) -> None:
    key = generate_apns_auth_key()
    account = generate_fcm_service_account("unknown-project")
    simulator.configure(strict=True)  # the provider does not know these keys
    app_id = _app(
        admin,
        org_id,
        {
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

    checks = _validate(admin, org_id, app_id)

    assert checks["Ios"]["Status"] == "Invalid"
    assert "InvalidProviderToken" in checks["Ios"]["Reason"]
    assert checks["Android"]["Status"] == "Invalid"
    assert "Google rejected the service account" in checks["Android"]["Reason"]


def test_certificate_auth_is_checked_too(admin: httpx.Client, org_id: str, simulator: RunningSimulator) -> None:
    certificate = generate_apns_certificate(BUNDLE_ID, password="pw-123456")
    app_id = _app(
        admin,
        org_id,
        {
            "Ios": {
                "AuthMode": "Certificate",
                "AppMode": "Production",
                "Certificate": certificate.p12_base64,
                "CertificatePassword": "pw-123456",
            }
        },
    )

    checks = _validate(admin, org_id, app_id)

    assert checks["Ios"]["Status"] == "Valid", checks


def test_a_changed_credential_goes_back_to_unchecked(
    admin: httpx.Client, org_id: str, simulator: RunningSimulator
) -> None:
    key, other = generate_apns_auth_key(), generate_apns_auth_key()
    ios = {
        "AuthMode": "Token",
        "AppMode": "Sandbox",
        "BundleId": BUNDLE_ID,
        "TeamId": key.team_id,
        "KeyId": key.key_id,
        "SigningKey": key.private_key_pem,
    }
    app_id = _app(admin, org_id, {"Ios": ios})
    assert _validate(admin, org_id, app_id)["Ios"]["Status"] == "Valid"

    changed = admin.patch(
        f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}",
        json={"Ios": {**ios, "KeyId": other.key_id, "SigningKey": other.private_key_pem}},
    )

    assert changed.json()["CredentialValidation"]["Ios"]["Status"] == "Unchecked"
