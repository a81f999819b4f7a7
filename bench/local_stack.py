"""Operator set-up on a bench's local runtime: an org with an iOS (token-auth) app, over the admin API."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import boto3
import httpx

from pushgate_local.credentials import generate_apns_auth_key, generate_fcm_service_account
from pushgate_local.runtime import LocalRuntime

if TYPE_CHECKING:
    from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
    from pushgate.adapters.dynamodb.table import MainTable


def main_table(runtime: LocalRuntime) -> MainTable:
    """The runtime's main table on DynamoDB Local, for writing a bench's population straight into it."""
    from pushgate.adapters.dynamodb.table import MainTable  # noqa: PLC0415

    client = boto3.client(
        "dynamodb",
        endpoint_url=runtime.dynamodb_url,
        region_name=runtime.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local accepts any credentials
    )
    return MainTable(client, runtime.resources.table_names["MainTable"])


def save_contact(people: DynamoPersonRepository, *, org_id: str, person_id: str, at: datetime) -> None:
    """Stores a contact (first name Ana) straight in the table: a bench's population, not an API call."""
    from pushgate.models.directory import EntityType, Person, PersonAttributes  # noqa: PLC0415

    person = Person(
        org_id=org_id,
        entity_type=EntityType.CONTACT,
        person_id=person_id,
        attributes=PersonAttributes(firstname="Ana"),
        created_at=at,
        modified_at=at,
    )
    people.save(person, previous=None)


def admin_client(runtime: LocalRuntime, *, timeout_s: float = 60) -> httpx.Client:
    """An operator client of the runtime's dev server (the admin key as bearer)."""
    return httpx.Client(
        base_url=runtime.api_url, headers={"Authorization": f"Bearer {runtime.config.admin_key}"}, timeout=timeout_s
    )


def create_ios_app(
    admin: httpx.Client, *, org_name: str, app_name: str, android_project: str | None = None
) -> tuple[str, str]:
    """Creates an org and an app sending to APNs with a fresh token key; returns their ids.

    ``android_project`` also gives the app a fresh FCM service account of that project.
    """
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
    body: dict[str, object] = {"Name": app_name, "Ios": ios}
    if android_project is not None:
        body["Android"] = {"ServiceAccountJson": generate_fcm_service_account(android_project).info}
    app = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps", json=body)
    app.raise_for_status()
    return org_id, str(app.json()["MobileAppId"])
