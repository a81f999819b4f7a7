"""Shared fixtures: DynamoDB Local and moto server once per session, tables from template.yaml.

Fake credentials are set before anything imports boto3, so a test that forgot a fixture can never
reach a real AWS account.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "pushgate",
        "POWERTOOLS_METRICS_NAMESPACE": "Pushgate",
    }
)

from pushgate import deps  # noqa: E402 - after the fake credentials, on purpose
from pushgate_local.processes import (  # noqa: E402
    ChildProcess,
    local_aws_environment,
    start_dynamodb_local,
    start_moto_server,
)
from pushgate_local.provision import ProvisionedResources, provision  # noqa: E402
from pushgate_local.template import Resolver, read_stack  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = PROJECT_ROOT / "template.yaml"
EVENTS = PROJECT_ROOT / "events"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """DynamoDB Local and moto server on free loopback ports, for the whole session."""
    log_dir = tmp_path_factory.mktemp("service-logs")
    children: list[ChildProcess] = []
    try:
        children.append(start_dynamodb_local(PROJECT_ROOT, log_dir))
        children.append(start_moto_server(log_dir))
        yield {"dynamodb_url": children[0].url, "aws_url": children[1].url}
    finally:
        for child in children:
            child.stop()


@pytest.fixture
def stack_resources(services: dict[str, str]) -> ProvisionedResources:
    """The template's tables, queues and buckets, freshly created under a unique prefix for one test."""
    stack = read_stack(TEMPLATE)
    resolver = Resolver(parameters=dict(stack.parameters), refs={}, attributes={}, pseudo={"AWS::Region": REGION})
    prefix = f"t{uuid.uuid4().hex[:10]}"
    return provision(
        stack,
        resolver,
        prefix=prefix,
        dynamodb_url=services["dynamodb_url"],
        aws_url=services["aws_url"],
        region=REGION,
    )


@pytest.fixture
def aws_env(
    services: dict[str, str], stack_resources: ProvisionedResources, monkeypatch: pytest.MonkeyPatch
) -> ProvisionedResources:
    """The environment a deployed function has, pointed at the local services and this test's table."""
    for name, value in local_aws_environment(services["dynamodb_url"], services["aws_url"], REGION).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TABLE_NAME", stack_resources.table_names["MainTable"])
    monkeypatch.setenv("LEDGER_BUCKET", stack_resources.bucket_names["LedgerBucket"])
    deps.reset()
    yield stack_resources
    deps.reset()


def load_event(relative_path: str) -> dict[str, Any]:
    """An event from ``events/`` (the files ``sam local invoke -e`` would use)."""
    loaded: dict[str, Any] = json.loads((EVENTS / relative_path).read_text(encoding="utf-8"))
    return loaded


def recent_insight_days(minutes: int = 10) -> dict[str, str]:
    """``From``/``To`` of an insights read over the UTC days of the last few minutes: a test that
    crosses midnight UTC (its deliveries counted on one day, its reads made on the next) reads both."""
    now = datetime.now(UTC)
    return {"From": (now - timedelta(minutes=minutes)).date().isoformat(), "To": now.date().isoformat()}


class FakeLambdaContext:
    """The Lambda context attributes handlers and Powertools read."""

    function_name = "test-function"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id = "test-request-0001"

    def __init__(self) -> None:
        self._deadline = time.monotonic() + 10

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    """A fresh Lambda context."""
    return FakeLambdaContext()
