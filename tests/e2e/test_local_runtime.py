"""The dev server's mechanics on a small fixture stack: routes, auth, SQS batches, schedules, timeouts."""

from __future__ import annotations

import http.client
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from pushgate_local.runtime import LocalRuntime, RuntimeConfig

pytestmark = pytest.mark.stack

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "stack"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], Any], timeout_seconds: float = 20.0) -> Any:
    """Polls until the condition is truthy; fails the test when it never is."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"condition not met within {timeout_seconds}s")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    config = RuntimeConfig(
        project_root=PROJECT_ROOT,
        template_path=FIXTURE / "template.yaml",
        state_dir=tmp_path_factory.mktemp("fixture-stack"),
        admin_key="fixture-admin-key",
    )
    with LocalRuntime(config) as started:
        yield started


@pytest.fixture(scope="module")
def client(runtime: LocalRuntime) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=runtime.api_url, timeout=30) as http:
        yield http


def _aws(runtime: LocalRuntime, service: str) -> Any:
    url = runtime.dynamodb_url if service == "dynamodb" else runtime.aws_url
    return boto3.client(service, endpoint_url=url, region_name="us-east-1")


def test_public_route_gets_a_v2_event_with_path_and_query(client: httpx.Client) -> None:
    response = client.post("/echo/a/b?x=1", json={"k": "v"}, headers={"X-Custom": "yes"})

    assert response.status_code == 200
    body = response.json()
    event = body["event"]
    assert event["routeKey"] == "ANY /echo/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b"}
    assert event["queryStringParameters"] == {"x": "1"}
    assert event["headers"]["x-custom"] == "yes"
    assert event["body"] == '{"k":"v"}'
    assert "authorizer" not in event["requestContext"]
    # The function's own environment, resolved from the template (!Sub with a parameter and a pseudo parameter).
    assert body["greeting"] == "hello-us-east-1"
    assert body["function"] == "EchoFunction"
    assert 0 < body["remaining_ms"] <= 5000


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic fixture-admin-key", "fixture-admin-key"])
def test_iam_routes_need_the_admin_key(client: httpx.Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/private", headers=headers)

    assert response.status_code == 401
    assert response.json()["Error"]["Code"] == "Unauthorized"


def test_iam_routes_with_the_admin_key_carry_the_iam_context(client: httpx.Client) -> None:
    response = client.get("/private", headers={"Authorization": "Bearer fixture-admin-key"})

    assert response.status_code == 200
    assert response.json()["event"]["requestContext"]["authorizer"]["iam"]["callerId"] == "local-admin"


def test_unknown_route_is_404(client: httpx.Client) -> None:
    assert client.get("/nowhere").status_code == 404


def test_timeout_answers_503_and_the_next_invocation_gets_a_fresh_worker(client: httpx.Client) -> None:
    assert client.get("/slow", params={"sleep": "1"}).status_code == 503
    response = client.get("/slow")
    assert (response.status_code, response.text) == (200, "awake")


def test_sqs_batches_honour_batch_item_failures_and_redrive(runtime: LocalRuntime) -> None:
    # Given two good jobs and one that the function reports as failed
    sqs, dynamodb = _aws(runtime, "sqs"), _aws(runtime, "dynamodb")
    queue_url = runtime.resources.queue_urls["JobsQueue"]
    for body in ("job-a", "job-b", "fail-c"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    table = runtime.resources.table_names["RecorderTable"]

    def attempts(body: str) -> int:
        item = dynamodb.get_item(TableName=table, Key={"pk": {"S": body}}, ConsistentRead=True).get("Item")
        return int(item["attempts"]["N"]) if item else 0

    # When the poller has delivered them and the failed one has used up its receives
    dlq_url = runtime.resources.queue_urls["JobsDLQ"]
    dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages"), 30)

    # Then good jobs were delivered once and deleted; the failed one was retried, then dead-lettered
    assert [m["Body"] for m in dead] == ["fail-c"]
    assert attempts("job-a") == 1
    assert attempts("job-b") == 1
    assert attempts("fail-c") == 2


def test_schedules_fire_with_their_input_or_the_scheduler_event(client: httpx.Client) -> None:
    admin = {"Authorization": "Bearer fixture-admin-key"}

    with_input = client.post("/_local/schedules/TickFunction/Daily", headers=admin).json()
    without_input = client.post("/_local/schedules/TickFunction/Hourly", headers=admin).json()
    overridden = client.post("/_local/schedules/TickFunction", headers=admin, json={"DryRun": True}).json()

    assert with_input["result"] == {"received": {"Source": "fixture", "DryRun": False}}
    assert without_input["result"]["received"]["detail-type"] == "Scheduled Event"
    assert overridden["result"] == {"received": {"DryRun": True}}
    assert client.post("/_local/schedules/EchoFunction", headers=admin).status_code == 404
    assert client.post("/_local/schedules/TickFunction", headers={}).status_code == 401
    assert client.post("/_local/schedules/TickFunction", headers=admin, content=b"{oops").status_code == 400


def test_local_json_lists_the_endpoints(runtime: LocalRuntime) -> None:
    settings = json.loads((runtime.config.state_dir / "local.json").read_text())

    assert settings["api_url"] == runtime.api_url
    assert settings["admin_key"] == "fixture-admin-key"
    assert settings["dynamodb_url"].startswith("http://127.0.0.1:")
    assert settings["aws_url"].startswith("http://127.0.0.1:")
    assert set(settings["queues"]) == {"JobsQueue", "JobsDLQ"}
    assert (runtime.config.state_dir / "local.json").stat().st_mode & 0o077 == 0


def test_2000_requests_at_concurrency_100_each_on_a_new_connection_all_get_answered(runtime: LocalRuntime) -> None:
    # Given 100 clients that each open a new connection per request, as a load test does
    host, port = runtime.api_url.removeprefix("http://").split(":")

    def one(number: int) -> int:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            connection.request("POST", f"/echo/load/{number}", body=b"{}", headers={"Connection": "close"})
            return connection.getresponse().status
        except OSError:
            return 0  # reset or refused: the request was lost
        finally:
            connection.close()

    # When 2,000 requests arrive at once
    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(one, range(2000)))

    # Then none was lost to the listen backlog
    assert Counter(statuses) == {200: 2000}


def test_loopback_webhooks_are_off_unless_asked_for(client: httpx.Client, runtime: LocalRuntime) -> None:
    settings = json.loads((runtime.config.state_dir / "local.json").read_text())

    assert client.post("/echo/env").json()["loopback_webhooks"] is None
    assert settings["loopback_webhooks"] is False
