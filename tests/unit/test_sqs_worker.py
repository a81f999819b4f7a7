"""The one SQS consumer of the queue workers: an unreadable message is dropped and counted, a
failing one is handed back to SQS alone, a readable one reaches its work. Driven with SQS events
as Lambda hands them over, through the helper and through each worker's own handler."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel

from functions.deliver_push import app as deliver_push
from functions.expand_audience import app as expand_audience
from functions.verify_device import app as verify_device
from pushgate.api.sqs_worker import sqs_worker
from tests.conftest import PROJECT_ROOT, FakeLambdaContext


class _Job(BaseModel):
    name: str


def _event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{index}",
                "receiptHandle": "r",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "2"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:queue",
                "awsRegion": "us-east-1",
            }
            for index, body in enumerate(bodies)
        ]
    }


def _metric_names(output: str) -> set[str]:
    names: set[str] = set()
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            names |= {m["Name"] for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    return names


def test_each_record_is_read_and_worked_on_alone(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a worker whose work fails for one job
    done: list[tuple[str, str | None]] = []

    def work(job: _Job, record: SQSRecord) -> None:
        if job.name == "broken":
            raise RuntimeError("the table is not answering")
        done.append((job.name, record.attributes.approximate_receive_count))

    handler = sqs_worker(_Job.model_validate_json, work, kind="label")

    # When a batch holds a good job, an unreadable message and a job whose work fails
    answer = handler(_event('{"name": "a"}', "not json", '{"name": "broken"}', '{"name": "b"}'), FakeLambdaContext())  # type: ignore[arg-type]

    # Then the good jobs are done, the unreadable one is dropped and counted, the failed one goes back to SQS
    assert done == [("a", "2"), ("b", "2")]
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert "LabelMessagesDropped" in _metric_names(capsys.readouterr().out)
    dropped = [r for r in caplog.records if r.getMessage() == "unreadable label message dropped"]
    assert [(r.levelname, r.__dict__.get("message_id")) for r in dropped] == [("ERROR", "m1")]


@pytest.mark.parametrize(
    ("worker", "metric"),
    [
        (deliver_push, "DeliveryMessagesDropped"),
        (expand_audience, "AudienceMessagesDropped"),
        (verify_device, "RegistrationMessagesDropped"),
    ],
)
def test_every_worker_drops_a_message_it_cannot_read(
    worker: Any, metric: str, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = worker.lambda_handler(_event('{"not": "a message of this queue"}'), FakeLambdaContext())

    assert answer == {"batchItemFailures": []}
    assert metric in _metric_names(capsys.readouterr().out)


@pytest.mark.parametrize("function", ["deliver_push", "expand_audience", "verify_device"])
def test_a_worker_does_not_load_powertools_parser_models(function: str) -> None:
    # Powertools' batch utility loads them when pydantic was imported before it; the workers never use them.
    script = (
        "import runpy, sys; "
        f"runpy.run_path('functions/{function}/app.py'); "
        "print('aws_lambda_powertools.utilities.parser' in sys.modules)"
    )
    completed = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
        env={"PYTHONPATH": f"{PROJECT_ROOT / 'layers/pushgate/src'}", "POWERTOOLS_TRACE_DISABLED": "true"},
        timeout=60,
    )
    assert completed.stdout.strip() == "False"
