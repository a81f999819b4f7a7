"""Fixtures of the integration tests: DynamoDB and S3 clients of the session's DynamoDB Local and moto
server, and the main table."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from pushgate.adapters.dynamodb.table import MainTable
from pushgate.runtime import dynamodb_items
from pushgate_local.processes import local_aws_environment
from pushgate_local.provision import ProvisionedResources


def _local_client(services: dict[str, str], service: str, endpoint_url: str) -> Any:
    environment = local_aws_environment(services["dynamodb_url"], services["aws_url"], "us-east-1")
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture
def client(services: dict[str, str]) -> Any:
    """A DynamoDB client of DynamoDB Local with the local stack's credentials, reading items as the functions'."""
    dynamodb = _local_client(services, "dynamodb", services["dynamodb_url"])
    dynamodb_items.install(dynamodb)
    return dynamodb


@pytest.fixture
def s3(services: dict[str, str]) -> Any:
    """An S3 client of moto server with the local stack's credentials."""
    return _local_client(services, "s3", services["aws_url"])


@pytest.fixture
def table(client: Any, stack_resources: ProvisionedResources) -> MainTable:
    """The main table, as the adapters use it."""
    return MainTable(client, stack_resources.table_names["MainTable"])
