"""The CLI's operator commands against the dev stack, through the real `pushgate` command (Typer's
runner): orgs list, send --broadcast, sends list/recipients, contacts search/get/update/delete and the
person page (devices, links, notifications), users link, apps update with a .p12, apps token-policy."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pushgate_cli.app import app as cli_app
from pushgate_local.credentials import generate_apns_certificate
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import BUNDLE_ID, RegisteredApp, create_app
from tests.e2e.test_sends import create_active_message

pytestmark = pytest.mark.stack


class Pushgate:
    """Runs `pushgate ARGS...` in-process, logged in to the dev stack with its own config file."""

    def __init__(self, dev_stack: LocalRuntime, folder: Path) -> None:
        self._runner = CliRunner()
        self._env = {"PUSHGATE_CONFIG": str(folder / "config.json"), "PUSHGATE_ORG": None, "COLUMNS": "200"}
        self("login", "--local", "--local-json", str(dev_stack.config.state_dir / "local.json"))

    def __call__(self, *args: str, expect: int = 0) -> str:
        result = self._runner.invoke(cli_app, list(args), env=self._env, catch_exceptions=False)
        assert result.exit_code == expect, f"{args}: exit {result.exit_code}\n{result.output}"
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


@pytest.fixture
def pushgate(dev_stack: LocalRuntime, tmp_path: Path) -> Pushgate:
    return Pushgate(dev_stack, tmp_path)


def _person_with_device(admin: httpx.Client, public: httpx.Client, app: RegisteredApp) -> tuple[str, str, str]:
    contact_id = str(uuid.uuid4())
    email = f"ana-{contact_id[:8]}@contoso.com"
    saved = admin.put(
        f"/admin/v1/orgs/{app.org_id}/contacts/{contact_id}", json={"firstname": "Ana", "emailaddress1": email}
    )
    assert saved.status_code == 201, saved.text
    token = f"fcm-cli-{uuid.uuid4().hex}:APA91b{uuid.uuid4().hex}"
    contract = {"FcmDeviceContract": {"FcmToken": token}, "ApiToken": app.api_token}
    assert public.post(app.v1(contact_id), json=contract).status_code == 200
    return contact_id, email, token


def test_orgs_list_shows_every_org(admin: httpx.Client, pushgate: Pushgate) -> None:
    created = [admin.post("/admin/v1/orgs", json={"Name": f"CLI list {n}"}).json() for n in range(2)]
    listed = pushgate.json("orgs", "list")["Orgs"]
    assert all(org in listed for org in created)
    table = pushgate("orgs", "list")
    assert all(org["OrgId"] in table for org in created)  # whole ids, never cut


def test_send_broadcast_and_the_history_and_ledger_through_the_cli(
    admin: httpx.Client, public: httpx.Client, org_id: str, pushgate: Pushgate, tmp_path: Path
) -> None:
    app = create_app(admin, org_id)
    people = [_person_with_device(admin, public, app) for _ in range(3)]
    message_id = create_active_message(admin, org_id)
    recipients = tmp_path / "users.txt"
    recipients.write_text("\n".join(person for person, _, _ in people[:2]) + "\n", encoding="utf-8")

    named = pushgate.json(
        "send", "--org", org_id, "--message", message_id, "--app", app.app_id, "--recipients", str(recipients)
    )
    broadcast = pushgate.json("send", "--org", org_id, "--message", message_id, "--app", app.app_id, "--broadcast")
    assert named["Totals"]["Sent"] == 2
    assert broadcast["Totals"]["Sent"] == 3 and broadcast["Totals"]["Status"] == "Completed"
    pushgate("send", "--org", org_id, "--message", message_id, "--app", app.app_id, expect=2)  # neither given

    history = pushgate.json("sends", "list", "--org", org_id, "--app", app.app_id)["Sends"]
    assert [s["SendId"] for s in history] == [broadcast["Sends"][0]["SendId"], named["Sends"][0]["SendId"]]
    assert history[0]["Audience"] == "AllActiveDevices" and history[0]["Totals"]["Sent"] == 3
    shown = pushgate("sends", "list", "--org", org_id, "--message", message_id)
    assert broadcast["Sends"][0]["SendId"] in shown and "Order shipped" in shown

    ledger = pushgate.json("sends", "recipients", broadcast["Sends"][0]["SendId"], "--org", org_id)["Recipients"]
    assert sorted(entry["UserId"] for entry in ledger) == sorted(person for person, _, _ in people)
    assert {entry["Outcome"] for entry in ledger} == {"Sent"}


def test_contacts_person_page_users_link_and_erasure_through_the_cli(
    admin: httpx.Client, public: httpx.Client, org_id: str, pushgate: Pushgate
) -> None:
    app = create_app(admin, org_id)
    contact_id, email, token = _person_with_device(admin, public, app)
    message_id = create_active_message(admin, org_id)
    sent = pushgate.json("send", "--org", org_id, "--message", message_id, "--app", app.app_id, "--broadcast")

    found = pushgate.json("contacts", "search", "--org", org_id, "--email", email.upper())
    assert [person["contactid"] for person in found] == [contact_id]
    updated = pushgate.json(
        "contacts", "update", contact_id, "--org", org_id, "--set", "lastname=Silva", "--set", "trackingconsent=true"
    )
    assert updated["lastname"] == "Silva" and updated["trackingconsent"] is True
    assert pushgate.json("contacts", "get", contact_id, "--org", org_id)["lastname"] == "Silva"

    devices = pushgate.json("devices", "list", "--org", org_id, "--contact", contact_id)["Devices"]
    assert [(d["MobileAppId"], d["TokenSuffix"], d["Status"]) for d in devices] == [(app.app_id, token[-8:], "Active")]
    table = pushgate("contacts", "devices", contact_id, "--org", org_id)
    assert token[-8:] in table and token not in table

    linked = pushgate.json("users", "link", app.app_id, "ana-app-user", "--to", contact_id, "--org", org_id)
    assert linked["EntityId"] == contact_id
    links = pushgate.json("contacts", "links", contact_id, "--org", org_id)["Links"]
    assert [(link["MobileAppId"], link["AppUserId"]) for link in links] == [(app.app_id, "ana-app-user")]

    recent = pushgate.json("contacts", "notifications", contact_id, "--org", org_id)
    assert [n["SendId"] for n in recent["Notifications"]] == [sent["Sends"][0]["SendId"]]

    erased = pushgate.json("contacts", "delete", contact_id, "--erase", "--org", org_id)
    assert erased["Removed"]["Devices"] == 1 and erased["Removed"]["AppUserLinks"] == 1
    pushgate("contacts", "get", contact_id, "--org", org_id, expect=1)


def test_apps_update_with_a_p12_and_the_token_policy(
    admin: httpx.Client, org_id: str, pushgate: Pushgate, tmp_path: Path
) -> None:
    app = create_app(admin, org_id)
    certificate = generate_apns_certificate(BUNDLE_ID, password="pw-123456")
    p12 = tmp_path / "push.p12"
    p12.write_bytes(certificate.p12)

    updated = pushgate.json(
        "apps", "update", app.app_id, "--org", org_id, "--name", "Renamed",
        "--ios-p12", str(p12), "--p12-password", "pw-123456", "--app-mode", "Production",
    )  # fmt: skip
    assert updated["Name"] == "Renamed"
    assert updated["Ios"]["AuthMode"] == "Certificate"
    validated = pushgate.json("apps", "validate", app.app_id, "--org", org_id)
    assert validated["CredentialValidation"]["Ios"]["Status"] == "Valid", validated
    assert pushgate.json("apps", "get", app.app_id, "--org", org_id)["Ios"]["AuthMode"] == "Certificate"
    pushgate("apps", "update", app.app_id, "--org", org_id, expect=2)  # nothing to change

    default = pushgate.json("apps", "token-policy", app.app_id, "--org", org_id)
    assert default["IsDefault"] is True
    changed = pushgate.json("apps", "token-policy", app.app_id, "--org", org_id, "--stale-after-days", "90")
    assert (changed["StaleAfterDays"], changed["IsDefault"]) == (90, False)
    assert changed["StaleGraceDays"] == default["StaleGraceDays"]
    pushgate("apps", "token-policy", app.app_id, "--org", org_id, "--stale-after-days", "1", expect=1)
