"""`pushgate cleanup run` against the dev stack: the token cleanup runs now, on the one local clock.

A device is registered through the public API, the local clock is moved past its stale window with
``POST /_local/clock`` (as the demo and an operator do), and the CLI runs the scheduled cleanup:
the device is marked Stale, then, past the stale grace, purged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pushgate_cli.app import app as cli_app
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, create_app

pytestmark = pytest.mark.stack

DAY_S = 86_400


@pytest.fixture
def pushgate(dev_stack: LocalRuntime, tmp_path: Path) -> Iterator[Any]:
    """Runs `pushgate ARGS...` logged in to the dev stack; puts the local clock back afterwards."""
    runner = CliRunner()
    env = {"PUSHGATE_CONFIG": str(tmp_path / "config.json"), "PUSHGATE_ORG": None, "COLUMNS": "200"}

    def run(*args: str) -> str:
        result = runner.invoke(cli_app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.output}"
        return result.stdout

    run("login", "--local", "--local-json", str(dev_stack.config.state_dir / "local.json"))
    try:
        yield run
    finally:
        dev_stack.reset_clock()


def _devices(admin: httpx.Client, app: RegisteredApp, user_id: str) -> list[dict[str, Any]]:
    found = admin.get(f"/admin/v1/orgs/{app.org_id}/mobileapps/{app.app_id}/devices/{user_id}")
    assert found.status_code == 200, found.text
    return list(found.json()["Devices"])


def _advance(admin: httpx.Client, days: int) -> None:
    moved = admin.post("/_local/clock", json={"AdvanceSeconds": days * DAY_S})
    assert moved.status_code == 200, moved.text


def test_cleanup_run_purges_a_device_made_stale_by_the_local_clock(
    admin: httpx.Client, public: httpx.Client, org_id: str, pushgate: Any
) -> None:
    app = create_app(admin, org_id)
    user_id = f"stale-{uuid.uuid4().hex[:12]}"
    token = f"fcm-stale-{uuid.uuid4().hex}"
    registered = public.post(
        app.v1(user_id), json={"FcmDeviceContract": {"FcmToken": token}, "ApiToken": app.api_token}
    )
    assert registered.status_code == 200, registered.text
    assert [d["Status"] for d in _devices(admin, app, user_id)] == ["Active"]

    # Past the default 270-day window on the local clock: the cleanup marks the device Stale.
    _advance(admin, 271)
    report = json.loads(pushgate("cleanup", "run", "--json"))
    assert report["DryRun"] is False and report["Complete"] is True
    assert report["MarkedStale"] >= 1
    assert [d["Status"] for d in _devices(admin, app, user_id)] == ["Stale"]
    assert any(change["AppId"] == app.app_id and change["Action"] == "MarkStale" for change in report["Changes"]), (
        report
    )

    # Past the 30-day stale grace: the next run purges it.
    _advance(admin, 31)
    shown = pushgate("cleanup", "run")
    assert "Token cleanup" in shown and "Purged" in shown
    assert _devices(admin, app, user_id) == []


def test_the_local_schedules_url_lists_what_can_be_fired(dev_stack: LocalRuntime, admin: httpx.Client) -> None:
    schedules_url = json.loads((dev_stack.config.state_dir / "local.json").read_text(encoding="utf-8"))["schedules_url"]
    listed = admin.get(schedules_url)
    assert listed.status_code == 200, listed.text
    cleanup = {
        s["Schedule"]: s for s in listed.json()["Schedules"] if s["FunctionLogicalId"] == "CleanupTokensFunction"
    }
    assert cleanup["Daily"]["Expression"].startswith("cron(")
    assert cleanup["Daily"]["FiresBySelf"] is False
    assert cleanup["Continue"]["Expression"] == "rate(1 hour)"
    dry_run = admin.post(cleanup["Daily"]["FireUrl"], json={"DryRun": True})
    assert dry_run.status_code == 200, dry_run.text
    assert dry_run.json()["ok"] is True and dry_run.json()["result"]["DryRun"] is True
    assert admin.get(schedules_url, headers={"Authorization": "Bearer wrong"}).status_code == 401
