"""The `pushgate` CLI against the dev stack: every operator capability from the command line.

The CLI runs in-process (Typer's runner) with its config in a temporary file, logged in to the
dev stack through the ``local.json`` the runtime wrote, as `pushgate login --local` does after
`make dev`.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from pushgate_cli.app import app as cli_app
from pushgate_local.credentials import generate_apns_auth_key, generate_fcm_service_account
from pushgate_local.runtime import LocalRuntime
from tests.e2e.conftest import ADMIN_KEY

pytestmark = pytest.mark.stack

Run = Callable[..., Result]


@dataclass(frozen=True)
class Workspace:
    """An org (the CLI's default), an app with both platforms, an ApiToken."""

    org_id: str
    app_id: str
    api_token: str
    token_id: str
    key_id: str


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "config.json"


@pytest.fixture(scope="module")
def run(config_file: Path) -> Run:
    """Runs `pushgate ARGS...` and checks the exit code (0 unless ``expect`` says otherwise)."""
    runner = CliRunner()
    env = {"PUSHGATE_CONFIG": str(config_file), "PUSHGATE_ORG": None, "COLUMNS": "200"}

    def invoke(*args: str, expect: int = 0) -> Result:
        result = runner.invoke(cli_app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == expect, f"{args}: exit {result.exit_code}\n{result.output}"
        return result

    return invoke


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def logged_in(dev_stack: LocalRuntime, run: Run, config_file: Path) -> Path:
    local_json = dev_stack.config.state_dir / "local.json"
    result = run("login", "--local", "--local-json", str(local_json))
    assert f"logged in to {dev_stack.api_url} (local)" in result.stdout
    return local_json


@pytest.fixture(scope="module")
def workspace(logged_in: Path, run: Run, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    folder = tmp_path_factory.mktemp("credentials")
    key = generate_apns_auth_key()
    p8 = folder / f"AuthKey_{key.key_id}.p8"  # Apple's file name: the key id comes from it
    p8.write_text(key.private_key_pem, encoding="utf-8")
    account_file = folder / "sa.json"
    account_file.write_text(json.dumps(generate_fcm_service_account("cli-project").info), encoding="utf-8")

    org = as_json(run("orgs", "create", "CLI org", "--use", "--json"))
    created = as_json(
        run(
            "apps", "create", "CLI app",
            "--ios-p8", str(p8), "--team-id", key.team_id, "--bundle-id", "com.contoso.cli",
            "--android-service-account", str(account_file),
            "--json",
        )
    )  # fmt: skip
    issued = as_json(run("tokens", "create", created["MobileAppId"], "--label", "cli", "--json"))
    return Workspace(org["OrgId"], created["MobileAppId"], issued["ApiToken"], issued["TokenId"], key.key_id)


def test_login_keeps_the_target_and_never_the_admin_key(logged_in: Path, config_file: Path, run: Run) -> None:
    saved = json.loads(config_file.read_text(encoding="utf-8"))

    assert saved["mode"] == "local"
    assert saved["local_json"] == str(logged_in.resolve())
    assert ADMIN_KEY not in config_file.read_text(encoding="utf-8")
    assert config_file.stat().st_mode & 0o077 == 0


def test_orgs_create_use_and_get(workspace: Workspace, run: Run) -> None:
    shown = run("orgs", "get")  # the default org saved by --use
    other = as_json(run("orgs", "create", "Second org", "--json"))
    fetched = as_json(run("orgs", "get", "--org", other["OrgId"], "--json"))

    assert workspace.org_id in shown.stdout
    assert "CLI org" in shown.stdout
    assert fetched == other


def test_apps_create_list_get_and_validate(workspace: Workspace, run: Run) -> None:
    found = as_json(run("apps", "get", workspace.app_id, "--json"))
    listed = run("apps", "list")
    checks = as_json(run("apps", "validate", workspace.app_id, "--json"))["CredentialValidation"]
    human = run("apps", "validate", workspace.app_id)

    assert found["Ios"]["KeyId"] == workspace.key_id  # taken from the name AuthKey_<id>.p8
    assert found["Ios"]["BundleId"] == "com.contoso.cli"
    assert "PRIVATE KEY" not in json.dumps(found)
    assert found["Android"]["ProjectId"] == "cli-project"
    assert workspace.app_id in listed.stdout
    assert "Ios, Android" in listed.stdout
    assert {platform: check["Status"] for platform, check in checks.items()} == {"Ios": "Valid", "Android": "Valid"}
    assert "Valid" in human.stdout


def test_tokens_create_list_and_revoke(workspace: Workspace, run: Run, public: httpx.Client) -> None:
    issued = as_json(run("tokens", "create", workspace.app_id, "--label", "temporary", "--json"))
    listed = as_json(run("tokens", "list", workspace.app_id, "--json"))["Tokens"]
    shown = run("tokens", "list", workspace.app_id)
    revoked = run("tokens", "revoke", workspace.app_id, issued["TokenId"])
    after = as_json(run("tokens", "list", workspace.app_id, "--json"))["Tokens"]

    assert issued["ApiToken"]
    assert {t["TokenId"] for t in listed} == {workspace.token_id, issued["TokenId"]}
    assert issued["ApiToken"] not in shown.stdout
    assert "temporary" in shown.stdout
    assert f"revoked token {issued['TokenId']}" in revoked.stdout
    assert [t["TokenId"] for t in after] == [workspace.token_id]


def _people(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {"contactid": f"{prefix}-{i}", "firstname": f"Ana{i}", "pushconsent": True, "trackingconsent": True}
        for i in range(count)
    ]


def _write_csv(path: Path, people: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=[*people[0], "customattributes.tier"])
        writer.writeheader()
        for person in people:
            writer.writerow(
                {**person, "pushconsent": "true", "trackingconsent": "yes", "customattributes.tier": "gold"}
            )


def test_contacts_import_from_csv_and_json(workspace: Workspace, run: Run, admin: httpx.Client, tmp_path: Path) -> None:
    from_csv, from_json = _people("csv", 1_205), _people("json", 3)  # the CSV needs two requests
    _write_csv(tmp_path / "contacts.csv", from_csv)
    (tmp_path / "contacts.json").write_text(json.dumps(from_json), encoding="utf-8")

    imported = run("contacts", "import", str(tmp_path / "contacts.csv"))
    counts = as_json(run("contacts", "import", str(tmp_path / "contacts.json"), "--json"))["Counts"]
    again = as_json(run("contacts", "import", str(tmp_path / "contacts.json"), "--json"))["Counts"]

    assert "Created" in imported.stdout
    assert "1205" in imported.stdout
    assert counts == {"Created": 3, "Updated": 0, "Unchanged": 0, "Failed": 0}
    assert again["Unchanged"] == 3
    stored = admin.get(f"/admin/v1/orgs/{workspace.org_id}/contacts/csv-1204")
    assert stored.status_code == 200, stored.text
    assert stored.json()["customattributes"] == {"tier": "gold"}
    assert stored.json()["pushconsent"] is True


def test_contacts_import_reports_failed_items_with_exit_1(workspace: Workspace, run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"contactid": "ok-1"}, {"contactid": "bad-1", "emailaddress1": 42}]), encoding="utf-8")

    result = run("contacts", "import", str(bad), expect=1)

    assert "Failed" in result.stdout
    assert "emailaddress1" in result.stdout


def _create_message(run: Run) -> str:
    created = as_json(
        run(
            "messages", "create", "--name", "Welcome", "--title", "Hi {{contact.firstname | default: \"there\"}}",
            "--body", "Welcome aboard", "--url", "https://contoso.example/welcome", "--data", '{"screen": "home"}',
            "--json",
        )
    )  # fmt: skip
    return str(created["MessageId"])


def test_messages_create_preview_activate(workspace: Workspace, run: Run) -> None:
    message_id = _create_message(run)
    preview = as_json(run("messages", "preview", message_id, "--contact", '{"firstname": "Ana"}', "--json"))
    shown = run("messages", "preview", message_id, "--contact", '{"firstname": "Ana"}')
    activated = as_json(run("messages", "activate", message_id, "--json"))
    listed = run("messages", "list")

    assert preview["Rendered"]["Title"] == "Hi Ana"
    assert preview["Apns"]["Payload"]["data"]["screen"] == "home"
    assert "APNs" in shown.stdout
    assert "Hi Ana" in shown.stdout
    assert activated["Status"] == "Active"
    assert message_id in listed.stdout


def _register(public: httpx.Client, workspace: Workspace, user_id: str) -> list[str]:
    apns = hashlib.sha256(f"cli-{user_id}".encode()).hexdigest().replace("bad", "0ad")
    fcm = f"fcm-cli-{user_id}"
    base = f"/api/v1.0/orgs/{workspace.org_id}/pushchannel/apps/{workspace.app_id}/devices/{user_id}"
    for contract in ({"ApnsDeviceContract": {"ApnsToken": apns}}, {"FcmDeviceContract": {"FcmToken": fcm}}):
        response = public.post(base, json={**contract, "ApiToken": workspace.api_token})
        assert response.status_code == 200, response.text
    return [apns, fcm]


def test_send_until_completed_then_insights_and_export(
    workspace: Workspace, run: Run, public: httpx.Client, tmp_path: Path
) -> None:
    people = _people("send", 5)
    (tmp_path / "people.json").write_text(json.dumps(people), encoding="utf-8")
    run("contacts", "import", str(tmp_path / "people.json"))
    for person in people:
        _register(public, workspace, person["contactid"])
    recipients = tmp_path / "recipients.txt"
    recipients.write_text("# five users, one twice, one unknown\n" + "\n".join(
        [*(p["contactid"] for p in people), people[0]["contactid"], "nobody"]
    ) + "\n", encoding="utf-8")  # fmt: skip
    message_id = _create_message(run)
    run("messages", "activate", message_id)
    testsend = as_json(run("messages", "testsend", message_id, "--app", workspace.app_id, "--user", "send-0", "--json"))

    sent = run("send", "--message", message_id, "--app", workspace.app_id, "--recipients", str(recipients))
    insights = as_json(run("insights", "message", message_id, "--json", "--chart", str(tmp_path / "chart.svg")))
    table = run("insights", "message", message_id, "--chart", str(tmp_path / "chart.png"))
    refused = run("insights", "message", message_id, "--chart", str(tmp_path / "chart.jpg"), expect=2)
    exported = run("export", "message", message_id, "-o", str(tmp_path / "records.ndjson"))
    csv_export = as_json(run("export", "message", message_id, "-o", str(tmp_path / "records.csv"), "--json"))

    assert [r["Verdict"] for r in testsend["Results"]] == ["delivered", "delivered"]
    assert "Completed" in sent.stdout
    assert "UnknownRecipient" in sent.stdout
    assert "Sent" in sent.stdout
    assert insights["Overall"]["Sent"] == 10  # five users with two devices each
    assert "Overall" in table.stdout
    assert "10" in table.stdout
    assert (tmp_path / "chart.svg").read_text(encoding="utf-8").startswith("<svg")
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert f"chart written to {tmp_path / 'chart.png'}" in " ".join(table.stdout.split())
    assert ".svg or .png" in refused.output and not (tmp_path / "chart.jpg").exists()
    records = [json.loads(line) for line in (tmp_path / "records.ndjson").read_text(encoding="utf-8").splitlines()]
    # the ten deliveries, and the unknown recipient's NotSent from the ledger
    assert Counter(r["InteractionType"] for r in records) == {"Sent": 10, "NotSent": 1}
    assert "11 records" in exported.stdout
    rows = list(csv.DictReader((tmp_path / "records.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == csv_export["Records"] == 11
    assert rows[0].keys() == records[0].keys()


def test_send_totals_in_json(workspace: Workspace, run: Run, public: httpx.Client, tmp_path: Path) -> None:
    people = _people("json-send", 2)
    (tmp_path / "people.json").write_text(json.dumps(people), encoding="utf-8")
    run("contacts", "import", str(tmp_path / "people.json"))
    for person in people:
        _register(public, workspace, person["contactid"])
    (tmp_path / "recipients.json").write_text(json.dumps([p["contactid"] for p in people]), encoding="utf-8")
    message_id = _create_message(run)
    run("messages", "activate", message_id)

    result = as_json(
        run(
            "send",
            "--message",
            message_id,
            "--app",
            workspace.app_id,
            "--recipients",
            str(tmp_path / "recipients.json"),
            "--json",
        )
    )

    assert result["Totals"]["Status"] == "Completed"
    assert result["Totals"]["Sent"] == 4
    assert result["Totals"]["Expected"] == 4
    assert result["Rejected"] == []


def test_cleanup_preview(workspace: Workspace, run: Run) -> None:
    report = as_json(run("cleanup", "preview", "--app", workspace.app_id, "--json"))
    shown = run("cleanup", "preview")

    assert report["DryRun"] is True
    assert isinstance(report["Changes"], list)
    assert "nothing changed" in shown.stdout


def test_api_refusal_shows_field_and_problem_with_exit_1(workspace: Workspace, run: Run) -> None:
    refused = run(
        "messages", "create", "--name", "Broken", "--title", "Hi {{contact.firstname", "--body", "x", expect=1
    )
    as_json_error = run("messages", "create", "--name", "Broken", "--body", "x", "--json", expect=1)
    missing = run("sends", "get", "00000000-0000-4000-8000-000000000000", expect=1)

    assert "Error (400" in refused.stderr
    assert "Title" in refused.stderr
    error = json.loads(as_json_error.stderr)["Error"]
    assert error["Status"] == 400
    assert "Title" in [d["Field"] for d in error["Details"]]
    assert "404" in missing.stderr


def test_usage_and_unavailable_exit_codes(workspace: Workspace, run: Run, tmp_path: Path, config_file: Path) -> None:
    run("send", "--message", "m", expect=2)  # Typer: missing options
    run("messages", "testsend", "m", "--app", workspace.app_id, expect=2)  # neither device nor user
    saved = config_file.read_text(encoding="utf-8")
    try:
        config_file.write_text(
            json.dumps({"mode": "local", "local_json": str(tmp_path / "none.json")}), encoding="utf-8"
        )
        stopped = run("orgs", "get", "--org", workspace.org_id, expect=3)
        config_file.unlink()
        not_logged_in = run("orgs", "get", "--org", workspace.org_id, expect=3)
    finally:
        config_file.write_text(saved, encoding="utf-8")

    assert "make dev" in stopped.stderr
    assert "not logged in" in not_logged_in.stderr


@pytest.fixture(scope="module")
def timing_app(workspace: Workspace, run: Run, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """An Android app of its own: its delivery policy must not hold back the other tests' sends."""
    account_file = tmp_path_factory.mktemp("timing") / "sa.json"
    account_file.write_text(json.dumps(generate_fcm_service_account("cli-timing").info), encoding="utf-8")
    created = as_json(run("apps", "create", "CLI timing app", "--android-service-account", str(account_file), "--json"))
    issued = as_json(run("tokens", "create", created["MobileAppId"], "--label", "timing", "--json"))
    return Workspace(workspace.org_id, created["MobileAppId"], issued["ApiToken"], issued["TokenId"], "")


def test_delivery_policy_set_changes_only_the_parts_given(timing_app: Workspace, run: Run) -> None:
    app_id = timing_app.app_id
    default = as_json(run("apps", "delivery-policy", app_id, "--json"))
    set_all = as_json(
        run(
            "apps", "delivery-policy", app_id, "--zone", "Europe/Berlin", "--quiet-hours", "21:00-08:00",
            "--cap", "3/24", "--category-cap", "promo=1/24", "--category-cap", "news=2/12",
            "--uncertain-delivery", "skip", "--json",
        )
    )  # fmt: skip
    changed = as_json(run("apps", "delivery-policy", app_id, "--cap", "5/48", "--category-cap", "news=off", "--json"))
    shown = run("apps", "delivery-policy", app_id)
    empty = run("apps", "delivery-policy", app_id, "--quiet-hours", "09:00-09:00", expect=1)
    malformed = run("apps", "delivery-policy", app_id, "--cap", "three", expect=2)
    unknown_choice = run("apps", "delivery-policy", app_id, "--uncertain-delivery", "sometimes", expect=2)

    assert default["IsDefault"] is True
    assert default["UncertainDelivery"] == "ResendCollapsed"
    assert set_all["UncertainDelivery"] == "Skip"
    assert changed["UncertainDelivery"] == "Skip"  # kept
    assert "Skip or ResendCollapsed" in unknown_choice.output
    assert set_all["DefaultTimeZoneResolved"] == "Europe/Berlin"
    assert set_all["CategoryCaps"] == {
        "promo": {"MaxNotifications": 1, "PeriodHours": 24},
        "news": {"MaxNotifications": 2, "PeriodHours": 12},
    }
    assert changed["FrequencyCap"] == {"MaxNotifications": 5, "PeriodHours": 48}
    assert changed["QuietHours"] == {"Start": "21:00", "End": "08:00"}  # kept: the PUT got the whole policy
    assert changed["DefaultTimeZone"] == "Europe/Berlin"
    assert changed["CategoryCaps"] == {"promo": {"MaxNotifications": 1, "PeriodHours": 24}}
    assert "21:00-08:00" in shown.stdout
    assert "5 per 48 h" in shown.stdout
    assert "promo" in shown.stdout
    assert "Error (400" in empty.stderr
    assert "QuietHours" in empty.stderr
    assert "MAX/HOURS" in malformed.output
    assert as_json(run("apps", "delivery-policy", app_id, "--json"))["FrequencyCap"]["MaxNotifications"] == 5


def test_local_time_send_is_scheduled_then_canceled(
    timing_app: Workspace, run: Run, public: httpx.Client, tmp_path: Path
) -> None:
    people = _people("timing", 2)
    (tmp_path / "people.json").write_text(json.dumps(people), encoding="utf-8")
    run("contacts", "import", str(tmp_path / "people.json"))
    for person in people:  # FCM only: the app has no iOS credentials
        base = f"/api/v1.0/orgs/{timing_app.org_id}/pushchannel/apps/{timing_app.app_id}/devices/{person['contactid']}"
        contract = {"FcmDeviceContract": {"FcmToken": f"fcm-timing-{person['contactid']}"}}
        registered = public.post(base, json={**contract, "ApiToken": timing_app.api_token})
        assert registered.status_code == 200, registered.text
    recipients = tmp_path / "recipients.txt"
    recipients.write_text("\n".join(p["contactid"] for p in people) + "\n", encoding="utf-8")
    message_id = _create_message(run)
    run("messages", "activate", message_id)
    send = ("send", "--message", message_id, "--app", timing_app.app_id, "--recipients", str(recipients))

    scheduled = run(*send, "--local-time", "09:00")  # returns once everything waits, without moving the clock
    send_id = scheduled.stdout.split("Sends:", 1)[1].split()[0]
    found = as_json(run("sends", "get", send_id, "--json"))
    table = run("sends", "get", send_id)
    canceled = run("sends", "cancel", send_id)
    after = as_json(run("sends", "get", send_id, "--json"))
    again = as_json(run("sends", "cancel", send_id, "--json"))  # harmless
    # Midday in Berlin two days on, outside the app's quiet hours whatever the time of the run.
    at = (datetime.now(UTC) + timedelta(days=2)).replace(hour=11, minute=30, second=0, microsecond=0)
    at_send = as_json(run(*send, "--at", at.strftime("%Y-%m-%dT%H:%MZ"), "--json"))
    at_canceled = as_json(run("sends", "cancel", at_send["Sends"][0]["SendId"], "--json"))

    assert "Scheduled" in scheduled.stdout
    assert found["Status"] == "Scheduled"
    assert found["SendAtLocalTime"] == "09:00"
    assert sum(hour["Recipients"] for hour in found["Scheduled"]) == 2
    assert {hour["State"] for hour in found["Scheduled"]} == {"Pending"}
    assert found["Scheduled"][0]["Hour"] in scheduled.stdout
    assert found["Scheduled"][0]["Hour"] in table.stdout
    assert "Canceled" in canceled.stdout
    assert after["Status"] == again["Status"] == "Canceled"
    assert after["NotSentReasons"] == {"Canceled": 2}
    assert {hour["State"] for hour in after["Scheduled"]} == {"Canceled"}
    assert at_send["Totals"]["Status"] == "Scheduled"
    assert [hour["Hour"] for hour in at_send["Statuses"][0]["Scheduled"]] == [f"{at:%Y-%m-%dT%H}:00:00Z"]
    assert at_canceled["Status"] == "Canceled"


def test_schedule_refusals_show_the_field(timing_app: Workspace, run: Run, tmp_path: Path) -> None:
    recipients = tmp_path / "recipients.txt"
    recipients.write_text("someone\n", encoding="utf-8")
    message_id = _create_message(run)
    run("messages", "activate", message_id)
    send = ("send", "--message", message_id, "--app", timing_app.app_id, "--recipients", str(recipients))

    bad_time = run(*send, "--local-time", "25:00", expect=1)
    both = run(*send, "--local-time", "09:00", "--at", "2030-01-01T08:00Z", "--json", expect=1)

    assert "Error (400" in bad_time.stderr
    assert "SendAtLocalTime" in bad_time.stderr
    error = json.loads(both.stderr)["Error"]
    assert error["Status"] == 400
    assert {"SendAt", "SendAtLocalTime"} & {d["Field"] for d in error["Details"]}


def test_segments_create_list_preview_send_and_delete(
    workspace: Workspace, run: Run, public: httpx.Client, tmp_path: Path
) -> None:
    people = [
        {**person, "customattributes": {"cohort": "cli-segment"}, "pushconsent": index != 2}
        for index, person in enumerate(_people("segment", 4))
    ]
    (tmp_path / "people.json").write_text(json.dumps(people), encoding="utf-8")
    run("contacts", "import", str(tmp_path / "people.json"))
    for person in people:
        _register(public, workspace, person["contactid"])
    cohort = "customattributes/cohort eq 'cli-segment'"

    created = as_json(run("segments", "create", "CLI cohort", "--filter", cohort, "--description", "d", "--json"))
    listed = run("segments", "list")
    shown = as_json(run("segments", "get", created["SegmentId"], "--json"))
    preview = as_json(run("segments", "preview", created["SegmentId"], "--app", workspace.app_id, "--json"))
    inline = run("segments", "preview", "--filter", f"{cohort} and firstname eq 'ana0'", "--app", workspace.app_id)
    refused = run("segments", "create", "Broken", "--filter", "firstname eq", expect=1)
    message_id = _create_message(run)
    run("messages", "activate", message_id)
    sending = ("send", "--message", message_id, "--app", workspace.app_id, "--json")
    by_id = as_json(run(*sending, "--segment", created["SegmentId"]))
    by_filter = as_json(run(*sending, "--filter", f"{cohort} and firstname eq 'ana1'"))
    neither = run("send", "--message", message_id, "--app", workspace.app_id, expect=2)
    run("segments", "delete", created["SegmentId"])
    gone = run("segments", "get", created["SegmentId"], expect=1)

    assert created["Filter"] == cohort and created["Kind"] == "contacts"
    assert "CLI cohort" in listed.stdout
    assert shown["Description"] == "d"
    assert (preview["People"], preview["Matched"], preview["NoConsent"]) == (3, 4, 1)
    assert preview["Devices"] == {"Total": 6, "Ios": 3, "Android": 3}
    assert "Sample" in inline.stdout and "segment-0" in inline.stdout
    assert "Filter" in refused.output and "position 12" in refused.output
    assert (by_id["Totals"]["Status"], by_id["Totals"]["Sent"], by_id["Totals"]["NotSent"]) == ("Completed", 6, 1)
    assert by_id["Totals"]["NotSentReasons"] == {"NoPushConsent": 1}
    assert (by_filter["Totals"]["Sent"], by_filter["Totals"]["RecipientsAccepted"]) == (2, 1)
    assert "give one of --recipients FILE, --broadcast, --segment ID or --filter F" in neither.output
    assert "404" in gone.output or "not found" in gone.output
