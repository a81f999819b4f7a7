"""W1: registrations through the real ``register_device`` and ``verify_device`` handlers, in a process of its own.

Usage: ``python -m bench.drivers.registration '<json config>'`` with the functions' environment
(DynamoDB Local, moto, the simulator) already set by the parent. Both handlers are imported once
(warm execution environments) and invoked with API Gateway HTTP API v2 events; what the v2 route
enqueues is received from the registration queue and handed to the worker in SQS-shaped batches of
up to 10, as the event source mapping does. Per repetition, in order:

* ``v1 new``: CI-J v1 (``POST .../pushchannel/apps/{appId}/devices/{userId}``, stored synchronously),
  one new user and device each;
* ``v1 repeat``: the same registrations again, moments later (an app's next launch);
* ``v2 new``: CI-J v2 (``POST .../pushdeviceregistration/devices``, untracked), new users, then the
  worker's verification push (the simulator) and store;
* ``v2 repeat``: the same v2 registrations again, untracked (CI-J's default);
* ``v2 repeat tracked``: again with ``x-ms-track-registration: true``.

Every DynamoDB call gets ``ReturnConsumedCapacity=TOTAL`` through a botocore hook, so read and write
units are DynamoDB's own count; SQS requests are counted as billed (one per started 64 KiB, idle
empty receives left out). Prints one JSON line.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.common import Stopwatch, device_token
from pushgate_local.events import RouteTable, http_api_event, sqs_event
from pushgate_local.invoker import LocalLambdaContext
from pushgate_local.template import HttpRoute

READ_OPERATIONS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
SQS_OPERATIONS = ("SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessageBatch")
SQS_CHUNK_BYTES = 64 * 1024
#: The worker's event source mapping batch size (template.yaml, VerifyDeviceFunction).
WORKER_BATCH = 10
SCENARIOS = ("v1 new", "v1 repeat", "v2 new", "v2 repeat", "v2 repeat tracked")


class CapacityMeter:
    """Adds ``ReturnConsumedCapacity`` to every DynamoDB call and sums what comes back; counts SQS requests."""

    def __init__(self) -> None:
        self.read_units = 0.0
        self.write_units = 0.0
        self.calls = 0
        self.sqs_requests = 0

    def install(self) -> None:
        """Hooks the botocore session ``pushgate.deps`` creates its clients from (before any is made)."""
        from pushgate import deps  # noqa: PLC0415 - the layer is on the path only in this driver's process

        events = deps.aws_session().get_component("event_emitter")
        for operation in READ_OPERATIONS | WRITE_OPERATIONS:
            events.register(f"provide-client-params.dynamodb.{operation}", self._ask)
            events.register(f"after-call.dynamodb.{operation}", self._count)
        for operation in SQS_OPERATIONS:
            events.register(f"provide-client-params.sqs.{operation}", self._count_sqs_request)
            events.register(f"after-call.sqs.{operation}", self._drop_empty_receive)

    @staticmethod
    def _ask(params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls += 1
        consumed = parsed.get("ConsumedCapacity") or []
        units = sum(
            entry.get("CapacityUnits", 0.0) for entry in (consumed if isinstance(consumed, list) else [consumed])
        )
        if model.name in READ_OPERATIONS:
            self.read_units += units
        else:
            self.write_units += units

    def _count_sqs_request(self, params: dict[str, Any], **_: Any) -> None:
        bodies = [entry.get("MessageBody", "") for entry in params.get("Entries", [params])]
        self.sqs_requests += max(1, math.ceil(sum(len(str(body).encode()) for body in bodies) / SQS_CHUNK_BYTES))

    def _drop_empty_receive(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        # An idle poll is billed by the hour of polling, not per registration.
        if model.name == "ReceiveMessage" and not parsed.get("Messages"):
            self.sqs_requests -= 1


def _load(name: str, code_uri: str) -> ModuleType:
    """A function's ``app`` module under a name of its own (both functions call theirs ``app``)."""
    spec = importlib.util.spec_from_file_location(name, Path(code_uri) / "app.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no function at {code_uri}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _context(function_name: str, memory_mb: int) -> LocalLambdaContext:
    return LocalLambdaContext(
        function_name=function_name,
        memory_limit_in_mb=memory_mb,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}",
        aws_request_id=str(uuid.uuid4()),
        deadline_epoch_ms=int(time.time() * 1000) + 30_000,
    )


def _event(
    config: dict[str, Any], path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The HTTP API event of a POST to ``path``, routed as API Gateway routes it (the template's routes)."""
    routes = RouteTable([(HttpRoute(**route), "RegisterDeviceFunction") for route in config["routes"]])
    matched = routes.match("POST", path)
    if matched is None:
        raise SystemExit(f"no route of RegisterDeviceFunction serves POST {path}")
    route, _, parameters = matched
    return http_api_event(
        route=route,
        method="POST",
        raw_path=path,
        raw_query="",
        headers={"content-type": "application/json", "host": "localhost", **(headers or {})},
        body=json.dumps(body).encode(),
        path_parameters=parameters,
        source_ip="127.0.0.1",
        domain_name="localhost",
        authorizer=None,
    )


def registration_event(config: dict[str, Any], number: int) -> dict[str, Any]:
    """The v1 registration of user ``number`` with one APNs device."""
    run = config["run"]
    user_id = f"bench-user-{run}-{number}"
    path = f"/api/v1.0/orgs/{config['org_id']}/pushchannel/apps/{config['app_id']}/devices/{user_id}"
    body = {
        "ApiToken": config["api_token"],
        "ApnsDeviceContract": {"ApnsToken": device_token(number + 10_000_000 * run)},
    }
    return _event(config, path, body)


def v2_registration_event(config: dict[str, Any], number: int, *, tracked: bool) -> dict[str, Any]:
    """The v2 registration of v2 user ``number`` with one APNs device (a token range of its own)."""
    run = config["run"]
    body = {
        "MobileAppId": config["app_id"],
        "UserId": f"bench-v2-user-{run}-{number}",
        "ApiToken": config["api_token"],
        "ApnsDeviceToken": device_token(number + 10_000_000 * run + 5_000_000),
    }
    headers = {"x-ms-track-registration": "true"} if tracked else {}
    return _event(config, f"/api/v1.0/orgs/{config['org_id']}/pushdeviceregistration/devices", body, headers)


class Driver:
    """Both handlers, the queue between them, and the meter."""

    def __init__(self, config: dict[str, Any], meter: CapacityMeter) -> None:
        from pushgate import deps  # noqa: PLC0415 - the layer is on the path only in this driver's process

        self.config = config
        self.meter = meter
        self.register = _load("register_device_app", config["code_uri"]).lambda_handler
        self.verify = _load("verify_device_app", config["worker_code_uri"]).lambda_handler
        self.sqs = deps.sqs_client()
        self.worker_invocations = 0
        self.log_bytes: list[int] = []

    def call(self, event: dict[str, Any]) -> None:
        """One API request; fails the run on anything but a 2xx."""
        with redirect_stdout(io.StringIO()) as logs:
            response = self.register(event, _context("RegisterDeviceFunction", self.config["memory_mb"]))
        if response["statusCode"] >= 300:
            raise SystemExit(f"registration answered {response['statusCode']}: {response.get('body')}")
        self.log_bytes.append(len(logs.getvalue().encode()))

    def drain(self) -> None:
        """Hands everything queued to the worker, ``WORKER_BATCH`` messages an invocation."""
        queue_url = self.config["queue_url"]
        while True:
            received = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=WORKER_BATCH, AttributeNames=["All"], WaitTimeSeconds=0
            )
            messages = received.get("Messages", [])
            if not messages:
                return
            event = sqs_event(messages, self.config["queue_arn"], "us-east-1")
            with redirect_stdout(io.StringIO()):
                result = self.verify(event, _context("VerifyDeviceFunction", self.config["memory_mb"]))
            self.worker_invocations += 1
            if result.get("batchItemFailures"):
                raise SystemExit(f"the worker failed {len(result['batchItemFailures'])} registrations")
            self.sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
            )


def _measure(driver: Driver, count: int, work: Callable[[int], None]) -> dict[str, float]:
    meter = driver.meter
    reads, writes, sqs, invocations = meter.read_units, meter.write_units, meter.sqs_requests, driver.worker_invocations
    watch = Stopwatch()
    for number in range(count):
        work(number)
    driver.drain()
    wall, cpu, _ = watch.stop()
    return {
        "per_second": count / wall,
        "wall_ms": wall * 1000 / count,
        "cpu_ms": cpu * 1000 / count,
        "write_units": (meter.write_units - writes) / count,
        "read_units": (meter.read_units - reads) / count,
        "sqs_requests": (meter.sqs_requests - sqs) / count,
        "worker_invocations": (driver.worker_invocations - invocations) / count,
    }


def main(argv: list[str]) -> int:
    """Runs every scenario ``count`` times per repetition and prints rates, CPU and units per registration."""
    config = json.loads(argv[0])
    meter = CapacityMeter()
    meter.install()
    sys.path.insert(0, config["code_uri"])
    driver = Driver(config, meter)
    config["run"] = 0
    driver.call(registration_event(config, 0))  # warm-up: the first call builds the AWS clients and caches the app
    driver.call(v2_registration_event(config, 0, tracked=False))
    driver.drain()
    driver.log_bytes.clear()
    count = config["count"]
    result: dict[str, dict[str, list[float]]] = {name: {} for name in SCENARIOS}

    def add(name: str, figures: dict[str, float]) -> None:
        for figure, value in figures.items():
            result[name].setdefault(figure, []).append(value)

    for repetition in range(config["repetitions"]):
        config["run"] = repetition + 1
        add("v1 new", _measure(driver, count, lambda n: driver.call(registration_event(config, n))))
        add("v1 repeat", _measure(driver, count, lambda n: driver.call(registration_event(config, n))))
        add("v2 new", _measure(driver, count, lambda n: driver.call(v2_registration_event(config, n, tracked=False))))
        add(
            "v2 repeat",
            _measure(driver, count, lambda n: driver.call(v2_registration_event(config, n, tracked=False))),
        )
        add(
            "v2 repeat tracked",
            _measure(driver, count, lambda n: driver.call(v2_registration_event(config, n, tracked=True))),
        )
    log_bytes = sorted(driver.log_bytes)[len(driver.log_bytes) // 2]
    print(json.dumps({"scenarios": result, "log_bytes": log_bytes}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
