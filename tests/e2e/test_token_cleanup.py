"""The token lifecycle through the dev server: preview, dry run, the schedule, re-registration, policies.

Devices "registered long ago" are written through the real device adapters with a past clock
(the only way to age a token without waiting months); everything after that goes through HTTP
and the schedule the dev server fires.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest

from pushgate.adapters.dynamodb.device_verdicts import DynamoDeviceVerdicts
from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.device import Device, DevicePlatform, DeviceRef
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, Table, create_app

pytestmark = pytest.mark.stack

SCHEDULE = "/_local/schedules/CleanupTokensFunction"


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "0" + uuid.uuid4().hex[1:] + uuid.uuid4().hex  # never "bad...", the simulator's BadDeviceToken


@pytest.fixture(scope="module")
def table(dev_stack: LocalRuntime) -> Table:
    return Table(dev_stack)


@pytest.fixture(scope="module")
def main_table(dev_stack: LocalRuntime) -> MainTable:
    client = boto3.client("dynamodb", endpoint_url=dev_stack.dynamodb_url, region_name=dev_stack.config.region)
    return MainTable(client, dev_stack.resources.table_names["MainTable"])


def age_device(main_table: MainTable, app: RegisteredApp, user_id: str, token: str, *, registered: datetime) -> None:
    """Stores a device registered at a past moment, as the registration adapter would have then."""
    DynamoDeviceRepository(main_table).save(
        Device(
            org_id=app.org_id,
            app_id=app.app_id,
            user_id=user_id,
            platform=DevicePlatform.IOS,
            token=token,
            token_sha256=sha(token),
            registered_at=registered,
            last_registered_at=registered,
            status_changed_at=registered,
        ),
        expected_owner=None,
    )


def statuses(admin: httpx.Client, app: RegisteredApp, user_id: str) -> dict[str, str]:
    response = admin.get(f"/admin/v1/orgs/{app.org_id}/mobileapps/{app.app_id}/devices/{user_id}")
    assert response.status_code == 200, response.text
    return {d["Token"]: d["Status"] for d in response.json()["Devices"]}


def ours(report: dict[str, Any], app: RegisteredApp) -> list[tuple[str, str, int]]:
    return [(c["Action"], c["Reason"], c["Count"]) for c in report["Changes"] if c["AppId"] == app.app_id]


def test_preview_dry_run_and_the_daily_schedule(
    admin: httpx.Client, public: httpx.Client, org_id: str, main_table: MainTable, table: Table
) -> None:
    app = create_app(admin, org_id)
    now = datetime.now(UTC)
    stale, dead, revived = new_token(), new_token(), new_token()
    age_device(main_table, app, "alice", stale, registered=now - timedelta(days=300))
    for token in (dead, revived):
        age_device(main_table, app, "bob", token, registered=now - timedelta(days=40))
        assert DynamoDeviceVerdicts(main_table).mark_invalid(
            DeviceRef(app.org_id, app.app_id, "bob", DevicePlatform.IOS, sha(token)),
            reason="Unregistered",
            invalid_since=now - timedelta(days=20),
            send_id="send-e2e",
            at=now - timedelta(days=10),
        )

    # The preview and the scheduled dry run report per app and reason, and change nothing.
    preview = admin.post(f"/admin/v1/orgs/{org_id}/cleanup/preview")
    dry = admin.post(SCHEDULE + "/Daily", json={"DryRun": True}).json()["result"]
    assert preview.status_code == 200, preview.text
    assert ours(preview.json(), app) == [("MarkStale", "NotRegisteredWithinWindow", 1), ("Purge", "Unregistered", 2)]
    assert preview.json()["DryRun"] is True and preview.json()["Complete"] is True
    assert ours(dry, app) == ours(preview.json(), app)
    assert statuses(admin, app, "bob") == {dead: "Invalid", revived: "Invalid"}

    # The app registers one invalid token again: it is Active and the run must not purge it.
    again = public.post(app.v1("bob"), json={"ApiToken": app.api_token, "ApnsDeviceContract": {"ApnsToken": revived}})
    assert again.status_code == 200, again.text
    run = admin.post(SCHEDULE + "/Daily")
    assert run.status_code == 200 and run.json()["ok"], run.text
    report = run.json()["result"]

    assert report["Complete"] is True and report["DryRun"] is False
    assert ours(report, app) == [("MarkStale", "NotRegisteredWithinWindow", 1), ("Purge", "Unregistered", 1)]
    assert statuses(admin, app, "alice") == {stale: "Stale"}
    assert statuses(admin, app, "bob") == {revived: "Active"}
    assert table.item(f"DEVTOKEN#{app.org_id}#{app.app_id}#ios#{sha(dead)}", "DEVTOKEN") is None
    history = table.devices(app, "bob")[0]["history"]
    assert [entry["M"]["reason"]["S"] for entry in history] == ["ProviderVerdict", "RegisteredAgain"]

    # The hourly continuation finds no unfinished run.
    resumed = admin.post(SCHEDULE + "/Continue").json()["result"]
    assert resumed["SkippedReason"] == "no unfinished run to resume"


def test_token_policy_defaults_changes_and_bad_input(admin: httpx.Client, org_id: str) -> None:
    app = create_app(admin, org_id)
    path = f"/admin/v1/orgs/{org_id}/mobileapps/{app.app_id}/token-policy"

    default = admin.get(path)
    changed = admin.put(path, json={"StaleAfterDays": 180, "InvalidGraceDays": 3})
    read_back = admin.get(path)
    bad = admin.put(path, json={"StaleAfterDays": 1, "Surprise": True})
    missing = admin.get(f"/admin/v1/orgs/{org_id}/mobileapps/{uuid.uuid4()}/token-policy")
    bad_preview = admin.post(f"/admin/v1/orgs/{org_id}/cleanup/preview", json={"Unknown": 1})

    assert default.status_code == 200 and default.json()["StaleAfterDays"] == 270 and default.json()["IsDefault"]
    assert changed.status_code == 200, changed.text
    assert (read_back.json()["StaleAfterDays"], read_back.json()["InvalidGraceDays"]) == (180, 3)
    assert read_back.json()["StaleGraceDays"] == 30 and read_back.json()["IsDefault"] is False
    assert bad.status_code == 400
    assert {d["Field"] for d in bad.json()["Error"]["Details"]} == {"StaleAfterDays", "Surprise"}
    assert missing.status_code == 404
    assert bad_preview.status_code == 400
