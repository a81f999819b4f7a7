"""Cap check cost: DynamoDB read and write units per notification of a frequency-capped message.

Every recipient of a message an app's frequency caps apply to costs the delivery worker one
strongly consistent ``GetItem`` of the person's cap history and, when admitted, one ``PutItem``
conditioned on the revision read (``pushgate.adapters.dynamodb.delivery_timing``). This
measures the units DynamoDB reports (``ReturnConsumedCapacity=TOTAL``, DynamoDB Local's
accounting) in four cases: a person's first capped notification, one with a history of earlier
sends (cap over all messages and a category cap), a capped person (nothing written), and
eight sends racing for one person's last slot (the losers re-read and decide again).

``python -m bench.cap_cost`` prints the figures; ``make bench`` includes them in the report.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from bench.common import create_main_table
from pushgate.adapters.dynamodb.delivery_timing import DynamoFrequencyCaps
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.delivery_timing import CapRule
from pushgate_local.processes import start_dynamodb_local

ROOT = Path(__file__).resolve().parents[1]
ORG, APP = "0b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a10", "5d0a3f57-8f0e-4c5e-b1f4-6b1f1c2e9a77"
AT = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
DAY = 24 * 3600
RACERS = 8


class UnitMeter:
    """Read and write units of ``GetItem``/``PutItem`` calls, from ``ReturnConsumedCapacity=TOTAL``."""

    def __init__(self, client: Any) -> None:
        self.units: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        for operation in ("GetItem", "PutItem"):
            client.meta.events.register(f"provide-client-params.dynamodb.{operation}", self._ask)
            client.meta.events.register(f"after-call.dynamodb.{operation}", self._count)

    @staticmethod
    def _ask(params: dict[str, Any], **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "TOTAL"

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        # after-call comes for error responses too (botocore raises after it).
        self.calls[model.name] += 1
        consumed = parsed.get("ConsumedCapacity")
        if consumed is None and parsed.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            # A failed conditional write is billed like a write (1 WRU for an item ≤ 1 KB).
            self.units[model.name] += 1.0
        else:
            self.units[model.name] += float((consumed or {}).get("CapacityUnits", 0.0))

    def reset(self) -> None:
        self.units.clear()
        self.calls.clear()

    def snapshot(self, notifications: int) -> dict[str, float]:
        reads, writes = self.units["GetItem"], self.units["PutItem"]
        return {
            "notifications": notifications,
            "read_units_per_notification": round(reads / notifications, 3),
            "write_units_per_notification": round(writes / notifications, 3),
            "gets_per_notification": round(self.calls["GetItem"] / notifications, 3),
            "puts_per_notification": round(self.calls["PutItem"] / notifications, 3),
        }


def measure_with(client: Any, table_name: str, *, people: int = 200) -> dict[str, Any]:
    """The four cases against an existing main table (``client`` gets the meter's event hooks)."""
    meter = UnitMeter(client)
    caps = DynamoFrequencyCaps(MainTable(client, table_name))
    overall = CapRule(scope="*", max_notifications=5, period_s=DAY)
    category = CapRule(scope="category:promotions", max_notifications=3, period_s=DAY)
    users = [f"cap-{uuid.uuid4().hex[:10]}" for _ in range(people)]
    results: dict[str, Any] = {}

    def admit_all(send_id: str, at: datetime, rules: list[CapRule], *, expected: bool) -> None:
        verdicts = {caps.admit(ORG, APP, u, send_id=send_id, at=at, rules=rules) for u in users}
        if verdicts != {expected}:
            raise RuntimeError(f"cap check of {send_id} answered {verdicts}, expected {expected}")

    meter.reset()
    admit_all("s0", AT, [overall], expected=True)
    results["first"] = meter.snapshot(people)

    for number in range(1, 3):  # two more sends each: a history of three in the window
        admit_all(f"s{number}", AT + timedelta(minutes=number), [overall, category], expected=True)
    meter.reset()
    later = AT + timedelta(minutes=10)
    admit_all("s3", later, [overall, category], expected=True)
    results["with_history"] = meter.snapshot(people)

    meter.reset()
    admit_all("s4", later, [overall, category], expected=False)  # the category's three are used
    results["capped"] = meter.snapshot(people)

    meter.reset()
    racing = [f"race-{uuid.uuid4().hex[:10]}" for _ in range(max(1, people // 10))]
    one = CapRule(scope="*", max_notifications=1, period_s=DAY)
    admitted = 0
    for user in racing:
        with ThreadPoolExecutor(max_workers=RACERS) as pool:
            verdicts = list(
                pool.map(lambda n, u=user: caps.admit(ORG, APP, u, send_id=f"r{n}", at=AT, rules=[one]), range(RACERS))
            )
        admitted += sum(verdicts)
    results["contended"] = meter.snapshot(len(racing) * RACERS)
    results["contended"]["admitted_per_person"] = admitted / len(racing)
    results["contended"]["racers"] = RACERS
    return results


def measure(people: int = 200) -> dict[str, Any]:
    """Starts DynamoDB Local, creates the template's main table and measures (about ten seconds)."""
    for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}.items():
        os.environ.setdefault(name, value)
    with tempfile.TemporaryDirectory() as logs:
        dynamodb = start_dynamodb_local(ROOT, Path(logs))
        try:
            client = boto3.client("dynamodb", endpoint_url=dynamodb.url, region_name="us-east-1")
            create_main_table(client, "bench-caps")
            return measure_with(client, "bench-caps", people=people)
        finally:
            dynamodb.stop()


CASES = {
    "first": "first capped notification of a person",
    "with_history": "3 earlier sends in the window, overall + category cap",
    "capped": "cap reached (not sent)",
    "contended": f"{RACERS} sends racing for a cap of 1",
}


def report_lines(results: dict[str, Any]) -> list[str]:
    """The report's section."""
    lines = [
        "## Cap check cost (DynamoDB units per notification)",
        "",
        "One strongly consistent `GetItem` of the person's cap history, then a `PutItem` conditioned "
        "on the revision read when admitted; measured with `ReturnConsumedCapacity` on DynamoDB Local.",
        "",
        "| case | RRU | WRU | GetItem | PutItem |",
        "| --- | --- | --- | --- | --- |",
    ]
    for case, label in CASES.items():
        row = results.get(case)
        if row:
            lines.append(
                f"| {label} | {row['read_units_per_notification']} | {row['write_units_per_notification']} "
                f"| {row['gets_per_notification']} | {row['puts_per_notification']} |"
            )
    contended = results.get("contended")
    if contended:
        lines.append("")
        lines.append(f"Racing sends admitted per person: {contended['admitted_per_person']} (cap 1).")
    lines.append("")
    return lines


def main() -> int:
    results = measure()
    print(json.dumps(results, indent=2))
    print("\n".join(report_lines(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
