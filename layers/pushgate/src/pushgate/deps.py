"""The composition root: builds adapters once per execution environment and hands them out.

Handlers call these factories; services receive what they return. Nothing here runs at import
time, so importing a handler has no side effects. Tests clear the caches with ``reset()``.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3

from pushgate.config import mobile_app_settings, table_settings
from pushgate.repositories.dynamodb.mobile_apps import DynamoApiTokenRepository, DynamoMobileAppRepository
from pushgate.repositories.dynamodb.orgs import DynamoOrgRepository
from pushgate.repositories.dynamodb.table import MainTable
from pushgate.repositories.secrets_manager import SecretsManagerStore
from pushgate.services.api_tokens import ApiTokenAuthenticator
from pushgate.services.credential_checks import ProviderCredentialChecker
from pushgate.services.mobile_apps import MobileAppStores

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_secretsmanager.client import SecretsManagerClient


@cache
def dynamodb_client() -> DynamoDBClient:
    """One DynamoDB client per execution environment (endpoint from ``AWS_ENDPOINT_URL_DYNAMODB`` if set)."""
    return boto3.client("dynamodb")


@cache
def secretsmanager_client() -> SecretsManagerClient:
    """One Secrets Manager client per execution environment."""
    return boto3.client("secretsmanager")


@cache
def main_table() -> MainTable:
    """The main table named by ``TABLE_NAME``."""
    return MainTable(dynamodb_client(), table_settings().table_name)


@cache
def org_repository() -> DynamoOrgRepository:
    """Orgs in the main table."""
    return DynamoOrgRepository(main_table())


@cache
def mobile_app_stores() -> MobileAppStores:
    """Everything the mobile app use cases need."""
    return MobileAppStores(
        orgs=org_repository(),
        apps=DynamoMobileAppRepository(main_table()),
        tokens=DynamoApiTokenRepository(main_table()),
        secrets=SecretsManagerStore(secretsmanager_client()),
        secret_prefix=mobile_app_settings().secrets_prefix,
    )


@cache
def api_token_authenticator() -> ApiTokenAuthenticator:
    """The access-token check of the public routes, with its per-environment cache."""
    return ApiTokenAuthenticator(
        tokens=DynamoApiTokenRepository(main_table()), apps=DynamoMobileAppRepository(main_table())
    )


@cache
def credential_checker() -> ProviderCredentialChecker:
    """The live check of app credentials against APNs and FCM (endpoints from ``ProviderSettings``)."""
    return ProviderCredentialChecker(secrets=mobile_app_stores().secrets)


def reset() -> None:
    """Forgets every cached adapter and setting (tests change the environment between cases)."""
    for factory in (
        dynamodb_client,
        secretsmanager_client,
        main_table,
        org_repository,
        mobile_app_stores,
        api_token_authenticator,
        credential_checker,
        table_settings,
        mobile_app_settings,
    ):
        factory.cache_clear()
