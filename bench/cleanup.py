"""Token cleanup over a large table: loads devices into DynamoDB Local and times a run in resumable steps.

Not part of the test suite. It starts its own DynamoDB Local (in memory), creates the main table
from ``template.yaml``, loads ``--devices`` devices (``--invalid-share`` of them Invalid and due for
purging, the rest Active and due to become Stale), then runs the cleanup invocation after
invocation, each with a ``--step-seconds`` budget standing in for the Lambda time limit, until the
run is complete. It prints one line per invocation and a summary with devices per second and the
request counts the read/write unit figures in ``docs/data-model.md`` are derived from.

    .venv/bin/python -m bench.cleanup --devices 100000 --step-seconds 60
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer

from bench.common import create_main_table
from pushgate.adapters.dynamodb.keys import device_key, device_token_owner_key
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.adapters.dynamodb.token_cleanup import DynamoTokenCleanupStore
from pushgate.adapters.dynamodb.token_policies import DynamoTokenPolicyRepository, device_index_attributes
from pushgate.models.device import Device, DevicePlatform, DeviceStatus, DeviceTransition
from pushgate.models.token_lifecycle import DEFAULT_TOKEN_POLICY
from pushgate.services.token_cleanup.token_cleanup import TokenCleanup
from pushgate_local.processes import start_dynamodb_local

ROOT = Path(__file__).resolve().parents[1]
ORG = "0b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a10"
APPS = ("5d0a3f57-8f0e-4c5e-b1f4-6b1f1c2e9a77", "7e1b4a68-9a1f-4d6f-a2e5-7c2a2d3f0b88")
NOW = datetime(2027, 6, 1, 3, 17, tzinfo=UTC)
_serializer = TypeSerializer()


def _device(n: int, *, invalid: bool) -> Device:
    token = f"{n:064x}"
    registered = NOW - timedelta(days=300)
    base = Device(
        org_id=ORG,
        app_id=APPS[n % len(APPS)],
        user_id=f"user-{n // 3}",
        platform=DevicePlatform.IOS,
        token=token,
        token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        registered_at=registered,
        last_registered_at=registered,
        status_changed_at=registered,
        history=(DeviceTransition(to_status=DeviceStatus.ACTIVE, at=registered, reason="Registered"),),
    )
    if not invalid:
        return base
    marked = NOW - timedelta(days=10)
    verdict = DeviceTransition(
        from_status=DeviceStatus.ACTIVE,
        to_status=DeviceStatus.INVALID,
        at=marked,
        reason="ProviderVerdict",
        code="Unregistered",
        provider_timestamp=marked,
        send_id="bench-send",
    )
    return base.model_copy(
        update={
            "status": DeviceStatus.INVALID,
            "status_changed_at": marked,
            "invalid_since": marked,
            "invalid_reason": "Unregistered",
            "invalid_send_id": "bench-send",
            "history": (*base.history, verdict),
        }
    )


def _items(device: Device) -> list[dict[str, Any]]:
    key = device_key(device.org_id, device.app_id, device.user_id, device.platform.value, device.token_sha256)
    owner = device_token_owner_key(device.org_id, device.app_id, device.platform.value, device.token_sha256)
    item = {
        **key.as_dict(),
        "type": "Device",
        **device.model_dump(mode="json"),
        **device_index_attributes(device, DEFAULT_TOKEN_POLICY),
    }
    owner_item = {**owner.as_dict(), "type": "DeviceTokenOwner", "user_id": device.user_id}
    return [item, owner_item]


def _load(client: Any, name: str, count: int, invalid_share: float) -> float:
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    invalid_every = round(1 / invalid_share) if invalid_share > 0 else 0
    for n in range(count):
        invalid = invalid_every > 0 and n % invalid_every == 0
        for item in _items(_device(n, invalid=invalid)):
            serialised = {k: _serializer.serialize(v) for k, v in item.items() if v is not None}
            batch.append({"PutRequest": {"Item": serialised}})
            if len(batch) == 25:
                _write(client, name, batch)
                batch = []
    if batch:
        _write(client, name, batch)
    return time.perf_counter() - started


def _write(client: Any, name: str, requests: list[dict[str, Any]]) -> None:
    pending = requests
    while pending:
        response = client.batch_write_item(RequestItems={name: pending})
        pending = response.get("UnprocessedItems", {}).get(name, [])


class CountingClient:
    """Counts the DynamoDB requests the cleanup makes, by operation."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if not callable(target):
            return target

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return target(*args, **kwargs)

        return counted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--invalid-share", type=float, default=0.5, help="share of devices Invalid (rest Active)")
    parser.add_argument("--step-seconds", type=float, default=60.0, help="time budget of one invocation")
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()

    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    with tempfile.TemporaryDirectory() as logs:
        dynamodb = start_dynamodb_local(ROOT, Path(logs))
        try:
            raw = boto3.client("dynamodb", endpoint_url=dynamodb.url, region_name="us-east-1")
            name = "bench-cleanup"
            create_main_table(raw, name)
            load_s = _load(raw, name, args.devices, args.invalid_share)
            print(f"loaded {args.devices} devices ({2 * args.devices} items) in {load_s:.1f} s", flush=True)

            client = CountingClient(raw)
            table = MainTable(client, name)  # type: ignore[arg-type]
            cleanup = TokenCleanup(
                store=DynamoTokenCleanupStore(table),
                policies=DynamoTokenPolicyRepository(table),
                now=lambda: NOW,
                page_size=args.page_size,
                # The budget below already leaves the margin a real invocation keeps.
                safety_margin_ms=0,
            )
            total = Counter[str]()
            invocation = 0
            started = time.perf_counter()
            while True:
                invocation += 1
                ends = time.perf_counter() + args.step_seconds
                step_started = time.perf_counter()
                report = cleanup.run(
                    remaining_ms=lambda ends=ends: int((ends - time.perf_counter()) * 1000),  # type: ignore[misc]
                    owner=f"bench-{invocation}",
                )
                total["purged"] += report.purged
                total["marked_stale"] += report.marked_stale
                print(
                    f"invocation {invocation}: {time.perf_counter() - step_started:.1f} s, purged {report.purged},"
                    f" marked stale {report.marked_stale}, complete {report.complete}",
                    flush=True,
                )
                if report.complete:
                    break
            elapsed = time.perf_counter() - started
            changed = total["purged"] + total["marked_stale"]
            print(
                f"run complete in {invocation} invocations, {elapsed:.1f} s: purged {total['purged']},"
                f" marked stale {total['marked_stale']}, {changed / elapsed:.0f} devices/s"
            )
            print("DynamoDB requests:", dict(sorted(client.calls.items())))
        finally:
            dynamodb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
