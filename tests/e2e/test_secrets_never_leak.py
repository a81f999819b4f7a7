"""Secret material uploaded to Pushgate never comes back: not in a response, not in a log line."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from pushgate_local.credentials import generate_apns_auth_key, generate_apns_certificate, generate_fcm_service_account
from pushgate_local.runtime import LocalRuntime

pytestmark = pytest.mark.stack

PASSWORD = "Leak-Canary-Passw0rd-4711"


def _needles(secret: str) -> set[str]:
    """Fragments that would betray a secret: every full line of a PEM body or base64 blob, and the whole."""
    lines = {line.strip() for line in secret.splitlines() if len(line.strip()) >= 24 and "-----" not in line}
    return lines | {secret.strip()} if len(secret) < 200 else lines


def test_uploaded_secrets_appear_in_no_response_and_no_log(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str
) -> None:
    key = generate_apns_auth_key()
    certificate = generate_apns_certificate("com.contoso.leaks", password=PASSWORD)
    account = generate_fcm_service_account("leak-check")
    p12_chunks = "\n".join(certificate.p12_base64[i : i + 64] for i in range(0, len(certificate.p12_base64), 64))
    needles = _needles(key.private_key_pem) | _needles(account.private_key_pem) | _needles(p12_chunks) | {PASSWORD}
    base = f"/admin/v1/orgs/{org_id}/mobileapps"
    ios_token = {
        "AuthMode": "Token",
        "AppMode": "Sandbox",
        "BundleId": "com.contoso.leaks",
        "TeamId": key.team_id,
        "KeyId": key.key_id,
        "SigningKey": key.private_key_pem,
    }
    ios_certificate = {
        "AuthMode": "Certificate",
        "AppMode": "Production",
        "Certificate": certificate.p12_base64,
        "CertificatePassword": PASSWORD,
    }
    responses: list[httpx.Response] = []

    # Given every kind of upload, the good ones and the ones that fail validation with the secret inside
    created = admin.post(base, json={"Name": "a", "Ios": ios_token, "Android": {"ServiceAccountJson": account.info}})
    responses.append(created)
    app_path = f"{base}/{created.json()['MobileAppId']}"
    responses.append(admin.patch(app_path, json={"Ios": ios_certificate}))
    responses.append(admin.post(base, json={"Name": "b", "Ios": {**ios_certificate, "CertificatePassword": "wrong"}}))
    responses.append(admin.post(base, json={"Name": "c", "Ios": {**ios_token, "SigningKey": account.private_key_pem}}))
    responses.append(admin.post(base, json={"Name": "d", "Ios": {**ios_token, "KeyId": PASSWORD}}))
    responses.append(
        admin.post(base, json={"Name": "e", "Android": {"ServiceAccountJson": {**account.info, "type": PASSWORD}}})
    )
    responses.append(
        admin.post(
            base, json={"Name": "f", "Ios": {**ios_certificate, "Certificate": base64.b64encode(b"x" * 90).decode()}}
        )
    )
    responses.append(admin.post(base, json={"Name": "g", "Ios": ios_token, "Unknown": PASSWORD}))
    issued = admin.post(f"{app_path}/tokens", json={"Label": "leak test"})
    api_token = issued.json()["ApiToken"]
    for path in ("", "/tokens", "/developer-info"):
        responses.append(admin.get(f"{app_path}{path}"))
    responses.append(admin.get(base))
    assert [r.status_code for r in responses[:2]] == [201, 200]
    assert all(400 <= r.status_code < 500 for r in responses[2:8]), [r.text for r in responses[2:8]]

    # Then no response and no log line holds any of it (and the ApiToken is only in its one response)
    haystacks = {f"response {r.request.method} {r.request.url.path}": r.text for r in responses}
    haystacks |= {str(p): p.read_text(errors="replace") for p in Path(dev_stack.log_dir).glob("*.log")}
    assert any(name.endswith("ManageAppsFunction.log") for name in haystacks), "the function's log was not captured"
    for name, text in haystacks.items():
        leaked = [n for n in needles | {api_token} if n in text]
        assert not leaked, f"{name} leaks {len(leaked)} secret fragment(s)"
