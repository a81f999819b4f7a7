"""Operator set-up on a bench's local runtime: an org with an iOS (token-auth) app, over the admin API."""

from __future__ import annotations

import httpx

from pushgate_local.credentials import generate_apns_auth_key
from pushgate_local.runtime import LocalRuntime


def admin_client(runtime: LocalRuntime, *, timeout_s: float = 60) -> httpx.Client:
    """An operator client of the runtime's dev server (the admin key as bearer)."""
    return httpx.Client(
        base_url=runtime.api_url, headers={"Authorization": f"Bearer {runtime.config.admin_key}"}, timeout=timeout_s
    )


def create_ios_app(admin: httpx.Client, *, org_name: str, app_name: str) -> tuple[str, str]:
    """Creates an org and an app sending to APNs with a fresh token key; returns their ids."""
    key = generate_apns_auth_key()
    org = admin.post("/admin/v1/orgs", json={"Name": org_name})
    org.raise_for_status()
    org_id = str(org.json()["OrgId"])
    ios = {
        "AuthMode": "Token",
        "AppMode": "Production",
        "BundleId": "com.example.bench",
        "TeamId": key.team_id,
        "KeyId": key.key_id,
        "SigningKey": key.private_key_pem,
    }
    app = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps", json={"Name": app_name, "Ios": ios})
    app.raise_for_status()
    return org_id, str(app.json()["MobileAppId"])
