"""The end-to-end walk ``make demo`` prints: every capability, driven over HTTP as a user would.

Each step sends a real request to the dev server and checks the answer; the report shows what was
sent and what came back. The walk fails (exit 1) when any step does not answer as expected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
        return "\n".join(lines)


class DemoWalk:
    """Sends the walk's requests and records them."""

    def __init__(self, api_url: str, admin_key: str) -> None:
        """Binds the walk to a running dev server."""
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


WALKS: list[Callable[[DemoWalk, dict[str, Any]], dict[str, Any]]] = [walk_foundation, walk_mobile_apps]


def run_demo(api_url: str, admin_key: str) -> DemoReport:
    """Runs every walk against a running dev server.

    Args:
        api_url: The dev server's base URL.
        admin_key: The local admin key.

    Returns:
        The report.
    """
    demo = DemoWalk(api_url, admin_key)
    context: dict[str, Any] = {}
    try:
        for walk in WALKS:
            # Each walk builds on what the earlier ones created (the org, the app, its token).
            context.update(walk(demo, context))
    finally:
        demo.close()
    return demo.report
