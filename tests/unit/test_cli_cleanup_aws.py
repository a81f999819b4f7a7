"""`pushgate cleanup run` against a deployed stack: which function version it invokes.

AWS is played by botocore's Stubber: the CLI's real CloudFormation and Lambda clients build their
requests, and the Stubber checks each one's parameters and answers as the services would.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.session import Session
from botocore.stub import Stubber
from typer.testing import CliRunner

from pushgate_cli.app import app
from pushgate_cli.commands import cleanup
from pushgate_cli.config import CONFIG_ENV, Target, save_target

REGION = "eu-west-1"
FUNCTION_NAME = "pushgate-CleanupTokensFunction-AbC123"


class _StubbedSession(Session):
    """A botocore session whose clients are stubbed with the answers queued in ``answers``."""

    def __init__(self, answers: dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]]) -> None:
        super().__init__()
        self.set_credentials("AKIDEXAMPLE", "secret")
        self._answers = answers
        self.stubbers: list[Stubber] = []

    def create_client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = super().create_client(service_name, *args, **kwargs)
        stubber = Stubber(client)
        for operation, response, expected in self._answers.get(service_name, []):
            stubber.add_response(operation, response, expected)
        stubber.activate()
        self.stubbers.append(stubber)
        return client


def test_cleanup_run_in_aws_invokes_the_live_alias(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "config.json"))
    save_target(Target(mode="aws", api_url="https://api.example", region=REGION))
    report = {"Purged": 2, "MarkedStale": 1, "Complete": True, "Changes": []}
    payload = json.dumps(report).encode()
    session = _StubbedSession(
        {
            "cloudformation": [
                (
                    "describe_stack_resource",
                    {
                        "StackResourceDetail": {
                            "LogicalResourceId": cleanup.CLEANUP_FUNCTION,
                            "PhysicalResourceId": FUNCTION_NAME,
                            "ResourceType": "AWS::Lambda::Function",
                            "LastUpdatedTimestamp": "2026-12-06T00:00:00Z",
                            "ResourceStatus": "UPDATE_COMPLETE",
                        }
                    },
                    {"StackName": "pushgate", "LogicalResourceId": cleanup.CLEANUP_FUNCTION},
                )
            ],
            "lambda": [
                (
                    "invoke",
                    {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(payload), len(payload))},
                    # The alias the schedule invokes (and SnapStart restores), not $LATEST.
                    {"FunctionName": FUNCTION_NAME, "Qualifier": cleanup.LIVE_ALIAS, "Payload": b"{}"},
                )
            ],
        }
    )
    monkeypatch.setattr(cleanup, "aws_session", lambda: session)

    result = CliRunner().invoke(app, ["cleanup", "run", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == report
    for stubber in session.stubbers:
        stubber.assert_no_pending_responses()
