"""W0 (h2load ceiling) and W2 (delivery throughput per client and in-flight limit).

Every client runs in a fresh process of its own, pinned to the client core (it inherits this
process's affinity) while the simulator has the other core. At each in-flight limit h2load and the
clients take turns, ``repetitions`` rounds of h2load once and then each client once (a process
that warms up with one send and one batch of about ``seconds``, whose rate is dropped, then
measures one more: a JIT-compiled peer is as warm in its measured batch as it would be in the
later batches of a longer-lived process). A client's share of the ceiling is then read round by
round, against the h2load rate measured just before it: a host whose speed drifts over the
minutes of a run (a shared machine) moves both sides of a ratio together, where a ceiling
measured once before all the clients would set every client against the moment it happened to
be measured in.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench import environments
from bench.clients import cell_from_json, run_h2load
from bench.common import APNS_BODY, BUNDLE_ID, KEY_ID, MESSAGE, TEAM_ID, ApnsKey, Cell, notifications_for
from pushgate_local.simulator import RunningSimulator

#: Clients in the order they run, with the fastest rate each is expected to reach (sizes the batches).
CLIENTS: dict[str, float] = {
    "pushgate-apns": 14000,
    "pushgate-fcm": 12000,
    "aioapns": 2000,
    "firebase-admin": 1000,
    "node-apn": 6000,
}
H2LOAD_CEILING = 22000
#: What each client is compared with at equal settings (the issue's targets).
PEER_OF = {"aioapns": "pushgate-apns", "node-apn": "pushgate-apns", "firebase-admin": "pushgate-fcm"}


@dataclass(frozen=True)
class DeliverySetup:
    """Everything a driver needs: the simulator, the credentials and the environments."""

    simulator: RunningSimulator
    apns_key: ApnsKey
    service_account: dict[str, str]
    peers_python: pathlib.Path | None
    node_driver: pathlib.Path | None
    workdir: pathlib.Path


def _driver_command(setup: DeliverySetup, client: str, config: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    environment = dict(os.environ)
    argument = json.dumps(config)
    if client.startswith("pushgate-"):
        return [sys.executable, "-m", "bench.drivers.pushgate", argument], environment
    if client == "node-apn":
        if setup.node_driver is None:
            raise RuntimeError("the Node peer is not installed")
        return ["node", str(setup.node_driver), argument], environment
    if setup.peers_python is None:
        raise RuntimeError("the Python peers' environment is not installed")
    ca = str(setup.simulator.ca_path)
    environment |= {"SSL_CERT_FILE": ca, "REQUESTS_CA_BUNDLE": ca}
    driver = environments.BENCH_DIR / "peers" / "python_driver.py"
    return [str(setup.peers_python), str(driver), argument], environment


def run_client(setup: DeliverySetup, client: str, in_flight: int, count: int, repetitions: int) -> Cell:
    """Measures one client at one in-flight limit in a fresh process.

    Raises:
        RuntimeError: The driver failed or a notification was not accepted.
    """
    simulator = setup.simulator
    config = {
        "client": client,
        "url": simulator.url,
        "ca_path": str(simulator.ca_path),
        "provider_environment": simulator.provider_environment(),
        "apns_key_pem": setup.apns_key.private_key_pem,
        "key_id": KEY_ID,
        "team_id": TEAM_ID,
        "bundle_id": BUNDLE_ID,
        "apns_body": APNS_BODY,
        "title": MESSAGE.title,
        "body": MESSAGE.body,
        "service_account": setup.service_account,
        "in_flight": in_flight,
        "count": count,
        "repetitions": repetitions,
    }
    command, environment = _driver_command(setup, client, config)
    result = subprocess.run(  # noqa: S603 - the drivers of this package
        command,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=environment,
        cwd=environments.PROJECT_ROOT,
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError(
            f"{client} at in-flight {in_flight} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return cell_from_json(lines[-1])


def run_delivery(
    setup: DeliverySetup,
    *,
    clients: list[str],
    levels: list[int],
    repetitions: int,
    seconds: float,
    with_h2load: bool,
    advance: Callable[[str], None],
) -> tuple[dict[int, Cell], dict[str, dict[int, Cell]], dict[str, str]]:
    """Runs W0 and W2.

    Args:
        setup: Simulator, credentials, environments.
        clients: Names from :data:`CLIENTS` to measure.
        levels: In-flight limits.
        repetitions: Rounds per in-flight limit (one measured repetition of each, per round).
        seconds: Target duration of one repetition.
        with_h2load: Measure the ceiling (h2load is installed).
        advance: Called with a label after each cell (progress).

    Returns:
        The ceiling per level, the cells per client and level, and the failures per client
        (a client that fails is reported, not fatal).
    """
    ceiling: dict[int, Cell] = {}
    results: dict[str, dict[int, Cell]] = {name: {} for name in clients}
    failures: dict[str, str] = {}
    for level in levels:
        for _ in range(repetitions):
            if with_h2load:
                count = notifications_for(level, H2LOAD_CEILING, seconds)
                _merge(
                    ceiling,
                    level,
                    run_h2load(
                        setup.simulator.url,
                        setup.apns_key.authorization,
                        setup.workdir,
                        in_flight=level,
                        count=count,
                        repetitions=1,
                    ),
                )
            advance(f"W0 h2load in-flight {level}")
            for name in clients:
                if name not in failures:
                    try:
                        count = notifications_for(level, CLIENTS[name], seconds)
                        warm_and_measured = run_client(setup, name, level, count, 2)
                        _merge(results[name], level, _last_repetition(warm_and_measured))
                    except (RuntimeError, subprocess.TimeoutExpired) as error:
                        failures[name] = str(error)[:2000]
                        results[name].pop(level, None)
                advance(f"W2 {name} in-flight {level}")
    return ceiling, {name: cells for name, cells in results.items() if cells}, failures


def _last_repetition(cell: Cell) -> Cell:
    """The cell of a process's last repetition alone (the ones before it warmed the client up)."""
    return Cell(
        rates=cell.rates[-1:],
        cpu_rates=cell.cpu_rates[-1:],
        run_queue_shares=cell.run_queue_shares[-1:],
        max_rss_mb=cell.max_rss_mb,
    )


def _merge(cells: dict[int, Cell], level: int, measured: Cell) -> None:
    """Adds one round's repetition to the level's cell (the peak RSS is the highest of the rounds)."""
    cell = cells.setdefault(level, Cell())
    cell.rates += measured.rates
    cell.cpu_rates += measured.cpu_rates
    cell.run_queue_shares += measured.run_queue_shares
    if measured.max_rss_mb is not None:
        cell.max_rss_mb = max(cell.max_rss_mb or 0.0, measured.max_rss_mb)
