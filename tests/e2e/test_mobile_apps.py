"""Mobile app configurations over HTTP: credentials validated on save, secrets in Secrets Manager."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest

from pushgate_local.credentials import (
    ApnsAuthKey,
    ApnsPushCertificate,
    FcmServiceAccount,
    generate_apns_auth_key,
    generate_apns_certificate,
    generate_apns_development_certificate,
    generate_fcm_service_account,
)
from pushgate_local.runtime import LocalRuntime

pytestmark = pytest.mark.stack

BUNDLE_ID = "com.contoso.pushgate"
P12_PASSWORD = "p12-Passw0rd!"


@pytest.fixture(scope="module")
def apns_key() -> ApnsAuthKey:
    return generate_apns_auth_key()


@pytest.fixture(scope="module")
def certificate() -> ApnsPushCertificate:
    return generate_apns_certificate(BUNDLE_ID, password=P12_PASSWORD)


@pytest.fixture(scope="module")
def service_account() -> FcmServiceAccount:
    return generate_fcm_service_account("contoso-push")


def ios_token(key: ApnsAuthKey, **overrides: Any) -> dict[str, Any]:
    return {
        "AuthMode": "Token",
        "AppMode": "Sandbox",
        "BundleId": BUNDLE_ID,
        "TeamId": key.team_id,
        "KeyId": key.key_id,
        "SigningKey": key.private_key_pem,
        **overrides,
    }


def ios_certificate(cert: ApnsPushCertificate, **overrides: Any) -> dict[str, Any]:
    return {
        "AuthMode": "Certificate",
        "AppMode": "Production",
        "Certificate": cert.p12_base64,
        "CertificatePassword": cert.password,
        **overrides,
    }


def android(account: FcmServiceAccount) -> dict[str, Any]:
    return {"ServiceAccountJson": account.info}


class Stack:
    """What the tests look at behind the API: the table and the secrets."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.dynamodb = boto3.client("dynamodb", endpoint_url=runtime.dynamodb_url, region_name="us-east-1")
        self.secrets = boto3.client("secretsmanager", endpoint_url=runtime.aws_url, region_name="us-east-1")
        self.table = runtime.resources.table_names["MainTable"]

    def items(self, org_id: str) -> list[dict[str, Any]]:
        response = self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"ORG#{org_id}"}},
        )
        return response["Items"]

    def secret_names(self, org_id: str) -> list[str]:
        names = []
        for page in self.secrets.get_paginator("list_secrets").paginate():
            names += [s["Name"] for s in page["SecretList"] if org_id in s["Name"] and "DeletedDate" not in s]
        return names


@pytest.fixture(scope="module")
def stack(dev_stack: LocalRuntime) -> Stack:
    return Stack(dev_stack)


def create(admin: httpx.Client, org_id: str, body: dict[str, Any]) -> httpx.Response:
    return admin.post(f"/admin/v1/orgs/{org_id}/mobileapps", json=body)


def fields(response: httpx.Response) -> set[str]:
    return {detail["Field"] for detail in response.json()["Error"]["Details"]}


# ------------------------------------------------------------------------------------------ create


def test_create_with_both_platforms_stores_metadata_in_dynamodb_and_secrets_in_secrets_manager(
    admin: httpx.Client, org_id: str, stack: Stack, apns_key: ApnsAuthKey, service_account: FcmServiceAccount
) -> None:
    response = create(
        admin,
        org_id,
        {"Name": "Contoso", "Description": "prod app", "Ios": ios_token(apns_key), "Android": android(service_account)},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    uuid.UUID(body["MobileAppId"])
    assert body["Ios"] == {
        "AuthMode": "Token",
        "AppMode": "Sandbox",
        "BundleId": BUNDLE_ID,
        "TeamId": apns_key.team_id,
        "KeyId": apns_key.key_id,
        "PublicKeySha256": body["Ios"]["PublicKeySha256"],
    }
    assert body["Android"]["ProjectId"] == "contoso-push"
    assert body["Android"]["ClientEmail"] == service_account.client_email
    assert {p: v["Status"] for p, v in body["CredentialValidation"].items()} == {
        "Ios": "Unchecked",
        "Android": "Unchecked",
    }
    # The secret parts live in Secrets Manager only.
    names = stack.secret_names(org_id)
    assert len(names) == 2
    stored = {
        name.rsplit("/", 1)[1].split("-")[0]: stack.secrets.get_secret_value(SecretId=name)["SecretString"]
        for name in names
    }
    assert apns_key.private_key_pem.strip().splitlines()[1] in stored["ios"]
    assert json.loads(stored["android"])["service_account"]["private_key_id"] == service_account.private_key_id
    item_text = json.dumps(stack.items(org_id))
    assert "PRIVATE KEY" not in item_text


def test_create_with_certificate_reports_expiry_and_topic(
    admin: httpx.Client, org_id: str, certificate: ApnsPushCertificate
) -> None:
    response = create(admin, org_id, {"Name": "Cert app", "Ios": ios_certificate(certificate)})

    assert response.status_code == 201, response.text
    ios = response.json()["Ios"]
    assert ios["AuthMode"] == "Certificate"
    assert ios["BundleId"] == BUNDLE_ID
    assert BUNDLE_ID in ios["Topics"]
    assert datetime.fromisoformat(ios["NotValidAfter"]) == certificate.certificate.not_valid_after_utc


def _bad_bodies() -> list[
    tuple[str, Callable[[ApnsAuthKey, ApnsPushCertificate, FcmServiceAccount], dict[str, Any]], str]
]:
    def rsa_p8(key: ApnsAuthKey, cert: ApnsPushCertificate, account: FcmServiceAccount) -> dict[str, Any]:
        return {"Name": "x", "Ios": ios_token(key, SigningKey=account.private_key_pem)}

    return [
        ("no platform", lambda k, c, a: {"Name": "x"}, "Ios"),
        ("missing name", lambda k, c, a: {"Ios": ios_token(k)}, "Name"),
        ("name of wrong type", lambda k, c, a: {"Name": 5, "Ios": ios_token(k)}, "Name"),
        ("unknown top-level field", lambda k, c, a: {"Name": "x", "Ios": ios_token(k), "Web": {}}, "Web"),
        ("unknown iOS field", lambda k, c, a: {"Name": "x", "Ios": ios_token(k, Extra=1)}, "Ios.Extra"),
        ("RSA key as .p8", rsa_p8, "Ios.SigningKey"),
        (
            "truncated .p8",
            lambda k, c, a: {"Name": "x", "Ios": ios_token(k, SigningKey=k.private_key_pem[:80])},
            "Ios.SigningKey",
        ),
        ("short key id", lambda k, c, a: {"Name": "x", "Ios": ios_token(k, KeyId="ABC")}, "Ios.KeyId"),
        ("short team id", lambda k, c, a: {"Name": "x", "Ios": ios_token(k, TeamId="T1")}, "Ios.TeamId"),
        ("bad bundle id", lambda k, c, a: {"Name": "x", "Ios": ios_token(k, BundleId="not a bundle")}, "Ios.BundleId"),
        ("unknown auth mode", lambda k, c, a: {"Name": "x", "Ios": ios_token(k, AuthMode="Password")}, "Ios.AuthMode"),
        (
            "wrong .p12 password",
            lambda k, c, a: {"Name": "x", "Ios": ios_certificate(c, CertificatePassword="nope")},
            "Ios.CertificatePassword",
        ),
        (
            "not base64 .p12",
            lambda k, c, a: {"Name": "x", "Ios": ios_certificate(c, Certificate="%%%")},
            "Ios.Certificate",
        ),
        (
            "topic mismatch",
            lambda k, c, a: {"Name": "x", "Ios": ios_certificate(c, BundleId="com.other.app")},
            "Ios.BundleId",
        ),
        (
            "google-services.json",
            lambda k, c, a: {
                "Name": "x",
                "Android": {"ServiceAccountJson": {"project_info": {"project_id": "p"}, "client": [{}]}},
            },
            "Android.ServiceAccountJson",
        ),
        (
            "legacy server key",
            lambda k, c, a: {"Name": "x", "Android": {"ServiceAccountJson": "AAAAabc:APA91bFoo"}},
            "Android.ServiceAccountJson",
        ),
        (
            "oversized upload",
            lambda k, c, a: {"Name": "x", "Ios": ios_token(k, SigningKey="A" * 70_000)},
            "Ios.SigningKey",
        ),
    ]


@pytest.mark.parametrize(("case", "build", "field"), _bad_bodies(), ids=[case for case, _, _ in _bad_bodies()])
def test_bad_credentials_are_400_naming_the_field_and_nothing_is_stored(
    admin: httpx.Client,
    org_id: str,
    stack: Stack,
    apns_key: ApnsAuthKey,
    certificate: ApnsPushCertificate,
    service_account: FcmServiceAccount,
    case: str,
    build: Callable[..., dict[str, Any]],
    field: str,
) -> None:
    response = create(admin, org_id, build(apns_key, certificate, service_account))

    assert response.status_code == 400, response.text
    assert field in fields(response), response.json()
    assert [i["sk"]["S"] for i in stack.items(org_id)] == ["ORG"]
    assert stack.secret_names(org_id) == []


def test_expired_certificate_names_the_expiry_date(admin: httpx.Client, org_id: str) -> None:
    expired = generate_apns_certificate(BUNDLE_ID, password=P12_PASSWORD, expired=True)

    response = create(admin, org_id, {"Name": "x", "Ios": ios_certificate(expired)})

    assert response.status_code == 400
    problem = next(d["Problem"] for d in response.json()["Error"]["Details"] if d["Field"] == "Ios.Certificate")
    assert expired.certificate.not_valid_after_utc.date().isoformat() in problem


def test_development_certificate_with_production_mode_is_a_mismatch(admin: httpx.Client, org_id: str) -> None:
    development = generate_apns_development_certificate(BUNDLE_ID, password=P12_PASSWORD)

    response = create(admin, org_id, {"Name": "x", "Ios": ios_certificate(development, AppMode="Production")})

    assert response.status_code == 400
    assert "Ios.AppMode" in fields(response)


def test_malformed_json_and_non_object_bodies(admin: httpx.Client, org_id: str) -> None:
    path = f"/admin/v1/orgs/{org_id}/mobileapps"
    headers = {"content-type": "application/json"}

    assert fields(admin.post(path, content=b'{"Name":', headers=headers)) == {"body"}
    assert fields(admin.post(path, content=b"[1]", headers=headers)) == {"body"}
    assert fields(admin.post(path, content=b"", headers=headers)) == {"body"}
    assert admin.post(path, content=b" " * 300_000, headers=headers).status_code == 413


def test_unknown_org_is_404(admin: httpx.Client, apns_key: ApnsAuthKey) -> None:
    response = create(admin, str(uuid.uuid4()), {"Name": "x", "Ios": ios_token(apns_key)})

    assert response.status_code == 404


# ------------------------------------------------------------------------------- read, list, change


def test_get_list_and_paging(admin: httpx.Client, org_id: str, apns_key: ApnsAuthKey) -> None:
    created = [create(admin, org_id, {"Name": f"app {n}", "Ios": ios_token(apns_key)}).json() for n in range(3)]

    one = admin.get(f"/admin/v1/orgs/{org_id}/mobileapps/{created[0]['MobileAppId']}")
    assert one.status_code == 200
    assert one.json() == created[0]

    seen, token = [], None
    for _ in range(5):
        params = {"Limit": "2", **({"NextToken": token} if token else {})}
        page = admin.get(f"/admin/v1/orgs/{org_id}/mobileapps", params=params).json()
        seen += [a["MobileAppId"] for a in page["MobileApps"]]
        token = page["NextToken"]
        if token is None:
            break
    assert sorted(seen) == sorted(a["MobileAppId"] for a in created)

    assert fields(admin.get(f"/admin/v1/orgs/{org_id}/mobileapps", params={"Limit": "0"})) == {"query.Limit"}
    assert fields(admin.get(f"/admin/v1/orgs/{org_id}/mobileapps", params={"NextToken": "forged"})) == {"NextToken"}
    foreign = base64.urlsafe_b64encode(json.dumps({"pk": "ORG#other", "sk": "APP#x"}).encode()).decode()
    assert fields(admin.get(f"/admin/v1/orgs/{org_id}/mobileapps", params={"NextToken": foreign})) == {"NextToken"}


def test_another_orgs_app_is_404(admin: httpx.Client, org_id: str, apns_key: ApnsAuthKey) -> None:
    app_id = create(admin, org_id, {"Name": "mine", "Ios": ios_token(apns_key)}).json()["MobileAppId"]
    other_org = admin.post("/admin/v1/orgs", json={"Name": "other"}).json()["OrgId"]

    assert admin.get(f"/admin/v1/orgs/{other_org}/mobileapps/{app_id}").status_code == 404
    assert admin.patch(f"/admin/v1/orgs/{other_org}/mobileapps/{app_id}", json={"Name": "stolen"}).status_code == 404
    assert admin.delete(f"/admin/v1/orgs/{other_org}/mobileapps/{app_id}").status_code == 404
    assert admin.post(f"/admin/v1/orgs/{other_org}/mobileapps/{app_id}/tokens", json={}).status_code == 404
    assert admin.get(f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}").json()["Name"] == "mine"


def test_patch_switches_auth_mode_in_place_and_replaces_the_secret(
    admin: httpx.Client,
    org_id: str,
    stack: Stack,
    apns_key: ApnsAuthKey,
    certificate: ApnsPushCertificate,
    service_account: FcmServiceAccount,
) -> None:
    app = create(admin, org_id, {"Name": "x", "Ios": ios_token(apns_key), "Android": android(service_account)}).json()
    path = f"/admin/v1/orgs/{org_id}/mobileapps/{app['MobileAppId']}"
    before = set(stack.secret_names(org_id))

    switched = admin.patch(path, json={"Name": "renamed", "Ios": ios_certificate(certificate)})

    assert switched.status_code == 200, switched.text
    body = switched.json()
    assert (body["Name"], body["Ios"]["AuthMode"], body["Android"]) == ("renamed", "Certificate", app["Android"])
    after = set(stack.secret_names(org_id))
    assert len(after) == 2
    assert len(after & before) == 1  # the Android secret stays, the iOS one was replaced

    removed = admin.patch(path, json={"Android": None})
    assert removed.status_code == 200
    assert removed.json()["Android"] is None
    assert "Android" not in removed.json()["CredentialValidation"]
    assert len(stack.secret_names(org_id)) == 1


def test_patch_rejections_change_nothing(admin: httpx.Client, org_id: str, stack: Stack, apns_key: ApnsAuthKey) -> None:
    app = create(admin, org_id, {"Name": "x", "Ios": ios_token(apns_key)}).json()
    path = f"/admin/v1/orgs/{org_id}/mobileapps/{app['MobileAppId']}"
    secrets_before = stack.secret_names(org_id)

    assert fields(admin.patch(path, json={})) == {"body"}
    assert fields(admin.patch(path, json={"Ios": None})) == {"Ios"}
    assert fields(admin.patch(path, json={"Name": None})) == {"Name"}
    assert "Ios.KeyId" in fields(admin.patch(path, json={"Ios": ios_token(apns_key, KeyId="short")}))

    assert admin.get(path).json() == app
    assert stack.secret_names(org_id) == secrets_before


def test_delete_removes_the_app_its_tokens_and_its_secrets(
    admin: httpx.Client, org_id: str, stack: Stack, apns_key: ApnsAuthKey, service_account: FcmServiceAccount
) -> None:
    app = create(admin, org_id, {"Name": "x", "Ios": ios_token(apns_key), "Android": android(service_account)}).json()
    path = f"/admin/v1/orgs/{org_id}/mobileapps/{app['MobileAppId']}"
    admin.post(f"{path}/tokens", json={"Label": "build 1"})

    response = admin.delete(path)

    assert response.status_code == 204
    assert admin.get(path).status_code == 404
    assert admin.delete(path).status_code == 404
    assert [i["sk"]["S"] for i in stack.items(org_id)] == ["ORG"]
    assert stack.secret_names(org_id) == []


# ---------------------------------------------------------------------------------------- tokens


def test_tokens_are_shown_once_listed_without_the_token_and_revocable(
    admin: httpx.Client, org_id: str, stack: Stack, apns_key: ApnsAuthKey
) -> None:
    app = create(admin, org_id, {"Name": "x", "Ios": ios_token(apns_key)}).json()
    path = f"/admin/v1/orgs/{org_id}/mobileapps/{app['MobileAppId']}/tokens"

    first = admin.post(path, json={"Label": "iOS 2.3"})
    second = admin.post(path)

    assert first.status_code == second.status_code == 201
    token = first.json()["ApiToken"]
    assert token.startswith("pgat_") and len(token) >= 5 + 32 + 1 + 43
    assert first.json()["Label"] == "iOS 2.3"
    listed = admin.get(path).json()["Tokens"]
    assert [t["TokenId"] for t in listed] == [first.json()["TokenId"], second.json()["TokenId"]]
    assert token not in json.dumps(listed)
    assert token not in json.dumps(stack.items(org_id))

    assert admin.delete(f"{path}/{first.json()['TokenId']}").status_code == 204
    assert [t["TokenId"] for t in admin.get(path).json()["Tokens"]] == [second.json()["TokenId"]]
    assert admin.delete(f"{path}/{first.json()['TokenId']}").status_code == 404
    assert fields(admin.post(path, json={"Label": "x" * 200})) == {"Label"}


def test_developer_info_shows_endpoint_ids_and_token_ids(
    admin: httpx.Client, dev_stack: LocalRuntime, org_id: str, apns_key: ApnsAuthKey
) -> None:
    app = create(admin, org_id, {"Name": "x", "Ios": ios_token(apns_key)}).json()
    path = f"/admin/v1/orgs/{org_id}/mobileapps/{app['MobileAppId']}"
    issued = admin.post(f"{path}/tokens", json={"Label": "web"}).json()

    info = admin.get(f"{path}/developer-info").json()

    assert info["PublicEndpoint"] == dev_stack.api_url
    assert info["OrganizationId"] == org_id
    assert info["ApplicationId"] == app["MobileAppId"]
    assert [t["TokenId"] for t in info["AccessTokens"]] == [issued["TokenId"]]
    assert issued["ApiToken"] not in json.dumps(info)


def test_timestamps_are_utc(admin: httpx.Client, org_id: str, apns_key: ApnsAuthKey) -> None:
    app = create(admin, org_id, {"Name": "x", "Ios": ios_token(apns_key)}).json()

    assert datetime.fromisoformat(app["CreatedAt"].replace("Z", "+00:00")).tzinfo == UTC
