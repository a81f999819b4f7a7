"""``GET /health`` through the real handler."""

from __future__ import annotations

import json

import pytest

from functions.health import app as health
from pushgate import __version__, deps
from pushgate_local.provision import ProvisionedResources
from tests.conftest import FakeLambdaContext, load_event


def test_health_reports_ok_when_the_table_answers(
    aws_env: ProvisionedResources, lambda_context: FakeLambdaContext
) -> None:
    response = health.lambda_handler(load_event("health/get_health.json"), lambda_context)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"Status": "ok", "Version": __version__, "Table": "reachable"}


def test_health_reports_degraded_when_the_table_is_missing(
    aws_env: ProvisionedResources, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    deps.reset()

    response = health.lambda_handler(load_event("health/get_health.json"), lambda_context)

    assert response["statusCode"] == 503
    assert json.loads(response["body"])["Table"] == "unreachable"
