"""Pieces every benchmark shares: the fixed workload, CPU pinning, per-repetition measurements.

Every client sends the same notification (``MESSAGE``) to distinct 64-hex-digit device tokens of the
same APNs app (``TEAM_ID`` / ``KEY_ID`` / ``BUNDLE_ID``) or FCM project, against one provider
simulator answering after ``LATENCY_MS``.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pushgate.models.push import PushMessage
from pushgate_local.template import read_stack

TEAM_ID = "TEAM123456"
KEY_ID = "KEY1234567"
BUNDLE_ID = "com.example.bench"
FCM_PROJECT_ID = "pushgate-bench"
LATENCY_MS = 20
IN_FLIGHT_LEVELS = (1, 10, 100, 1000)
MESSAGE = PushMessage(title="Flash sale", body="Everything is 20% off until midnight.", tracking_id="trk-bench")
#: The APNs body peers and h2load send: what Pushgate's payload builder makes of ``MESSAGE``, minus ids.
APNS_BODY = json.dumps({"aps": {"alert": {"title": MESSAGE.title, "body": MESSAGE.body}}})


@dataclass
class Cell:
    """Measurements of one (client, in-flight) pair, one value per repetition.

    Attributes:
        rates: Notifications per wall-clock second.
        cpu_rates: Notifications per second of the client's own CPU time.
        run_queue_shares: Share of the repetition the client was runnable but waiting for its core.
        max_rss_mb: Peak resident memory of the client process, when it ran in its own process.
    """

    rates: list[float] = field(default_factory=list)
    cpu_rates: list[float] = field(default_factory=list)
    run_queue_shares: list[float] = field(default_factory=list)
    max_rss_mb: float | None = None

    def add(self, count: int, elapsed_s: float, cpu_s: float | None, waited_s: float | None) -> None:
        """Records one repetition that sent ``count`` notifications."""
        self.rates.append(count / elapsed_s)
        if cpu_s:
            self.cpu_rates.append(count / cpu_s)
        if waited_s is not None:
            self.run_queue_shares.append(waited_s / elapsed_s)

    @property
    def median(self) -> float:
        """Median notifications per second."""
        return statistics.median(self.rates)


class Stopwatch:
    """Wall time, this process's CPU time and run-queue wait of one measured stretch."""

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        self._waited = run_queue_wait_s()

    def stop(self) -> tuple[float, float, float]:
        """Returns (wall seconds, CPU seconds, seconds waiting for a core) since creation."""
        return (
            time.perf_counter() - self._wall,
            time.process_time() - self._cpu,
            run_queue_wait_s() - self._waited,
        )


def run_queue_wait_s() -> float:
    """Seconds this process spent runnable but waiting for a CPU (Linux schedstat; 0 elsewhere).

    On a shared machine other processes compete for the client's core; this shows how much.
    """
    try:
        with open(f"/proc/{os.getpid()}/schedstat") as schedstat:
            return int(schedstat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB.

    ``getrusage``'s ``ru_maxrss`` is not used: Linux carries it over from the parent across
    fork and exec, so a small child of a large parent would report the parent's peak.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def device_token(number: int) -> str:
    """The ``number``-th device token: 64 hex digits, valid for APNs and FCM alike."""
    return f"{number:064x}"


def notifications_for(in_flight: int, ceiling_per_s: float, seconds: float) -> int:
    """How many notifications one repetition sends: about ``seconds`` of work, at least 50.

    Args:
        in_flight: The in-flight limit; with ``LATENCY_MS`` it bounds the rate at in_flight / latency.
        ceiling_per_s: The fastest rate this client is expected to reach.
        seconds: Target duration of one repetition.
    """
    expected = min(in_flight / (LATENCY_MS / 1000), ceiling_per_s)
    return max(50, int(expected * seconds))


def pin_cores() -> tuple[int | None, int | None]:
    """Chooses the simulator's core and the client's core (``None`` on a one-core machine)."""
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[0], cpus[1]) if len(cpus) > 1 else (None, None)


@dataclass(frozen=True)
class ApnsKey:
    """A throwaway APNs signing key and the bearer header a client that signs once would send."""

    private_key_pem: str
    authorization: str


def make_apns_key() -> ApnsKey:
    """Generates an EC P-256 key; the simulator accepts never-seen keys on shape (non-strict)."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    token = jwt.encode({"iss": TEAM_ID, "iat": int(time.time())}, key, algorithm="ES256", headers={"kid": KEY_ID})
    return ApnsKey(private_key_pem=pem.decode(), authorization=f"bearer {token}")


def median_range(values: list[float]) -> tuple[float, float, float] | None:
    """(median, min, max) of the values, or ``None`` when there are none."""
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def create_main_table(client: Any, name: str, *, without_index: str | None = None) -> None:
    """Creates ``template.yaml``'s main table (keys and indexes, on demand) under ``name`` with ``client``;
    ``without_index``: leaves that index out, as a table the template made before it had the index."""
    template = Path(__file__).resolve().parents[1] / "template.yaml"
    table = next(t for t in read_stack(template).tables if t.logical_id == "MainTable")
    properties = table.properties
    indexes = [index for index in properties["GlobalSecondaryIndexes"] if index["IndexName"] != without_index]
    # DynamoDB refuses an attribute definition that no key schema uses.
    keys = {key["AttributeName"] for schema in (properties, *indexes) for key in schema["KeySchema"]}
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[d for d in properties["AttributeDefinitions"] if d["AttributeName"] in keys],
        KeySchema=properties["KeySchema"],
        GlobalSecondaryIndexes=indexes,
    )
