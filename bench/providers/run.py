"""Delivery-transport benchmark: notifications/s over one HTTP/2 connection at 20 ms provider latency.

Runs every candidate against the same provider simulator, one after another, with the simulator
pinned to CPU 0 and the client (this process, and h2load) pinned to CPU 1:

* ``pushgate``: ``ApnsClient.send_batch`` (pycurl multi, HTTP/2), the whole path: payload
  building, JWT, apns-id, verdicts;
* ``httpx-h2``: ``httpx.AsyncClient(http2=True)`` with a semaphore of in-flight requests;
* ``h2load``: nghttp2's C load generator, the ceiling for this simulator and machine.

Each cell is repeated (5 times by default); the table shows the median, the min-max range, the
median rate per client CPU-second (robust to other processes competing for the core), the share
of time the client waited for its core, and the ratio to h2load.
Run: ``python -m bench.providers`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pushgate.providers import ApnsClient, ApnsTokenCredentials, ProviderSettings, PushMessage, PushRequest, Verdict
from pushgate_local.simulator import RunningSimulator, start_simulator

TEAM_ID = "TEAM123456"
KEY_ID = "KEY1234567"
BUNDLE_ID = "com.example.bench"
LATENCY_MS = 20
IN_FLIGHT_LEVELS = (1, 10, 100, 1000)
MESSAGE = PushMessage(title="Flash sale", body="Everything is 20% off until midnight.", tracking_id="trk-bench")
H2LOAD_HELP = "h2load is missing: install it with `apt-get update && apt-get install -y nghttp2-client` (Debian)."


@dataclass
class Cell:
    """Measurements of one (transport, in-flight) pair."""

    rates: list[float] = field(default_factory=list)
    cpu_rates: list[float] = field(default_factory=list)
    run_queue_shares: list[float] = field(default_factory=list)


def run_queue_wait_s() -> float:
    """Seconds this process spent runnable but waiting for a CPU (Linux schedstat; 0 elsewhere).

    On a shared machine other processes compete for the client's core; this shows how much.
    """
    try:
        with open(f"/proc/{os.getpid()}/schedstat") as schedstat:
            return int(schedstat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def notifications_for(transport: str, in_flight: int) -> int:
    """How many notifications one repetition sends: about one to two seconds of work."""
    expected = min(in_flight / (LATENCY_MS / 1000), {"pushgate": 15000, "httpx-h2": 800, "h2load": 20000}[transport])
    return max(50, int(expected * 1.5))


def device_token(number: int) -> str:
    return f"{number:064x}"


class PushgateCandidate:
    """The production client, created once per in-flight level and reused across repetitions."""

    def __init__(self, simulator: RunningSimulator, signing_key_pem: bytes) -> None:
        self._settings = ProviderSettings.from_environ(simulator.provider_environment())
        self._credentials = ApnsTokenCredentials(
            key_id=KEY_ID, team_id=TEAM_ID, signing_key_pem=signing_key_pem, bundle_id=BUNDLE_ID
        )

    def run(self, in_flight: int, count: int, repetitions: int) -> Cell:
        cell = Cell()
        client = ApnsClient(self._credentials, settings=self._settings, max_in_flight=in_flight)
        client.send_batch([PushRequest(device_token=device_token(0), send_id="warm-up", message=MESSAGE)])
        for repetition in range(repetitions):
            requests = [
                PushRequest(device_token=device_token(n), send_id=f"bench-{repetition}", message=MESSAGE)
                for n in range(count)
            ]
            started, cpu_started, waited = time.perf_counter(), time.process_time(), run_queue_wait_s()
            outcomes = client.send_batch(requests)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            cell.run_queue_shares.append((run_queue_wait_s() - waited) / elapsed)
            delivered = sum(outcome.verdict is Verdict.DELIVERED for outcome in outcomes)
            if delivered != count:
                raise RuntimeError(f"pushgate delivered {delivered} of {count}")
            cell.rates.append(count / elapsed)
            cell.cpu_rates.append(count / cpu)
        client.close()
        return cell


class HttpxCandidate:
    """httpx over HTTP/2 on asyncio, one AsyncClient (one connection), bounded by a semaphore."""

    def __init__(self, simulator: RunningSimulator, authorization: str) -> None:
        self._base = simulator.url + "/3/device/"
        self._context = ssl.create_default_context(cafile=str(simulator.ca_path))
        self._headers = {
            "authorization": authorization,
            "apns-topic": BUNDLE_ID,
            "apns-push-type": "alert",
            "apns-priority": "10",
        }
        self._body = json.dumps({"aps": {"alert": {"title": MESSAGE.title, "body": MESSAGE.body}}}).encode()

    def run(self, in_flight: int, count: int, repetitions: int) -> Cell:
        return asyncio.run(self._run(in_flight, count, repetitions))

    async def _run(self, in_flight: int, count: int, repetitions: int) -> Cell:
        cell = Cell()
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=60)
        async with httpx.AsyncClient(http2=True, verify=self._context, limits=limits, timeout=60) as client:
            gate = asyncio.Semaphore(in_flight)

            async def send(number: int) -> int:
                async with gate:
                    response = await client.post(
                        self._base + device_token(number), headers=self._headers, content=self._body
                    )
                    return response.status_code

            await send(0)
            for _ in range(repetitions):
                started, cpu_started, waited = time.perf_counter(), time.process_time(), run_queue_wait_s()
                statuses = await asyncio.gather(*(send(n) for n in range(count)))
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
                cell.run_queue_shares.append((run_queue_wait_s() - waited) / elapsed)
                if statuses.count(200) != count:
                    raise RuntimeError(f"httpx delivered {statuses.count(200)} of {count}")
                cell.rates.append(count / elapsed)
                cell.cpu_rates.append(count / cpu)
        return cell


class H2loadCandidate:
    """nghttp2's h2load: one connection, ``-m`` concurrent streams."""

    def __init__(self, simulator: RunningSimulator, authorization: str, workdir: pathlib.Path) -> None:
        self._url = simulator.url + "/3/device/" + device_token(1)
        self._authorization = authorization
        self._payload = workdir / "payload.json"
        self._payload.write_text(json.dumps({"aps": {"alert": {"title": MESSAGE.title, "body": MESSAGE.body}}}))

    def run(self, in_flight: int, count: int, repetitions: int) -> Cell:
        cell = Cell()
        command = [
            "h2load", "-c", "1", "-t", "1", "-m", str(in_flight), "-n", str(count), "-d", str(self._payload),
            "-H", f"authorization: {self._authorization}", "-H", f"apns-topic: {BUNDLE_ID}",
            "-H", "apns-push-type: alert", self._url,
        ]  # fmt: skip
        for _ in range(repetitions):
            result = subprocess.run(  # noqa: S603 - h2load with arguments built here
                command, capture_output=True, text=True, timeout=300, check=True
            )
            match = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", result.stdout)
            succeeded = re.search(r"(\d+) succeeded", result.stdout)
            if not match or not succeeded or int(succeeded.group(1)) != count:
                raise RuntimeError(f"h2load did not complete:\n{result.stdout}\n{result.stderr}")
            cell.rates.append(float(match.group(3)))
        return cell


def summarize(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):>9,.0f}  ({min(values):,.0f}-{max(values):,.0f})"


def build_candidates(
    simulator: RunningSimulator, transports: list[str], workdir: pathlib.Path
) -> dict[str, Callable[[int, int, int], Cell]]:
    """Prepares the transports to measure; h2load is skipped, with install advice, when missing."""
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    token = jwt.encode({"iss": TEAM_ID, "iat": int(time.time())}, key, algorithm="ES256", headers={"kid": KEY_ID})
    authorization = f"bearer {token}"
    candidates: dict[str, Callable[[int, int, int], Cell]] = {}
    if "pushgate" in transports:
        candidates["pushgate"] = PushgateCandidate(simulator, key_pem).run
    if "httpx-h2" in transports:
        candidates["httpx-h2"] = HttpxCandidate(simulator, authorization).run
    if "h2load" in transports:
        if shutil.which("h2load"):
            candidates["h2load"] = H2loadCandidate(simulator, authorization, workdir).run
        else:
            print(H2LOAD_HELP, file=sys.stderr)
    return candidates


def print_table(results: dict[str, dict[int, Cell]], levels: list[int]) -> None:
    """Prints medians, ranges, CPU-normalized rates and ratios to h2load."""
    header = (
        f"{'transport':<10} {'in-flight':>9}  {'notifications/s':>28}  {'per client CPU-s':>16}  "
        f"{'CPU wait':>8}  {'vs h2load':>9}"
    )
    print()
    print(header)
    print("-" * len(header))
    for level in levels:
        ceiling = results.get("h2load", {}).get(level)
        ceiling_median = statistics.median(ceiling.rates) if ceiling else None
        for name, cells in results.items():
            cell = cells[level]
            median = statistics.median(cell.rates)
            cpu = f"{statistics.median(cell.cpu_rates):>16,.0f}" if cell.cpu_rates else f"{'-':>16}"
            wait = f"{statistics.median(cell.run_queue_shares):>8.0%}" if cell.run_queue_shares else f"{'-':>8}"
            ratio = f"{median / ceiling_median:>8.0%}" if ceiling_median else f"{'-':>9}"
            print(f"{name:<10} {level:>9}  {summarize(cell.rates):>28}  {cpu}  {wait}  {ratio:>9}")
    print(
        "\nper client CPU-s: notifications per second of client CPU time (the rate on a core of its own);"
        "\nCPU wait: share of the run the client was runnable but waiting for its core (other processes)."
    )


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and prints the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.providers", description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--levels", type=int, nargs="+", default=list(IN_FLIGHT_LEVELS))
    parser.add_argument("--transports", nargs="+", default=["pushgate", "httpx-h2", "h2load"])
    parser.add_argument("--json", type=pathlib.Path, help="also write the raw measurements here")
    args = parser.parse_args(argv)

    cpus = sorted(os.sched_getaffinity(0))
    simulator_cpu, client_cpu = (cpus[0], cpus[1]) if len(cpus) > 1 else (None, None)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="pushgate-bench-"))
    simulator = start_simulator(workdir / "simulator", latency_ms=LATENCY_MS, cpu=simulator_cpu)
    try:
        simulator.configure(record=False)
        if client_cpu is not None:
            os.sched_setaffinity(0, {client_cpu})
        candidates = build_candidates(simulator, args.transports, workdir)
        print(
            f"simulator: Node http2 on CPU {simulator_cpu}, {LATENCY_MS} ms latency; client on CPU {client_cpu}; "
            f"one connection; {args.repetitions} repetitions; median (min-max)"
        )
        results: dict[str, dict[int, Cell]] = {name: {} for name in candidates}
        for level in args.levels:
            for name, run in candidates.items():
                results[name][level] = run(level, notifications_for(name, level), args.repetitions)
                print(f"  measured {name:<9} in-flight {level:>5}: {summarize(results[name][level].rates)}", flush=True)
        print_table(results, args.levels)
        if args.json:
            raw = {name: {level: vars(cell) for level, cell in cells.items()} for name, cells in results.items()}
            args.json.write_text(json.dumps(raw, indent=2))
        stats = simulator.stats()
        print(
            f"\nsimulator: {stats['requests']:,} requests, {stats['connections']} connections, "
            f"max {stats['max_concurrent_streams_per_connection']} concurrent streams on one connection"
        )
    finally:
        simulator.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
