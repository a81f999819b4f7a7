"""W1: registrations through the real ``register_device`` handler, in a process of its own.

Usage: ``python -m bench.drivers.registration '<json config>'`` with the function's environment
(DynamoDB Local, moto, the simulator) already set by the parent. The handler is imported once
(a warm execution environment) and invoked with API Gateway HTTP API v2 events for the CI-J v1
route (``POST .../pushchannel/apps/{appId}/devices/{userId}``, synchronous store), one new user and
device each. Every DynamoDB call gets ``ReturnConsumedCapacity=TOTAL`` through a botocore hook, so
the read and write units are DynamoDB's own count. Prints one JSON line.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
import time
import uuid
from contextlib import redirect_stdout
from typing import Any

from bench.common import Stopwatch, device_token
from pushgate_local.events import http_api_event
from pushgate_local.invoker import LocalLambdaContext
from pushgate_local.template import HttpRoute

READ_OPERATIONS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class CapacityMeter:
    """Adds ``ReturnConsumedCapacity`` to every DynamoDB call and sums what comes back."""

    def __init__(self) -> None:
        self.read_units = 0.0
        self.write_units = 0.0
        self.calls = 0

    def install(self) -> None:
        """Hooks the botocore session ``pushgate.deps`` creates its clients from (before any is made)."""
        from pushgate import deps  # noqa: PLC0415 - the layer is on the path only in this driver's process

        events = deps.aws_session().get_component("event_emitter")
        for operation in READ_OPERATIONS | WRITE_OPERATIONS:
            events.register(f"provide-client-params.dynamodb.{operation}", self._ask)
            events.register(f"after-call.dynamodb.{operation}", self._count)

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


def registration_event(config: dict[str, Any], number: int) -> dict[str, Any]:
    """The v1 registration of user ``number`` with one APNs device."""
    user_id = f"bench-user-{config['run']}-{number}"
    path = f"/api/v1.0/orgs/{config['org_id']}/pushchannel/apps/{config['app_id']}/devices/{user_id}"
    body = {
        "ApiToken": config["api_token"],
        "ApnsDeviceContract": {"ApnsToken": device_token(number + 10_000_000 * config["run"])},
    }
    route = HttpRoute(**config["route"])
    return http_api_event(
        route=route,
        method="POST",
        raw_path=path,
        raw_query="",
        headers={"content-type": "application/json", "host": "localhost"},
        body=json.dumps(body).encode(),
        path_parameters={"orgId": config["org_id"], "appId": config["app_id"], "userId": user_id},
        source_ip="127.0.0.1",
        domain_name="localhost",
        authorizer=None,
    )


def main(argv: list[str]) -> int:
    """Registers ``count`` devices per repetition and prints rates, CPU and units per registration."""
    config = json.loads(argv[0])
    meter = CapacityMeter()
    meter.install()
    sys.path.insert(0, config["code_uri"])
    handler = importlib.import_module("app").lambda_handler

    def invoke(number: int) -> None:
        context = LocalLambdaContext(
            function_name="RegisterDeviceFunction",
            memory_limit_in_mb=config["memory_mb"],
            invoked_function_arn="arn:aws:lambda:us-east-1:000000000000:function:RegisterDeviceFunction",
            aws_request_id=str(uuid.uuid4()),
            deadline_epoch_ms=int(time.time() * 1000) + 10_000,
        )
        with redirect_stdout(io.StringIO()) as logs:
            response = handler(registration_event(config, number), context)
        if response["statusCode"] >= 300:
            raise SystemExit(f"registration answered {response['statusCode']}: {response.get('body')}")
        log_bytes.append(len(logs.getvalue().encode()))

    log_bytes: list[int] = []
    config["run"] = 0
    invoke(0)  # warm-up: the first call builds the AWS clients and caches the app
    result: dict[str, list[float]] = {
        "per_second": [],
        "cpu_ms": [],
        "wall_ms": [],
        "write_units": [],
        "read_units": [],
    }
    count = config["count"]
    for repetition in range(config["repetitions"]):
        config["run"] = repetition + 1
        reads, writes = meter.read_units, meter.write_units
        watch = Stopwatch()
        for number in range(count):
            invoke(number)
        wall, cpu, _ = watch.stop()
        result["per_second"].append(count / wall)
        result["wall_ms"].append(wall * 1000 / count)
        result["cpu_ms"].append(cpu * 1000 / count)
        result["write_units"].append((meter.write_units - writes) / count)
        result["read_units"].append((meter.read_units - reads) / count)
    print(json.dumps(result | {"log_bytes": sorted(log_bytes)[len(log_bytes) // 2]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
