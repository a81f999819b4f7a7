"""Deliveries parked on rejected credentials resume on their own once the credentials work.

The simulator runs strict (it rejects keys it was not given), so a send through an app whose keys
it does not know is parked; registering the keys and running the live check, or saving new keys,
puts the parked jobs back in the delivery queue, and every valid device gets exactly one notification.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pushgate_local.credentials import generate_apns_auth_key, generate_fcm_service_account
from pushgate_local.runtime import LocalRuntime
from pushgate_local.simulator import RunningSimulator
from tests.e2e.registration_support import BUNDLE_ID, RegisteredApp
from tests.e2e.test_sends import Population, create_active_message, seed, wait_for_completion

pytestmark = pytest.mark.stack

DEADLINE_S = 60.0


@pytest.fixture
def strict_simulator(dev_stack: LocalRuntime) -> Iterator[RunningSimulator]:
    assert dev_stack.simulator is not None
    dev_stack.simulator.configure(strict=True)
    yield dev_stack.simulator
    dev_stack.simulator.configure(strict=False)


def _credentials(project: str) -> tuple[dict[str, Any], dict[str, Any], Any, Any]:
    key = generate_apns_auth_key()
    account = generate_fcm_service_account(project)
    ios = {
        "AuthMode": "Token",
        "AppMode": "Sandbox",
        "BundleId": BUNDLE_ID,
        "TeamId": key.team_id,
        "KeyId": key.key_id,
        "SigningKey": key.private_key_pem,
    }
    return ios, {"ServiceAccountJson": account.info}, key, account


def _register(simulator: RunningSimulator, key: Any, account: Any) -> None:
    simulator.register_apns_key(key.team_id, key.key_id, key.public_key_pem)
    simulator.register_fcm_key(account.client_email, account.public_key_pem, account.private_key_id)


def _send_until_parked(admin: httpx.Client, app: RegisteredApp, population: Population) -> str:
    message_id = create_active_message(admin, app.org_id)
    accepted = admin.post(
        f"/admin/v1/orgs/{app.org_id}/sends",
        json={
            "MobileAppId": app.app_id,
            "MessageId": message_id,
            "Recipients": [{"UserId": u} for u in population.users],
        },
    )
    assert accepted.status_code == 202, accepted.text
    send_id = str(accepted.json()["SendId"])
    devices = sum(len(owned) for owned in population.devices.values())
    end = time.monotonic() + DEADLINE_S
    while True:
        totals = admin.get(f"/admin/v1/orgs/{app.org_id}/sends/{send_id}").json()
        if totals["Parked"] == devices:
            return send_id
        assert time.monotonic() < end, f"the deliveries were not parked: {totals}"
        time.sleep(0.2)


def _received(simulator: RunningSimulator, population: Population) -> Counter[str]:
    ours = {token for owned in population.devices.values() for _, token in owned}
    return Counter(n["token"] for n in simulator.notifications() if n["token"] in ours)


def _app_with(admin: httpx.Client, org_id: str, ios: dict[str, Any], android: dict[str, Any]) -> RegisteredApp:
    created = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps", json={"Name": "Parked", "Ios": ios, "Android": android})
    assert created.status_code == 201, created.text
    return RegisteredApp(org_id, str(created.json()["MobileAppId"]), "")


def _assert_resumed(
    admin: httpx.Client, simulator: RunningSimulator, app: RegisteredApp, population: Population, send_id: str
) -> None:
    totals = wait_for_completion(admin, app.org_id, send_id)
    valid = population.tokens("valid")
    received = _received(simulator, population)
    assert set(received) == set(valid)
    assert set(received.values()) == {1}
    assert totals["Sent"] == len(valid)
    assert totals["NotSentReasons"].get("DeliveryUncertain", 0) == 0


def test_a_live_check_that_finds_the_keys_valid_resumes_the_parked_deliveries(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str, strict_simulator: RunningSimulator
) -> None:
    # Given a send parked because the provider does not know the app's keys
    ios, android, key, account = _credentials("parked-check")
    app = _app_with(admin, org_id, ios, android)
    population = seed(dev_stack, app, 6)
    send_id = _send_until_parked(admin, app, population)
    assert not _received(strict_simulator, population)

    # When the keys become known to the provider and the operator runs the live check
    _register(strict_simulator, key, account)
    checked = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps/{app.app_id}/validate")
    assert checked.status_code == 200, checked.text
    assert {p: c["Status"] for p, c in checked.json()["CredentialValidation"].items()} == {
        "Ios": "Valid",
        "Android": "Valid",
    }

    # Then every valid device gets exactly one notification, without any other action
    _assert_resumed(admin, strict_simulator, app, population, send_id)


def test_saving_new_credentials_resumes_the_parked_deliveries(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str, strict_simulator: RunningSimulator
) -> None:
    ios, android, _, _ = _credentials("parked-unknown")
    app = _app_with(admin, org_id, ios, android)
    population = seed(dev_stack, app, 6)
    send_id = _send_until_parked(admin, app, population)

    new_ios, new_android, key, account = _credentials("parked-fixed")
    _register(strict_simulator, key, account)
    patched = admin.patch(
        f"/admin/v1/orgs/{org_id}/mobileapps/{app.app_id}", json={"Ios": new_ios, "Android": new_android}
    )
    assert patched.status_code == 200, patched.text

    _assert_resumed(admin, strict_simulator, app, population, send_id)
