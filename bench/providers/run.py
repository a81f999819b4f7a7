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
import json
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable

from bench.clients import H2LOAD_HELP, run_h2load, run_httpx, run_pushgate_apns
from bench.common import IN_FLIGHT_LEVELS, LATENCY_MS, Cell, make_apns_key, notifications_for, pin_cores
from pushgate_local.simulator import RunningSimulator, start_simulator

#: The fastest rate each transport is expected to reach (sizes the batches).
CEILINGS = {"pushgate": 15000, "httpx-h2": 800, "h2load": 20000}


def summarize(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):>9,.0f}  ({min(values):,.0f}-{max(values):,.0f})"


def build_candidates(
    simulator: RunningSimulator, transports: list[str], workdir: pathlib.Path
) -> dict[str, Callable[[int, int, int], Cell]]:
    """Prepares the transports to measure; h2load is skipped, with install advice, when missing."""
    key = make_apns_key()
    environment = simulator.provider_environment()
    candidates: dict[str, Callable[[int, int, int], Cell]] = {}
    if "pushgate" in transports:
        candidates["pushgate"] = lambda level, count, reps: run_pushgate_apns(
            environment, key.private_key_pem, level, count, reps
        )
    if "httpx-h2" in transports:
        candidates["httpx-h2"] = lambda level, count, reps: run_httpx(
            simulator.url, simulator.ca_path, key.authorization, in_flight=level, count=count, repetitions=reps
        )
    if "h2load" in transports:
        if shutil.which("h2load"):
            candidates["h2load"] = lambda level, count, reps: run_h2load(
                simulator.url, key.authorization, workdir, in_flight=level, count=count, repetitions=reps
            )
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

    simulator_cpu, client_cpu = pin_cores()
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
                count = notifications_for(level, CEILINGS[name], 1.5)
                results[name][level] = run(level, count, args.repetitions)
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
