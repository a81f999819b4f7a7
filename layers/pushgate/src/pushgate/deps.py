"""The composition root: builds adapters once per execution environment and hands them out.

Handlers call these factories; services receive what they return. Nothing here runs at import
time, so importing a handler has no side effects. Tests clear the caches with ``reset()``.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3

from pushgate.config import table_settings
from pushgate.repositories.dynamodb.orgs import DynamoOrgRepository
from pushgate.repositories.dynamodb.table import MainTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


@cache
def dynamodb_client() -> DynamoDBClient:
    """One DynamoDB client per execution environment (endpoint from ``AWS_ENDPOINT_URL_DYNAMODB`` if set)."""
    return boto3.client("dynamodb")


@cache
def main_table() -> MainTable:
    """The main table named by ``TABLE_NAME``."""
    return MainTable(dynamodb_client(), table_settings().table_name)


@cache
def org_repository() -> DynamoOrgRepository:
    """Orgs in the main table."""
    return DynamoOrgRepository(main_table())


def reset() -> None:
    """Forgets every cached adapter and setting (tests change the environment between cases)."""
    for factory in (dynamodb_client, main_table, org_repository, table_settings):
        factory.cache_clear()
