"""The end-to-end walk ``make demo`` prints: every capability, driven over HTTP as a user would.

Each step sends a real request to the dev server and checks the answer; the report shows what was
sent and what came back. The walk fails (exit 1) when any step does not answer as expected.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

from pushgate_local.credentials import generate_apns_auth_key, generate_fcm_service_account


@dataclass
class Step:
    """One request of the walk and what came of it."""

    title: str
    method: str
    path: str
    expected_status: int
    status: int = 0
    summary: str = ""

    @property
    def passed(self) -> bool:
        """Whether the service answered as expected."""
        return self.status == self.expected_status


@dataclass
class DemoReport:
    """All steps, in order."""

    steps: list[Step] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every step passed."""
        return all(step.passed for step in self.steps)

    def render(self) -> str:
        """The report as readable text."""
        lines = ["", "Pushgate demo walk", "=" * 72]
        for number, step in enumerate(self.steps, 1):
            mark = "ok  " if step.passed else "FAIL"
            lines.append(f"{mark} {number:2}. {step.title}")
            lines.append(f"         {step.method} {step.path} -> {step.status} (expected {step.expected_status})")
            if step.summary:
                lines.append(f"         {step.summary}")
        passed = sum(step.passed for step in self.steps)
        lines += ["=" * 72, f"{passed} of {len(self.steps)} steps answered as expected", ""]
        lines += [
            "The same steps with the CLI (`source .venv/bin/activate`, `make dev` running, then",
            "`pushgate login --local`):",
        ]
        for number, step in enumerate(self.steps, 1):
            lines.append(f"  {number:2}. {cli_equivalent(step.method, step.path)}")
        lines += [
            "",
            "Web console: `make dev`, open the console_url it prints (also in .pushgate/local.json,",
            "http://127.0.0.1:<port>/console/) and sign in with the admin_key of .pushgate/local.json.",
            "",
        ]
        return "\n".join(lines)


_ID = r"[^/?]+"
_ORG = rf"^/admin/v1/orgs/(?P<org>{_ID})"
#: The ``pushgate`` command (or the console page) that does what each step's route does, most
#: specific first; ``{name}`` is the path's value. Public device routes are the apps' part.
CLI_EQUIVALENTS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), command)
    for method, pattern, command in (
        ("GET", r"^/health$", 'curl "$API/health"  (no login needed)'),
        ("POST", r"^/admin/v1/orgs$", 'pushgate orgs create "Contoso Mobile" --use'),
        ("GET", rf"{_ORG}$", "pushgate orgs get {org}"),
        (
            "POST",
            rf"{_ORG}/mobileapps$",
            'pushgate apps create "Contoso app" --ios-p8 AuthKey_KEYID.p8 --team-id TEAMID '
            "--bundle-id com.contoso.app --android-service-account sa.json",
        ),
        ("POST", rf"{_ORG}/mobileapps/(?P<app>{_ID})/validate$", "pushgate apps validate {app}"),
        ("POST", rf"{_ORG}/mobileapps/(?P<app>{_ID})/tokens$", "pushgate tokens create {app} --label ios"),
        (
            "GET",
            rf"{_ORG}/mobileapps/(?P<app>{_ID})/developer-info$",
            "pushgate tokens list {app}  (console: the app page)",
        ),
        ("GET", rf"{_ORG}/mobileapps/{_ID}/devices/", "(no CLI command)"),
        ("PUT", rf"{_ORG}/mobileapps/{_ID}/users/", "(no CLI command)"),
        ("POST", rf"{_ORG}/pushmessages$", "pushgate messages create --name NAME --title TITLE --body BODY"),
        ("POST", rf"{_ORG}/pushmessages/(?P<message>{_ID})/activate$", "pushgate messages activate {message}"),
        (
            "POST",
            rf"{_ORG}/pushmessages/(?P<message>{_ID})/preview$",
            """pushgate messages preview {message} --contact '{{"firstname": "Ana"}}'""",
        ),
        (
            "POST",
            rf"{_ORG}/pushmessages/(?P<message>{_ID})/testsend$",
            "pushgate messages testsend {message} --app APP_ID --user USER_ID  (or --device-token T --platform P)",
        ),
        (
            "POST",
            rf"{_ORG}/(?P<kind>contacts|leads|profiles)/import$",
            "pushgate contacts import people.csv --kind {kind}",
        ),
        ("GET", rf"{_ORG}/(contacts|leads|profiles)\?", "(no CLI command: the console's People page searches)"),
        ("POST", rf"{_ORG}/segments$", 'pushgate segments create "Tracked customers" --filter FILTER'),
        (
            "POST",
            rf"{_ORG}/audiences/preview$",
            "pushgate segments preview SEGMENT_ID --app APP_ID  (or --filter FILTER)",
        ),
        ("POST", rf"{_ORG}/sends$", "pushgate send --message MESSAGE_ID --app APP_ID --recipients users.txt"),
        ("GET", rf"{_ORG}/sends/(?P<send>{_ID})$", "pushgate sends get {send}"),
        ("GET", rf"{_ORG}/sends/{_ID}/recipients", "(no CLI command: the console's send page shows the ledger)"),
        (
            "PUT",
            rf"{_ORG}/mobileapps/(?P<app>{_ID})/delivery-policy$",
            'pushgate apps delivery-policy {app} --zone "W. Europe Standard Time" --quiet-hours 21:00-08:00 --cap 1/24',
        ),
        ("GET", rf"{_ORG}/mobileapps/(?P<app>{_ID})/delivery-policy$", "pushgate apps delivery-policy {app}"),
        ("POST", rf"{_ORG}/sends/(?P<send>{_ID})/cancel$", "pushgate sends cancel {send}"),
        ("POST", r"^/_local/clock$", "(local runtime only: it moves the dev stack's clock)"),
        ("GET", rf"{_ORG}/insights/messages/(?P<id>{_ID})$", "pushgate insights message {id} --chart insights.svg"),
        (
            "GET",
            rf"{_ORG}/insights/(?P<dimension>messages|journeys)/(?P<id>{_ID})/interactions",
            "pushgate export {dimension} {id} -o interactions.csv",
        ),
        ("*", r"^/api/v1\.0/", "(device API: the app calls it)"),
        ("*", r"^/l/", "(a device opens the tracked link)"),
    )
)


def cli_equivalent(method: str, path: str) -> str:
    """The command an operator would type for this request (see ``CLI_EQUIVALENTS``)."""
    if method == "CLI":
        return path  # a step the walk ran through the CLI itself
    for wanted, pattern, command in CLI_EQUIVALENTS:
        found = pattern.search(path)
        if found and wanted in {method, "*"}:
            values = found.groupdict()
            if "dimension" in values:
                values["dimension"] = values["dimension"].removesuffix("s")  # the CLI's singular
            return command.format(**values)
    return "(no CLI command)"


class DemoWalk:
    """Sends the walk's requests and records them."""

    def __init__(self, api_url: str, admin_key: str, local_json: Path) -> None:
        """Binds the walk to a running dev server (``local_json``: where it wrote its settings)."""
        self.local_json = local_json
        self._client = httpx.Client(base_url=api_url, timeout=30)
        self._admin = {"Authorization": f"Bearer {admin_key}"}
        self.report = DemoReport()

    def request(
        self,
        title: str,
        method: str,
        path: str,
        expected_status: int,
        *,
        admin: bool = True,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        summarize: Callable[[Any], str] | None = None,
    ) -> Any:
        """Sends one request and records the step.

        Returns:
            The decoded JSON body (or ``None`` when the body is not JSON).
        """
        all_headers = {**(self._admin if admin else {}), **(headers or {})}
        if raw is not None:
            response = self._client.request(
                method, path, content=raw, headers={**all_headers, "content-type": "application/json"}
            )
        else:
            response = self._client.request(method, path, json=body, headers=all_headers)
        try:
            payload = response.json()
        except json.JSONDecodeError:
            payload = None
        step = Step(title, method, path, expected_status, response.status_code)
        if summarize is not None and payload is not None and step.passed:
            step.summary = summarize(payload)
        elif isinstance(payload, dict) and "Error" in payload:
            step.summary = f"{payload['Error']['Code']}: {payload['Error']['Message']}"
        self.report.steps.append(step)
        return payload

    def close(self) -> None:
        """Closes the HTTP client."""
        self._client.close()


def walk_foundation(demo: DemoWalk, context: dict[str, Any]) -> dict[str, Any]:
    """Health and orgs: the foundation every other capability stands on."""
    demo.request(
        "The API answers and its table is reachable",
        "GET",
        "/health",
        200,
        admin=False,
        summarize=lambda b: f"status {b['Status']}, version {b['Version']}, table {b['Table']}",
    )
    org = demo.request(
        "An operator creates an org",
        "POST",
        "/admin/v1/orgs",
        201,
        body={"Name": "Contoso Mobile"},
        summarize=lambda b: f"OrgId {b['OrgId']} named {b['Name']!r}",
    )
    org_id = org["OrgId"] if isinstance(org, dict) and "OrgId" in org else "00000000-0000-0000-0000-000000000000"
    demo.request(
        "...and reads it back",
        "GET",
        f"/admin/v1/orgs/{org_id}",
        200,
        summarize=lambda b: f"{b['Name']!r}, created {b['CreatedAt']}",
    )
    demo.request(
        "Without the admin key, operator routes refuse",
        "POST",
        "/admin/v1/orgs",
        401,
        admin=False,
        body={"Name": "Nope"},
    )
    demo.request("A missing name is named in the error", "POST", "/admin/v1/orgs", 400, body={})
    demo.request("A wrong type is named in the error", "POST", "/admin/v1/orgs", 400, body={"Name": 42})
    demo.request("Malformed JSON is a 400, not a 500", "POST", "/admin/v1/orgs", 400, raw=b'{"Name": ')
    demo.request("An unknown org is a 404", "GET", "/admin/v1/orgs/6f1c1c53-4a51-4a8e-9d53-0a5b7a0c2f11", 404)
    return {"org_id": org_id}


def walk_mobile_apps(demo: DemoWalk, context: dict[str, Any]) -> dict[str, Any]:
    """An app configuration with generated test credentials, an access token, the developer view."""
    org_id = context["org_id"]
    apns_key = generate_apns_auth_key()
    service_account = generate_fcm_service_account("contoso-mobile")
    base = f"/admin/v1/orgs/{org_id}/mobileapps"
    demo.request(
        "A google-services.json instead of a service-account key is explained",
        "POST",
        base,
        400,
        body={"Name": "Oops", "Android": {"ServiceAccountJson": {"project_info": {"project_id": "p"}, "client": []}}},
    )
    app = demo.request(
        "The operator configures an app for iOS (token auth) and Android (FCM v1)",
        "POST",
        base,
        201,
        body={
            "Name": "Contoso Mobile",
            "Description": "demo app",
            "Ios": {
                "AuthMode": "Token",
                "AppMode": "Sandbox",
                "BundleId": "com.contoso.mobile",
                "TeamId": apns_key.team_id,
                "KeyId": apns_key.key_id,
                "SigningKey": apns_key.private_key_pem,
            },
            "Android": {"ServiceAccountJson": service_account.info},
        },
        summarize=lambda b: (
            f"MobileAppId {b['MobileAppId']}; stored redacted: Ios {b['Ios']}; "
            f"Android {{'ProjectId': {b['Android']['ProjectId']!r}, 'ClientEmail': {b['Android']['ClientEmail']!r}}}"
        ),
    )
    app_id = (
        app["MobileAppId"] if isinstance(app, dict) and "MobileAppId" in app else "00000000-0000-0000-0000-000000000000"
    )
    demo.request(
        "...checks the credentials live against APNs and FCM (the provider simulator)",
        "POST",
        f"{base}/{app_id}/validate",
        200,
        summarize=lambda b: ", ".join(f"{p} {c['Status']}" for p, c in b["CredentialValidation"].items()),
    )
    token = demo.request(
        "...issues an access token (shown once)",
        "POST",
        f"{base}/{app_id}/tokens",
        201,
        body={"Label": "demo build"},
        summarize=lambda b: f"TokenId {b['TokenId']}, ApiToken {b['ApiToken'][:12]}... (only its SHA-256 is stored)",
    )
    demo.request(
        "...and reads the developer information to hand to the app team",
        "GET",
        f"{base}/{app_id}/developer-info",
        200,
        summarize=lambda b: (
            f"PublicEndpoint {b['PublicEndpoint']}, OrganizationId {b['OrganizationId']}, "
            f"ApplicationId {b['ApplicationId']}, {len(b['AccessTokens'])} token(s)"
        ),
    )
    return {
        "app_id": app_id,
        "api_token": token.get("ApiToken") if isinstance(token, dict) else None,
        "apns_key": apns_key,
        "service_account": service_account,
    }


def walk_push_messages(demo: DemoWalk, context: dict[str, Any]) -> dict[str, Any]:
    """A personalized, localized message: activate, preview for two people, test-send to a simulator device."""
    org_id = context["org_id"]
    app_id = context["app_id"]
    base = f"/admin/v1/orgs/{org_id}/pushmessages"
    demo.request(
        "An unknown placeholder is rejected with its field and position",
        "POST",
        base,
        400,
        body={"Name": "Oops", "Title": "Hi {{customer.name}}", "Body": "x"},
    )
    message = demo.request(
        "The operator writes a personalized message with a pt-BR variant (saved as a Draft, version 1)",
        "POST",
        base,
        201,
        body={
            "Name": "Order shipped",
            "Title": '{{contact.firstname | default: "Hi"}}, your order is on its way',
            "Subtitle": "Order {{trigger.orderNumber}}",
            "Body": "{{#if trigger.express}}Express: arriving tomorrow.{{else}}Arriving in 3-5 days.{{/if}}",
            "OnClick": {"Behavior": "OpenUrl", "Url": "contoso://orders/{{trigger.orderNumber}}"},
            "Data": {"orderNumber": "{{trigger.orderNumber}}"},
            "Ios": {"Sound": "default", "ThreadId": "orders"},
            "Android": {"ChannelId": "orders", "Notification": True},
            "TimeToLiveSeconds": 86400,
            "Localizations": {
                "pt-BR": {
                    "Title": '{{contact.firstname | default: "Olá"}}, seu pedido está a caminho',
                    "Body": "{{#if trigger.express}}Entrega expressa: chega amanhã.{{else}}Chega em 3 a 5 dias.{{/if}}",
                }
            },
        },
        summarize=lambda b: f"MessageId {b['MessageId']}, {b['Status']}, version {b['Version']}",
    )
    message_id = message.get("MessageId", "00000000-0000-0000-0000-000000000000") if isinstance(message, dict) else ""
    url = f"{base}/{message_id}"
    demo.request(
        "...activates it (journeys may now send it)",
        "POST",
        f"{url}/activate",
        200,
        summarize=lambda b: f"{b['Status']} at version {b['Version']}",
    )
    demo.request("...activating twice is a wrong transition", "POST", f"{url}/activate", 409)

    def show_preview(body: dict[str, Any]) -> str:
        rendered = body["Rendered"]
        return (
            f"locale {body['Locale'] or 'default'}: {rendered['Title']!r} / {rendered['Body']!r}; "
            f"APNs {body['Apns']['SizeBytes']} bytes, FCM {body['Fcm']['MessageSizeBytes']} bytes, "
            f"apns-topic {body['Apns']['Headers']['apns-topic']}"
        )

    demo.request(
        "...previews it for Ana (pt-BR, express order)",
        "POST",
        f"{url}/preview",
        200,
        body={
            "Contact": {"firstname": "Ana"},
            "Locale": "pt-BR",
            "TriggerData": {"orderNumber": "A-1001", "express": True},
            "MobileAppId": app_id,
        },
        summarize=show_preview,
    )
    demo.request(
        "...and for a customer without a first name (en-US falls back to the default text)",
        "POST",
        f"{url}/preview",
        200,
        body={
            "Contact": {"city": "Seattle"},
            "Locale": "en-US",
            "TriggerData": {"orderNumber": "B-7"},
            "MobileAppId": app_id,
        },
        summarize=show_preview,
    )
    demo.request(
        "...test-sends it to an iOS device of the simulator (empty trackingId)",
        "POST",
        f"{url}/testsend",
        200,
        body={
            "MobileAppId": app_id,
            "DeviceToken": "de" * 32,
            "Platform": "Ios",
            "Contact": {"firstname": "Ana"},
            "Locale": "pt-BR",
            "TriggerData": {"orderNumber": "A-1001", "express": True},
        },
        summarize=lambda b: "; ".join(
            f"{r['Platform']} {r['DeviceToken'][:8]}...: {r['Verdict']} (HTTP {r['Status']}, apns-id "
            f"{r['ProviderMessageId']})"
            for r in b["Results"]
        ),
    )
    demo.request(
        "...and to an Android device",
        "POST",
        f"{url}/testsend",
        200,
        body={"MobileAppId": app_id, "DeviceToken": "demo-fcm-token", "Platform": "Android"},
        summarize=lambda b: "; ".join(
            f"{r['Platform']}: {r['Verdict']} (HTTP {r['Status']}, {r['ProviderMessageId']})" for r in b["Results"]
        ),
    )
    demo.request("An Active message cannot be deleted", "DELETE", url, 409)
    return {"message_id": message_id}


def walk_user_mapping(demo: DemoWalk, context: dict[str, Any]) -> dict[str, Any]:
    """The directory: import people, find one by email and by phone, link an app user, resolve it."""
    org_id = context["org_id"]
    contacts = f"/admin/v1/orgs/{org_id}/contacts"
    andrew_id = "0d5d9c1e-6a3b-4f1e-8c2a-5b7e9f0a1c23"
    demo.request(
        "The operator imports three contacts (one with a malformed email is reported, not stored)",
        "POST",
        f"{contacts}/import",
        200,
        body={
            "Items": [
                {
                    "contactid": andrew_id,
                    "firstname": "Andrew",
                    "lastname": "Smith",
                    "emailaddress1": "andrew@contosoltd.com",
                    "mobilephone": "+1 (425) 555-0100",
                    "locale": "en-US",
                    "timezone": "America/Los_Angeles",
                    "trackingconsent": True,
                    "customattributes": {"tier": "gold"},
                },
                {"firstname": "Maria", "lastname": "Garcia", "emailaddress1": "maria@contosoltd.com"},
                {"firstname": "Broken", "emailaddress1": "broken-at-contosoltd.com"},
            ]
        },
        summarize=lambda b: (
            f"{b['Counts']}; item 2: {b['Results'][2]['Error']['Details'][0]['Field']} "
            f"{b['Results'][2]['Error']['Details'][0]['Problem']}"
        ),
    )
    demo.request(
        "...finds Andrew by email, whatever the case (OData $filter, Dataverse-style answer)",
        "GET",
        f"{contacts}?%24filter=emailaddress1%20eq%20%27Andrew%40ContosoLtd.com%27&%24select=fullname,mobilephone",
        200,
        summarize=lambda b: f"value {b['value']}",
    )
    demo.request(
        "...and by phone written another way (normalised to E.164)",
        "GET",
        f"{contacts}?%24filter=mobilephone%20eq%20%27%2B1%20425-555-0100%27&%24select=fullname",
        200,
        summarize=lambda b: f"value {b['value']}",
    )
    demo.request(
        "An unsupported operator is named in the error",
        "GET",
        f"{contacts}?%24filter=emailaddress1%20ne%20%27x%27",
        400,
        summarize=lambda b: b["Error"]["Message"],
    )
    app_id = context.get("app_id", "00000000-0000-0000-0000-000000000000")
    demo.request(
        "The app links its own user id 'user-1842' to Andrew",
        "PUT",
        f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/users/user-1842",
        201,
        body={"EntityType": "contact", "EntityId": andrew_id},
        summarize=lambda b: f"{b['AppUserId']} -> {b['EntityType']} {b['EntityId']}",
    )
    resolve = f"/api/v1.0/orgs/{org_id}/pushusermapping/resolve"
    credentials = {"MobileAppId": app_id, "ApiToken": context.get("api_token") or ""}
    demo.request(
        "The app resolves its user by app-user id with its ApiToken (only the id comes back)",
        "POST",
        resolve,
        200,
        admin=False,
        body={**credentials, "AppUserId": "user-1842"},
        summarize=lambda b: f"{b}",
    )
    demo.request(
        "...and by phone number",
        "POST",
        resolve,
        200,
        admin=False,
        body={**credentials, "Phone": "+14255550100"},
        summarize=lambda b: f"{b}",
    )
    demo.request(
        "A wrong ApiToken is a 401",
        "POST",
        resolve,
        401,
        admin=False,
        body={**credentials, "ApiToken": "pgat_wrong", "Email": "andrew@contosoltd.com"},
    )
    return {"contact_id": andrew_id}


def walk_device_registration(demo: DemoWalk, context: dict[str, Any]) -> dict[str, Any]:
    """An app registers an iPhone and an Android phone for one user (CI-J v2), then reads the outcome."""
    org_id, app_id, api_token = context["org_id"], context["app_id"], context.get("api_token") or ""
    base = f"/api/v1.0/orgs/{org_id}/pushdeviceregistration/devices"
    user_id = "8c2d6a10-3b7e-4f59-9d21-7e4b0c9a1f33"
    apns_token = "5A1E0F3C" * 8
    fcm_token = "cXk2b3Rz:APA91bF-demo-registration-token_0123456789"  # noqa: S105 - a device token
    accepted = demo.request(
        "The app registers an iPhone and an Android phone for a user (batch, tracked)",
        "POST",
        f"{base}/batch",
        202,
        admin=False,
        headers={"x-ms-track-registration": "true"},
        body=[
            {"MobileAppId": app_id, "UserId": user_id, "ApiToken": api_token, "ApnsDeviceToken": apns_token},
            {"MobileAppId": app_id, "UserId": user_id, "ApiToken": api_token, "FcmDeviceToken": fcm_token},
        ],
        summarize=lambda b: "RegistrationRequestIds " + ", ".join(i["RegistrationRequestId"] for i in b),
    )
    ids = [entry["RegistrationRequestId"] for entry in accepted] if isinstance(accepted, list) else []
    status_body = {"RegistrationRequestIds": ids, "MobileAppId": app_id, "ApiToken": api_token}
    # The worker dry-runs each token against the provider simulator; wait for it quietly, then show the answer.
    deadline = time.monotonic() + 30
    while ids and time.monotonic() < deadline:
        polled = demo._client.post(f"{base}/status", json=status_body)  # polled quietly: not a step of the report
        if polled.status_code != 200 or all(item["Status"] != "Pending" for item in polled.json()):
            break
        time.sleep(0.2)
    demo.request(
        "...and reads the registration status: the dry runs passed and the devices are stored",
        "POST",
        f"{base}/status",
        200,
        admin=False,
        body=status_body,
        summarize=lambda b: ", ".join(item["Status"] for item in b),
    )
    demo.request(
        "A wrong ApiToken is a 400 and leaves no trace",
        "POST",
        base,
        400,
        admin=False,
        body={"MobileAppId": app_id, "UserId": user_id, "ApiToken": "pgat_wrong", "FcmDeviceToken": fcm_token},
    )
    demo.request(
        "The operator sees the user's stored devices (platform, app mode, status)",
        "GET",
        f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/devices/{user_id}",
        200,
        summarize=lambda b: "; ".join(
            f"{d['Platform']} {d['Token'][:12]}... {d.get('AppMode') or ''} {d['Status']}".replace("  ", " ")
            for d in b["Devices"]
        ),
    )
    return {"device_user_id": user_id}


#: People of the send walk; each gets an iPhone and an Android phone.
SEND_WALK_PEOPLE = 200


def _simulator_tokens_received(local_json: Path, tokens: set[str]) -> int | None:
    """How many of ``tokens`` the provider simulator recorded, read through ``local.json`` (``None``: unknown)."""
    try:
        recorded = _recorded_notifications(local_json)
    except (OSError, KeyError, ValueError, httpx.HTTPError):
        return None
    return sum(1 for notification in recorded if notification.get("token") in tokens)


def _recorded_notifications(local_json: Path) -> list[dict[str, Any]]:
    """What the stack's provider simulator recorded; the simulator's address is in ``local.json``."""
    settings = json.loads(local_json.read_text(encoding="utf-8"))
    context = ssl.create_default_context(cafile=settings["simulator_ca"])
    with httpx.Client(http2=True, verify=context, timeout=10) as simulator:
        recorded: list[dict[str, Any]] = simulator.get(f"{settings['simulator_url']}/sim/notifications").json()
    return recorded


def walk_sends(demo: DemoWalk, context: dict[str, Any]) -> dict[str, Any]:
    """A journey sends a personalized message to 200 people with two devices each; some tokens are dead."""
    org_id, app_id, api_token = context["org_id"], context["app_id"], context.get("api_token") or ""
    run = uuid.uuid4().hex[:8]
    people: list[dict[str, Any]] = [
        {"contactid": str(uuid.uuid4()), "firstname": f"Customer{n}", "trackingconsent": n % 2 == 0}
        for n in range(SEND_WALK_PEOPLE)
    ]
    demo.request(
        f"The directory gets {SEND_WALK_PEOPLE} contacts (half consent to tracking)",
        "POST",
        f"/admin/v1/orgs/{org_id}/contacts/import",
        200,
        body={"Items": people},
        summarize=lambda b: f"Counts {b['Counts']}",
    )
    # Registered quietly with the v1 route (stored without a dry run, so dead tokens get in, as in life).
    tokens: dict[str, str] = {}
    for n, person in enumerate(people):
        user_id = person["contactid"]
        apns = hashlib.sha256(f"{run}-{n}".encode()).hexdigest()
        fcm = f"{'gone' if n % 12 == 5 else 'bad' if n % 40 == 7 else 'demo'}-{run}-{n:04d}"
        for contract in ({"ApnsDeviceContract": {"ApnsToken": apns}}, {"FcmDeviceContract": {"FcmToken": fcm}}):
            demo._client.post(
                f"/api/v1.0/orgs/{org_id}/pushchannel/apps/{app_id}/devices/{user_id}",
                json={**contract, "ApiToken": api_token},
            )
        tokens[apns], tokens[fcm] = user_id, user_id
    message = demo.request(
        "The operator writes a personalized message and activates it",
        "POST",
        f"/admin/v1/orgs/{org_id}/pushmessages",
        201,
        body={
            "Name": "Spring sale",
            "Title": '{{contact.firstname | default: "Hi"}}, the spring sale starts now',
            "Body": "{{#if trigger.vip}}VIP early access: 30% off.{{else}}20% off everything.{{/if}}",
            "OnClick": {"Behavior": "OpenUrl", "Url": "https://contoso.com/sale"},
        },
        summarize=lambda b: f"MessageId {b['MessageId']}",
    )
    message_id = message.get("MessageId", "") if isinstance(message, dict) else ""
    demo._client.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate", headers=demo._admin)
    base = f"/admin/v1/orgs/{org_id}/sends"
    recipients = [{"UserId": p["contactid"], "TriggerData": {"vip": n % 10 == 0}} for n, p in enumerate(people)]
    journey_step = {
        "MobileAppId": app_id,
        "MessageId": message_id,
        "Recipients": recipients,
        "JourneyId": "spring-sale",
        "IdempotencyKey": f"spring-sale-{run}",
    }
    accepted = demo.request(
        f"A journey sends it to all {SEND_WALK_PEOPLE} people (devices resolved, rendered, queued)",
        "POST",
        base,
        202,
        body=journey_step,
        summarize=lambda b: f"SendId {b['SendId']}, Accepted {b['Accepted']}, Rejected {len(b['Rejected'])}",
    )
    send_id = accepted.get("SendId", "") if isinstance(accepted, dict) else ""
    demo.request(
        "...the journey retries the same step: the same answer, nothing sent twice",
        "POST",
        base,
        202,
        body=journey_step,
        summarize=lambda b: f"SendId {b['SendId']} (the first one)",
    )
    if send_id:
        _wait_for_send(demo, f"{base}/{send_id}")
    demo.request(
        "The delivery worker finished: the ledger's totals",
        "GET",
        f"{base}/{send_id}",
        200,
        summarize=lambda b: (
            f"{b['Status']}: {b['Sent']} sent, {b['NotSent']} not sent {b['NotSentReasons']} of {b['Expected']}"
        ),
    )
    demo.request(
        "...the not-sent devices, with the provider's reason",
        "GET",
        f"{base}/{send_id}/recipients?Outcome=NotSent&Limit=3",
        200,
        summarize=lambda b: "; ".join(f"{e['Platform']} {e['Reason']} ({e['Verdict']})" for e in b["Recipients"]),
    )
    received = _simulator_tokens_received(demo.local_json, set(tokens))
    demo.request(
        "...a dead token's device is now Invalid with the provider's evidence",
        "GET",
        f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/devices/{people[5]['contactid']}",
        200,
        summarize=lambda b: (
            "; ".join(f"{d['Platform']} {d['Status']}" for d in b["Devices"])
            + (f"; the simulator received {received} of these notifications" if received is not None else "")
        ),
    )
    return {"send_id": send_id, "sale_message_id": message_id, "person_id": people[0]["contactid"]}


def walk_segments(demo: DemoWalk, context: dict[str, Any]) -> dict[str, Any]:
    """A saved segment of the sale's customers who accept tracking: its preview, then a send to it."""
    org_id, app_id, message_id = context["org_id"], context["app_id"], context.get("sale_message_id", "")
    segment = demo.request(
        "The operator saves a segment: the sale's customers who accept tracking",
        "POST",
        f"/admin/v1/orgs/{org_id}/segments",
        201,
        body={"Name": "Tracked customers", "Filter": "startswith(firstname,'customer') and trackingconsent eq true"},
        summarize=lambda b: f"SegmentId {b['SegmentId']}: {b['Filter']}",
    )
    segment_id = segment.get("SegmentId", "") if isinstance(segment, dict) else ""
    demo.request(
        "...and previews it: who and how many devices it reaches now (nothing is sent)",
        "POST",
        f"/admin/v1/orgs/{org_id}/audiences/preview",
        200,
        body={"MobileAppId": app_id, "Audience": {"SegmentId": segment_id}},
        summarize=lambda b: (
            f"{b['People']} people of {b['Matched']} matching, {b['Devices']['Total']} devices "
            f"({b['Devices']['Ios']} iOS, {b['Devices']['Android']} Android); "
            f"e.g. {', '.join(str(p['FirstName']) for p in b['Sample'][:3])}"
        ),
    )
    base = f"/admin/v1/orgs/{org_id}/sends"
    accepted = demo.request(
        "The message goes to the segment (the audience worker reads its people page by page)",
        "POST",
        base,
        202,
        body={"MobileAppId": app_id, "MessageId": message_id, "Audience": {"SegmentId": segment_id}},
        summarize=lambda b: f"SendId {b['SendId']}",
    )
    send_id = accepted.get("SendId", "") if isinstance(accepted, dict) else ""
    if send_id:
        _wait_for_send(demo, f"{base}/{send_id}")
    demo.request(
        "...each person of the segment got their own notification",
        "GET",
        f"{base}/{send_id}",
        200,
        summarize=lambda b: (
            f"{b['Status']}: {b['RecipientsAccepted']} people, {b['Sent']} sent, {b['NotSent']} not sent "
            f"{b['NotSentReasons']}"
        ),
    )
    return {}


#: A browser's user agent, for the demo's human clicks on tracked links.
DEMO_BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def _simulator_notifications(local_json: Path) -> list[dict[str, Any]]:
    """Every notification the provider simulator recorded, read through ``local.json`` (empty: unknown)."""
    try:
        return _recorded_notifications(local_json)
    except (OSError, KeyError, ValueError, httpx.HTTPError):
        return []


def _received_summary(received: list[tuple[str, dict[str, Any]]]) -> str:
    """What the devices' data carried, as an app developer reads it (see docs/client-integration.md)."""
    tracked = sum("/l/" in (data.get("link") or "") for _, data in received)
    example = received[0][1] if received else {}
    absent = [key for key in ("imageUrl", "title") if example.get(key) is None]
    return (
        f"payload data: trackingId {example.get('trackingId', '?')} (a GUID); link = the tracked /l/ redirect "
        f"for {tracked} consenting recipients, the plain URL for the other {len(received) - tracked}; "
        f"originalLink = the plain URL; unset keys ({', '.join(absent) or 'none'}) null on iOS, absent on Android"
    )


def _insights_table(body: dict[str, Any]) -> str:
    counts = ("Inflow", "Sent", "NotSent", "Opened", "UniqueOpens", "Clicks", "UniqueClicks", "BotClicks")
    columns = (*counts, "OpenRate", "ClickThroughRate", "ClickToOpenRate")

    def line(label: str, m: dict[str, Any]) -> str:
        return f"{label:12}" + "".join(f"{'-' if m[c] is None else m[c]:>{len(c) + 2}}" for c in columns)

    header = f"{'':12}" + "".join(f"{c:>{len(c) + 2}}" for c in columns)
    days = [line(d["Day"], d) for d in body["Days"] if d["Inflow"] or d["Sent"] or d["Opened"] or d["BotClicks"]]
    return "\n         ".join([header, line("Overall", body["Overall"]), *days])


def walk_interactions(demo: DemoWalk, context: dict[str, Any]) -> dict[str, Any]:
    """Part of the spring-sale audience opens the notification and follows its link; then the insights."""
    org_id, send_id = context["org_id"], context.get("send_id") or ""
    send = demo._client.get(f"/admin/v1/orgs/{org_id}/sends/{send_id}", headers=demo._admin).json()
    page = demo._client.get(
        f"/admin/v1/orgs/{org_id}/sends/{send_id}/recipients",
        params={"Outcome": "Sent", "Limit": "1000"},
        headers=demo._admin,
    ).json()
    delivered = {entry["TrackingId"]: entry for entry in page.get("Recipients", [])}
    received = []
    for notification in _simulator_notifications(demo.local_json):
        payload = notification.get("payload") or {}
        data = payload.get("data") or (payload.get("message") or {}).get("data") or {}
        if data.get("trackingId") in delivered:
            received.append((notification["token"], data))
    openers, repeaters = received[: len(received) * 3 // 10], received[: len(received) // 10]
    events = f"/api/v1.0/orgs/{org_id}/pushdatareceiver/events"
    for index, (token, data) in enumerate(openers):
        body = {"TrackingId": data["trackingId"], "DeviceToken": token, "PushNotificationStatus": 1}
        if index == 0:
            demo.request(
                f"{len(openers)} of {len(received)} devices report Opened (Microsoft's v2 request, no ApiToken)",
                "POST",
                events,
                202,
                admin=False,
                body=body,
            )
            demo.report.steps[-1].summary = _received_summary(received)
        else:
            demo._client.post(events, json=body)
    for token, data in repeaters:
        legacy = f"/api/v1.0/orgs/{org_id}/pushchannel/event/trackings/{data['trackingId']}"
        demo._client.post(legacy, json={"DeviceToken": token, "PushNotificationStatus": "Opened"})
    first_token = received[0][0] if received else ""
    other = received[1][1]["trackingId"] if len(received) > 1 else "unknown"
    demo.request(
        "A report whose TrackingId belongs to another device is refused, nothing counted",
        "POST",
        events,
        400,
        admin=False,
        body={"TrackingId": other, "DeviceToken": first_token, "PushNotificationStatus": "1"},
    )
    tracked = [data for _, data in received if "/l/" in (data.get("link") or "")]
    clickers, bots = tracked[: len(tracked) // 5], tracked[len(tracked) // 5 : len(tracked) // 5 + 10]
    for data in bots:
        demo._client.get(urlsplit(data["link"]).path, headers={"user-agent": "Slackbot-LinkExpanding 1.0"})
    latest = max((delivered[d["trackingId"]]["At"] for d in clickers), default=None)
    if latest is not None:
        # A person cannot click within 2 s of delivery: such clicks count as bots, so the demo waits.
        time.sleep(max(0.0, 2.5 - (time.time() - datetime.fromisoformat(latest).timestamp())))
    for index, data in enumerate(clickers):
        path = urlsplit(data["link"]).path
        if index == 0:
            demo.request(
                f"{len(clickers)} people follow the tracked link (and {len(bots)} link scanners do too)",
                "GET",
                path,
                302,
                admin=False,
                headers={"user-agent": DEMO_BROWSER},
            )
            demo.report.steps[-1].summary = f"302 to {data['originalLink']} (the message's URL, and only that)"
        else:
            demo._client.get(path, headers={"user-agent": DEMO_BROWSER})
    message_id = send.get("MessageId", "") if isinstance(send, dict) else ""
    demo.request(
        "The message's insights: counts and rates, overall and per day",
        "GET",
        f"/admin/v1/orgs/{org_id}/insights/messages/{message_id}",
        200,
        summarize=_insights_table,
    )
    demo.request(
        "...its interactions exported as CSV (first page)",
        "GET",
        f"/admin/v1/orgs/{org_id}/insights/journeys/spring-sale/interactions?Format=csv&Limit=5",
        200,
    )
    demo.report.steps[-1].summary = "rows of Sent / NotSent / Opened / LinkClicked / BotLinkClicked, NextToken header"
    return {}


def _wait_for_send(demo: DemoWalk, path: str, jobs: float = math.inf, deadline_s: float = 60) -> dict[str, Any]:
    """Polls a send quietly (not a step of the report) until it completed or ``jobs`` of its jobs are done.

    Returns:
        The send as last read; ``{}`` when it could not be read (the next step shows why).
    """
    end = time.monotonic() + deadline_s
    body: dict[str, Any] = {}
    while time.monotonic() < end:
        polled = demo._client.get(path, headers=demo._admin)
        body = polled.json() if polled.status_code == 200 else {}
        if not body or body["Status"] == "Completed" or body["JobsDone"] >= jobs:
            break
        time.sleep(0.3)
    return body


def _landed_locally(entries: list[dict[str, Any]], zones: dict[str, str]) -> str:
    landed = []
    for entry in entries:
        zone = zones.get(entry["UserId"], "UTC")
        local = datetime.fromisoformat(entry["At"]).astimezone(ZoneInfo(zone))
        landed.append(f"{zone} {local:%H:%M} local ({entry['Outcome']})")
    return "; ".join(sorted(landed))


def walk_timing(demo: DemoWalk, context: dict[str, Any]) -> dict[str, Any]:
    """A morning briefing at 09:00 in each recipient's zone, on the local clock; then a frequency cap at work."""
    org_id, app_id, api_token = context["org_id"], context["app_id"], context.get("api_token") or ""
    demo.request(
        "The local clock moves to the next 12:00 UTC, so this walk reads the same at any hour it runs",
        "POST",
        "/_local/clock",
        200,
        body={"Now": _next_noon_utc(demo).isoformat()},
        summarize=lambda b: f"now {b['Now']}",
    )
    demo.request(
        "The app gets a delivery policy: quiet hours 21:00-08:00 recipient-local, 1 notification a day",
        "PUT",
        f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/delivery-policy",
        200,
        body={
            "DefaultTimeZone": "W. Europe Standard Time",
            "QuietHours": {"Start": "21:00", "End": "08:00"},
            "FrequencyCap": {"MaxNotifications": 1, "PeriodHours": 24},
        },
        summarize=lambda b: f"default zone {b['DefaultTimeZone']} = {b['DefaultTimeZoneResolved']}",
    )
    # One contact in Tokyo (an IANA name), one in Berlin as CI-J stores it (Dataverse timezonecode 110).
    zones: dict[str, str] = {}
    users = []
    for name, timezone, iana in (("Haruto", "Asia/Tokyo", "Asia/Tokyo"), ("Lena", 110, "Europe/Berlin")):
        created = demo._client.post(
            f"/admin/v1/orgs/{org_id}/contacts", json={"firstname": name, "timezone": timezone}, headers=demo._admin
        ).json()
        user_id = created.get("contactid", "")
        zones[user_id] = iana
        users.append(user_id)
        token = f"fcm-morning-{uuid.uuid4().hex}"
        demo._client.post(
            f"/api/v1.0/orgs/{org_id}/pushchannel/apps/{app_id}/devices/{user_id}",
            json={"FcmDeviceContract": {"FcmToken": token}, "ApiToken": api_token},
        )
    message = demo._client.post(
        f"/admin/v1/orgs/{org_id}/pushmessages",
        json={"Name": "Morning briefing", "Title": "Good morning {{contact.firstname}}", "Body": "Today's picks"},
        headers=demo._admin,
    ).json()
    message_id = message.get("MessageId", "")
    demo._client.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate", headers=demo._admin)
    base = f"/admin/v1/orgs/{org_id}/sends"
    accepted = demo.request(
        "A send at 09:00 in each recipient's zone (Tokyo, and Berlin from its Dataverse code 110)",
        "POST",
        base,
        202,
        body={
            "MobileAppId": app_id,
            "MessageId": message_id,
            "Recipients": [{"UserId": u} for u in users],
            "SendAtLocalTime": "09:00",
        },
        summarize=lambda b: f"SendId {b['SendId']}, Accepted {b['Accepted']}",
    )
    send_id = accepted.get("SendId", "") if isinstance(accepted, dict) else ""
    scheduled = demo.request(
        "...it waits, bucketed by the UTC hour each recipient's 09:00 falls in",
        "GET",
        f"{base}/{send_id}",
        200,
        summarize=lambda b: f"{b['Status']}: " + ", ".join(f"{h['Hour']}: {h['Recipients']}" for h in b["Scheduled"]),
    )
    hours = [h["Hour"] for h in scheduled.get("Scheduled", [])] if isinstance(scheduled, dict) else []
    for done, hour in enumerate(hours, 1):
        title = f"The local clock moves to {hour}: the release schedule hands that hour's job over"
        demo.request(title, "POST", "/_local/clock", 200, body={"Now": hour.replace("Z", "+00:00")})
        _wait_for_send(demo, f"{base}/{send_id}", done)
    demo.request(
        "...each recipient got it at 09:00 their time (the ledger's At, in their zone)",
        "GET",
        f"{base}/{send_id}/recipients",
        200,
        summarize=lambda b: _landed_locally(b["Recipients"], zones),
    )
    again = demo._client.post(
        base,
        json={"MobileAppId": app_id, "MessageId": message_id, "Recipients": [{"UserId": users[1]}]},
        headers=demo._admin,
    ).json()
    capped_send = again.get("SendId", "") if isinstance(again, dict) else ""
    _wait_for_send(demo, f"{base}/{capped_send}", 1)
    demo.request(
        "A second notification to Lena the same day: the cap of 1 a day holds it back",
        "GET",
        f"{base}/{capped_send}",
        200,
        summarize=lambda b: f"{b['Status']}: {b['Sent']} sent, not sent {b['NotSentReasons']}",
    )
    return {}


def _next_noon_utc(demo: DemoWalk) -> datetime:
    """The first 12:00 UTC after the local clock's now.

    From there Tokyo's next 09:00 (00:00 UTC) comes before Berlin's (08:00 UTC), so Lena's hour is
    released last and her capped second send falls at 09:00 Berlin, outside the quiet hours. From
    the real time instead, a run between 00:00 and 08:00 UTC ended on Tokyo's hour (01:00 in Berlin)
    and the quiet hours, not the cap, held the send back.
    """
    now = datetime.fromisoformat(demo._client.get("/_local/clock", headers=demo._admin).json()["Now"])
    noon = now.astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon > now else noon + timedelta(days=1)


class _Cli:
    """Runs the real `pushgate` command (``python -m pushgate_cli``), logged in to this stack, as demo steps."""

    def __init__(self, demo: DemoWalk, folder: Path) -> None:
        self._demo = demo
        self._env = {k: v for k, v in os.environ.items() if k not in {"PUSHGATE_ORG", "PUSHGATE_CONFIG"}}
        self._env.update({"PUSHGATE_CONFIG": str(folder / "config.json"), "COLUMNS": "160"})
        self.run("The operator logs the CLI in to this stack", "login", "--local", "--local-json", str(demo.local_json))

    def run(self, title: str, *args: str, summarize: Callable[[Any], str] | None = None) -> Any:
        """Runs one command (``--json`` when ``summarize`` reads its answer) and records it as a step."""
        command = [*args, "--json"] if summarize is not None else list(args)
        done = subprocess.run(
            [sys.executable, "-m", "pushgate_cli", *command],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        step = Step(title, "CLI", "pushgate " + " ".join(args), 0, done.returncode)
        answer: Any = None
        if done.returncode == 0 and summarize is not None:
            answer = json.loads(done.stdout)
            step.summary = summarize(answer)
        elif done.returncode != 0:
            step.summary = (
                (done.stderr or done.stdout).strip().splitlines()[-1][:300] if (done.stderr or done.stdout) else ""
            )
        self._demo.report.steps.append(step)
        return answer


def _ids_tail(ids: list[str]) -> str:
    return ", ".join(ids[:3]) + (" ..." if len(ids) > 3 else "")


def walk_operator_cli(demo: DemoWalk, context: dict[str, Any]) -> dict[str, Any]:
    """Daily work through the CLI: the orgs, a broadcast, the send history, one person's page."""
    org_id, app_id = context["org_id"], context["app_id"]
    message_id, person_id = context.get("sale_message_id", ""), context.get("person_id", "")
    with tempfile.TemporaryDirectory(prefix="pushgate-demo-cli-") as folder:
        cli = _Cli(demo, Path(folder))
        cli.run(
            "The list of orgs",
            "orgs", "list",
            summarize=lambda b: f"{len(b['Orgs'])} orgs: {_ids_tail([o['Name'] for o in b['Orgs']])}",
        )  # fmt: skip
        cli.run(
            "A broadcast to every Active device of the app, followed until Completed",
            "send", "--org", org_id, "--message", message_id, "--app", app_id, "--broadcast",
            summarize=lambda b: "Totals " + json.dumps({k: b["Totals"][k] for k in ("Status", "Sent", "NotSent")}),
        )  # fmt: skip
        cli.run(
            "The send history, newest first, with status and totals",
            "sends", "list", "--org", org_id, "--limit", "5",
            summarize=lambda b: "; ".join(
                f"{s['Audience']} {s['Status']} sent {s['Totals']['Sent']}" for s in b["Sends"]
            ),
        )  # fmt: skip
        cli.run(
            "The person page: a contact's devices per app (token suffix only)",
            "contacts", "devices", person_id, "--org", org_id,
            summarize=lambda b: "; ".join(f"{d['Platform']} {d['Status']} ...{d['TokenSuffix']}" for d in b["Devices"]),
        )  # fmt: skip
        cli.run(
            "The person page: the contact's app-user links",
            "contacts", "links", person_id, "--org", org_id,
            summarize=lambda b: f"{len(b['Links'])} links",
        )  # fmt: skip
        cli.run(
            "The person page: the contact's notifications in the org's recent sends",
            "contacts", "notifications", person_id, "--org", org_id,
            summarize=lambda b: f"{len(b['Notifications'])} notifications "
            + json.dumps(sorted({n["Outcome"] for n in b["Notifications"]}))
            + f" in {b['SendsSearched']} sends searched",
        )  # fmt: skip
    return {}


WALKS: list[Callable[[DemoWalk, dict[str, Any]], dict[str, Any]]] = [
    walk_foundation,
    walk_mobile_apps,
    walk_push_messages,
    walk_user_mapping,
    walk_device_registration,
    walk_sends,
    walk_interactions,
    walk_segments,
    # Before the timing walk: its quiet hours (21:00-08:00 Berlin) and the clock it leaves up to a
    # day ahead would hold the daily broadcast back whenever they cover the moment it is sent.
    walk_operator_cli,
    walk_timing,
]


def run_demo(api_url: str, admin_key: str, local_json: Path) -> DemoReport:
    """Runs every walk against a running dev server.

    Args:
        api_url: The dev server's base URL.
        admin_key: The local admin key.
        local_json: The stack's ``local.json`` (where its provider simulator is).

    Returns:
        The report.
    """
    demo = DemoWalk(api_url, admin_key, local_json)
    context: dict[str, Any] = {}
    try:
        for walk in WALKS:
            # Each walk builds on what the earlier ones created (the org, the app, its token).
            context.update(walk(demo, context))
    finally:
        demo.close()
    return demo.report
