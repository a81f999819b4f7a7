# ruff: noqa: RUF001 - the report typesets products with a multiplication sign
"""`make bench`: one run of every workload, the JSON, the Markdown report and the chart.

Workloads (see ``shared/reference/performance-anchors.md`` section 6 and ``bench/README`` in the
report): W0 h2load ceiling, W1 registration, W2 delivery per client and in-flight limit, W3 cold
start, W4 sender memory, W6 a 100,000-device send through the real handlers (``bench.w6``: a
broadcast, per-recipient sends and a segment send to half of 200,000 people) and W5 its cost,
measured from W6's meters, W7 a send under provider faults (``bench.faults``). Run
``python -m bench --help`` for the settings; ``--quick`` is for trying the harness; ``--w6-only``
runs W6 and W5 alone (``make bench-large``: a million devices); ``--faults-only`` runs W7 alone.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bench import cost, environments, faults, w6
from bench.clients import H2LOAD_HELP
from bench.cold_start import BASELINE_COMMIT, cold_start_steps, run_cold_starts
from bench.common import FCM_PROJECT_ID, IN_FLIGHT_LEVELS, LATENCY_MS, MESSAGE, make_apns_key, pin_cores
from bench.delivery import CLIENTS, DeliverySetup, run_client, run_delivery
from bench.machine import describe_machine
from bench.registration import run_registration
from pushgate.models.payloads import build_apns_payload, encode_apns_payload
from pushgate_local.credentials import generate_fcm_service_account
from pushgate_local.simulator import start_simulator
from pushgate_local.template import load_template

RESULTS_DIR = environments.BENCH_DIR / "results"
#: Workload groups ``--workloads`` selects: W0 + W2, W4, W3, W1, W6 (+ W5), W7.
WORKLOADS = ("delivery", "memory", "cold-start", "registration", "w6", "faults")
W1_REGISTRATIONS = 100
W4_BATCH = 1000
W4_BATCHES = 10
W4_IN_FLIGHT = 1000


def run_memory(setup: DeliverySetup, processes: int, advance: Callable[[str], None]) -> dict[str, Any]:
    """W4: peak RSS of a fresh sender process after 10,000 sends, and its per-notification cost."""
    rss: list[float] = []
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(processes):
        cell = run_client(setup, "pushgate-apns", W4_IN_FLIGHT, W4_BATCH, W4_BATCHES)
        rss.append(cell.max_rss_mb or 0.0)
        wall.append(1000 / statistics.median(cell.rates))
        cpu.append(1000 / statistics.median(cell.cpu_rates))
        advance("W4 sender memory")
    return {
        "sends": W4_BATCH * W4_BATCHES,
        "batch": W4_BATCH,
        "batches": W4_BATCHES,
        "in_flight": W4_IN_FLIGHT,
        "max_rss_mb": rss,
        "wall_ms_per_notification": wall,
        "cpu_ms_per_notification": cpu,
    }


def measure_registration(state_dir: pathlib.Path, repetitions: int) -> dict[str, Any]:
    """W1 through the register_device and verify_device handlers, or why it was not measured."""
    if not (environments.PROJECT_ROOT / "functions" / "register_device" / "app.py").exists():
        return {"measured": False, "note": "not measured: registration not built yet"}
    try:
        figures = run_registration(state_dir, W1_REGISTRATIONS, repetitions)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        return {"measured": False, "note": f"not measured: the registration run failed ({error})"}
    v1_new = figures["scenarios"]["v1 new"]
    return {
        "measured": True,
        "registrations": W1_REGISTRATIONS,
        "memory_mb": figures["memory_mb"],
        "log_bytes": figures["log_bytes"],
        "figures": {
            "registrations/s (one warm process)": v1_new["per_second"],
            "wall ms per registration": v1_new["wall_ms"],
            "CPU ms per registration": v1_new["cpu_ms"],
            "DynamoDB write units per registration": v1_new["write_units"],
            "DynamoDB read units per registration": v1_new["read_units"],
        },
        "scenarios": {
            name: registration_scenario(values, figures["memory_mb"], figures["log_bytes"])
            for name, values in figures["scenarios"].items()
        },
    }


def registration_scenario(values: dict[str, list[float]], memory_mb: int, log_bytes: float) -> dict[str, Any]:
    """One W1 scenario's medians and its dollars per million registrations (API request, the
    function and the worker's invocations, DynamoDB, SQS, logs)."""
    medians = {name: statistics.median(series) for name, series in values.items()}
    inputs = cost.registration_inputs(
        memory_mb=memory_mb,
        wall_ms=medians["wall_ms"],
        cpu_ms=medians["cpu_ms"],
        write_units=medians["write_units"],
        read_units=medians["read_units"],
        log_bytes=log_bytes,
        sqs_requests=medians["sqs_requests"],
        worker_invocations=medians["worker_invocations"],
    )
    return {"values": values, "lines": cost.cost_lines(inputs), "total": cost.cost_per_million(inputs)}


def template_memory() -> tuple[int, dict[str, int]]:
    """The template's default memory size and each function's (by code directory name)."""
    template = load_template(environments.PROJECT_ROOT / "template.yaml")
    default = int(template["Globals"]["Function"]["MemorySize"])
    sizes = {}
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            properties = resource.get("Properties", {})
            code = str(properties.get("CodeUri", "")).rstrip("/").split("/")[-1]
            sizes[code] = int(properties.get("MemorySize", default))
    return default, sizes


def run_cost(w3: dict[str, Any], w4: dict[str, Any], w1: dict[str, Any] | None = None) -> dict[str, Any]:
    """W5 from the measured W3/W4 figures and the stated batching assumptions."""
    default, sizes = template_memory()
    assumptions = cost.DeliveryAssumptions()
    sender_memory = sizes.get("deliver_push", default)
    payload_bytes = len(encode_apns_payload(build_apns_payload(MESSAGE)))
    wall = statistics.median(w4["wall_ms_per_notification"])
    cpu_ms = statistics.median(w4["cpu_ms_per_notification"])
    init_ms = statistics.median(w3["first_notification"]["process_to_accepted_ms"])
    inputs = cost.delivery_inputs(
        assumptions,
        memory_mb=sender_memory,
        wall_ms_per_notification=wall,
        cpu_ms_per_notification=cpu_ms,
        payload_bytes=payload_bytes,
        init_ms=init_ms,
    )
    memory_source = "deliver_push in template.yaml" if "deliver_push" in sizes else "the template's Globals default"
    delivery_notes = [
        f"Sender memory {sender_memory} MB ({memory_source}); arm64 at ${cost.ARM64_GB_S}/GB-s; free tiers ignored.",
        f"Measured (W4): {wall:.3f} ms wall and {cpu_ms:.3f} ms CPU per notification in batches of "
        f"{W4_BATCH:,} at {W4_IN_FLIGHT:,} in flight on a full core. Billed ms = max(wall, CPU × 1,769 / "
        f"{sender_memory}) = {inputs.billed_ms:.3f} ms, since a {sender_memory} MB function gets "
        f"{sender_memory / cost.FULL_VCPU_MB:.0%} of a vCPU.",
        f"Batching (design, until send_fanout/deliver_push measure it): {assumptions.devices_per_message} "
        f"devices per SQS message (≤64 KB), {assumptions.messages_per_invocation} messages per sender invocation "
        f"({assumptions.notifications_per_invocation:,} notifications), {assumptions.recipients_per_send:,} "
        f"recipients per send with {assumptions.devices_per_user} devices each.",
        f"DynamoDB: one Query per recipient ({assumptions.query_read_units} RRU) → {inputs.read_units:.3f} RRU per "
        f"notification; writes {inputs.write_units:.3f} WRU per notification = one ledger item per SQS message "
        f"({assumptions.ledger_bytes_per_outcome} B per outcome), {assumptions.idempotency_writes_per_message} "
        f"idempotency writes and {assumptions.checkpoint_writes_per_message} checkpoint writes per SQS message, "
        f"{assumptions.counter_writes_per_invocation} counter update per "
        f"invocation, {assumptions.invalid_token_rate:.0%} invalid tokens marked.",
        f"SQS: {inputs.sqs_requests:.3f} billed requests per notification (send and receive per 64 KB message, "
        "one delete per invocation); idle polling not included.",
        f"Egress: {payload_bytes} B payload + {assumptions.egress_overhead_bytes} B of HTTP/2 and TLS per "
        f"notification; logs: {assumptions.log_bytes_per_invocation} B per invocation, no per-notification lines.",
        f"INIT: {assumptions.cold_start_share:.0%} of sender invocations cold, {init_ms:.0f} ms each (W3, process "
        "start to first accepted notification, local).",
        "Fan-out compute (send_fanout) is not measured yet and not included; its DynamoDB reads are.",
    ]
    registration_memory = sizes.get("register_device", default)
    w1 = w1 or {"measured": False, "note": "not measured"}
    if w1["measured"]:
        figures = {name: statistics.median(values) for name, values in w1["figures"].items()}
        wall_reg, cpu_reg = figures["wall ms per registration"], figures["CPU ms per registration"]
        registration = cost.registration_inputs(
            memory_mb=registration_memory,
            wall_ms=wall_reg,
            cpu_ms=cpu_reg,
            write_units=figures["DynamoDB write units per registration"],
            read_units=figures["DynamoDB read units per registration"],
            log_bytes=w1["log_bytes"],
        )
        registration_notes = [
            f"Registrations (W1, CI-J v1 route, stored synchronously): {registration_memory} MB, billed "
            f"{registration.billed_ms:.1f} ms = max(wall {wall_reg:.1f} ms, CPU {cpu_reg:.1f} ms × 1,769 / "
            f"{registration_memory}); the wall time is against DynamoDB Local, slower than DynamoDB, so this "
            f"is pessimistic. {registration.write_units:.1f} WRU and {registration.read_units:.1f} RRU as "
            f"DynamoDB Local reported them; {w1['log_bytes']} B of logs; one HTTP API request. The v2 "
            "route adds an SQS message and the verify_device worker's dry-run push (not included)."
        ]
    else:
        registration = cost.registration_inputs(
            memory_mb=registration_memory, wall_ms=None, cpu_ms=None, write_units=None, read_units=None
        )
        registration_notes = [
            "Registrations: a floor — one HTTP API request, one invocation and 300 B of logs at "
            f"{registration_memory} MB; compute and DynamoDB units need W1 ({w1['note']})."
        ]
    return {
        "delivery": {
            "lines": cost.cost_lines(inputs),
            "total": cost.cost_per_million(inputs),
            "inputs": vars(inputs),
            "assumptions": vars(assumptions),
            "notes": delivery_notes,
        },
        "registration": {
            "lines": cost.cost_lines(registration),
            "total": cost.cost_per_million(registration),
            "measured": w1["measured"],
            "notes": registration_notes,
        },
        "references": {"SNS mobile push": cost.SNS_MOBILE_PUSH_PER_M, "Pinpoint push": cost.PINPOINT_PUSH_PER_M},
    }


def run_cap_check(console: Any) -> dict[str, Any] | None:
    """The DynamoDB units of a frequency-cap check per notification (``bench.cap_cost``)."""
    from bench import cap_cost  # noqa: PLC0415 - starts its own DynamoDB Local only when run

    console.print("measuring the cap check's DynamoDB units…")
    try:
        return cap_cost.measure()
    except Exception as error:
        console.print(f"cap check not measured: {type(error).__name__}: {error}")
        return None


def measure_w6(args: argparse.Namespace, console: Any) -> dict[str, Any]:
    """W6 on a local runtime of its own (its services need both cores: nothing is pinned).

    The runtime's state goes with the run, but for the logs of a run that lost or duplicated a
    notification (or failed): they are kept in a folder of their own, which the results name.
    """
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="pushgate-w6-"))
    figures: dict[str, Any] | None = None
    try:
        figures = w6.run_w6(
            args.w6_devices, args.w6_recipients, workdir, console, segment_people=args.w6_segment_people
        )
        return figures
    finally:
        not_exact = w6.phases_not_exact(figures) if figures is not None else {"run": "failed"}
        if not_exact:
            kept = pathlib.Path(tempfile.mkdtemp(prefix="pushgate-w6-logs-"))
            for folder in ("logs", "simulator"):
                if (workdir / folder).is_dir():
                    shutil.copytree(workdir / folder, kept / folder, ignore=shutil.ignore_patterns("*.db", "*.pem"))
            console.print(f"W6 not exact ({'; '.join(f'{k}: {v}' for k, v in not_exact.items())}): logs kept in {kept}")
            if figures is not None:
                figures["kept_logs"] = str(kept)
        shutil.rmtree(workdir, ignore_errors=True)


def measure_faults(args: argparse.Namespace, console: Any) -> dict[str, Any]:
    """W7 on a local runtime of its own (nothing pinned, as W6)."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="pushgate-w7-"))
    try:
        return faults.run_faults(args.faults_devices, workdir, console)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_measured_cost(w6_results: dict[str, Any]) -> dict[str, Any]:
    """W5 from W6's meters: the broadcast, the per-recipient and (when it ran) the segment phases,
    priced at list prices."""
    # W6's notification as it leaves: its text and a tracking id (a GUID) per device.
    sent = replace(MESSAGE, title=w6.TITLE, body=w6.BODY, tracking_id=str(uuid.uuid4()))
    payload_bytes = len(encode_apns_payload(build_apns_payload(sent)))
    memory = w6_results["memory_mb"]
    parameters = load_template(environments.PROJECT_ROOT / "template.yaml")["Parameters"]
    retention_days = int(parameters["InteractionRetentionDays"]["Default"])
    phases = {
        name: cost.measured_delivery_cost(
            w6_results[name],
            memory,
            payload_bytes=payload_bytes,
            logical_ids=w6.FUNCTION_NAMES,
            retention_days=retention_days,
        )
        for name in cost.W6_PHASES
        if name in w6_results
    }
    devices_per_recipient = w6_results["per_recipient"]["notifications"] / w6_results["per_recipient"]["recipients"]
    index_reads = sum(
        row["rru"]
        for row in phases["broadcast"]["dynamodb"]
        if row["function"] == "expand_audience" and row["operation"] == "Query"
    )
    return {
        "phases": phases,
        "floor": cost.per_recipient_floor(devices_per_recipient, payload_bytes),
        "broadcast_floor": cost.broadcast_floor(index_reads, payload_bytes),
        "devices_per_recipient": devices_per_recipient,
        "payload_bytes": payload_bytes,
        "memory_mb": memory,
        "targets": {**cost.COST_TARGETS_PER_M, "per_recipient_with_placeholders": cost.PLACEHOLDERS_TARGET_PER_M},
    }


def _cells_to_json(cells: dict[int, Any]) -> dict[str, Any]:
    return {str(level): vars(cell) for level, cell in cells.items()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line settings; the defaults are the full run (about 12 minutes on 2 cores)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="target duration of one W2 repetition")
    parser.add_argument("--cold-starts", type=int, default=20, help="fresh processes per W3 measurement")
    parser.add_argument(
        "--cold-start-baseline",
        default=BASELINE_COMMIT,
        help="commit whose layer and functions W3 also measures, as 'before' ('none' to skip)",
    )
    parser.add_argument(
        "--cold-start-only",
        action="store_true",
        help="run W3 alone and write cold-start.json and cold-start.md (not latest.md)",
    )
    parser.add_argument("--memory-runs", type=int, default=5, help="fresh processes for W4")
    parser.add_argument("--levels", type=int, nargs="+", default=list(IN_FLIGHT_LEVELS))
    parser.add_argument("--clients", nargs="+", default=list(CLIENTS), choices=list(CLIENTS))
    parser.add_argument("--quick", action="store_true", help="short settings for trying the harness")
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=list(WORKLOADS),
        choices=list(WORKLOADS),
        help="which workloads to run (default all); W5 needs W3 and W4. "
        "`--workloads delivery --levels 100 1000` measures W0 + W2 alone",
    )
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS_DIR)
    parser.add_argument("--w6-devices", type=int, default=100_000, help="devices of W6's broadcast")
    parser.add_argument("--w6-recipients", type=int, default=10_000, help="people of W6's per-recipient sends")
    parser.add_argument(
        "--w6-segment-people",
        type=int,
        default=w6.SEGMENT_PEOPLE,
        help="people of W6's segment phase (its filter matches half of them; 0 leaves it out)",
    )
    parser.add_argument("--w6-only", action="store_true", help="W6 and W5 only (writes <date>-w6.json and w6.md)")
    parser.add_argument("--no-w6", action="store_true", help="leave W6 (and the measured W5) out")
    parser.add_argument("--faults-devices", type=int, default=faults.DEVICES, help="devices of each W7 send")
    parser.add_argument(
        "--faults-only",
        action="store_true",
        help="W7 alone: a send under 5%% provider faults (writes <date>-faults.json and faults.md)",
    )
    args = parser.parse_args(argv)
    if args.cold_start_baseline.lower() == "none":
        args.cold_start_baseline = None
    if args.quick:
        args.repetitions, args.seconds, args.cold_starts, args.memory_runs = 2, 0.3, 3, 1
        args.w6_devices, args.w6_recipients = min(args.w6_devices, 5000), min(args.w6_recipients, 1000)
        args.w6_segment_people = min(args.w6_segment_people, 10_000)
        args.faults_devices = min(args.faults_devices, 400)
    return args


def measure(args: argparse.Namespace, console: Any, preparations: list[environments.Preparation]) -> dict[str, Any]:
    """Prepares the environments, starts the simulator and runs the chosen workloads with a progress bar.

    Args:
        args: The command-line settings.
        console: Where progress goes.
        preparations: Receives what the preparation found or installed.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415 - bench/.venv-tools

    console.print("preparing the peers' environments (bench/.venv-peers, bench/peers-node) and h2load…")
    peers_python = environments.peers_python(preparations)
    node_driver = environments.node_peers(preparations)
    h2load = environments.h2load(preparations)
    if not h2load:
        console.print(H2LOAD_HELP)
    simulator_cpu, client_cpu = pin_cores()
    all_cpus = os.sched_getaffinity(0)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="pushgate-bench-"))
    simulator = start_simulator(workdir / "simulator", latency_ms=LATENCY_MS, cpu=simulator_cpu)
    functions = list((environments.PROJECT_ROOT / "functions").glob("*/app.py"))
    chosen = set(args.workloads)
    steps = (
        (len(args.levels) * args.repetitions * (1 + len(args.clients)) if "delivery" in chosen else 0)
        + (args.memory_runs if "memory" in chosen else 0)
        + (
            cold_start_steps(len(functions), baseline=args.cold_start_baseline is not None)
            if "cold-start" in chosen
            else 0
        )
        + (1 if "registration" in chosen else 0)
    )
    try:
        simulator.configure(record=False)
        if client_cpu is not None:
            os.sched_setaffinity(0, {client_cpu})
        apns_key = make_apns_key()
        account = generate_fcm_service_account(FCM_PROJECT_ID, token_uri=simulator.token_url).info
        setup = DeliverySetup(simulator, apns_key, account, peers_python, node_driver, workdir)
        # A manual refresh only: a refresh thread would compete with the in-process work for the client core.
        with Progress(
            TextColumn("{task.description:<34}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=console, auto_refresh=False,
        ) as progress:  # fmt: skip
            task = progress.add_task("starting", total=steps)

            def advance(label: str) -> None:
                progress.update(task, advance=1, description=label)
                progress.refresh()

            ceiling: dict[int, Any] = {}
            cells: dict[str, dict[int, Any]] = {}
            failures: dict[str, str] = {}
            w4 = w3 = w1 = None
            if "delivery" in chosen:
                ceiling, cells, failures = run_delivery(
                    setup,
                    clients=args.clients,
                    levels=args.levels,
                    repetitions=args.repetitions,
                    seconds=args.seconds,
                    with_h2load=h2load is not None,
                    advance=advance,
                )
            if "memory" in chosen:
                w4 = run_memory(setup, args.memory_runs, advance)
            stats = simulator.stats()
            # W1's and W3's services (DynamoDB Local, moto, the dev server) need cores of their own: unpin.
            os.sched_setaffinity(0, all_cpus)
            if "cold-start" in chosen:
                w3 = run_cold_starts(args.cold_starts, advance, baseline=args.cold_start_baseline)
            if "registration" in chosen:
                w1 = measure_registration(workdir / "registration", args.repetitions)
                advance("W1 registration")
    finally:
        simulator.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "settings": {
            "latency_ms": LATENCY_MS,
            "repetitions": args.repetitions,
            "seconds_per_repetition": args.seconds,
            "levels": args.levels,
            "connections": 1,
            "simulator_cpu": simulator_cpu,
            "client_cpu": client_cpu,
            # h2load and the clients take turns (``bench.delivery``): shares pair up round by round.
            "paired_rounds": True,
        },
        "w0": _cells_to_json(ceiling) if ceiling else None,
        "w0_note": None if h2load else H2LOAD_HELP,
        "w2": {name: _cells_to_json(levels) for name, levels in cells.items()},
        "w2_failures": failures,
        "w1": w1,
        "w3": w3,
        "w4": w4,
        "simulator_stats": {k: v for k, v in stats.items() if not isinstance(v, dict)},
    }


def measure_cold_starts_only(args: argparse.Namespace, console: Any) -> dict[str, Any]:
    """W3 alone (``--cold-start-only``), with the same progress bar."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415 - bench/.venv-tools

    functions = list((environments.PROJECT_ROOT / "functions").glob("*/app.py"))
    steps = cold_start_steps(len(functions), baseline=args.cold_start_baseline is not None)
    with Progress(
        TextColumn("{task.description:<34}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console,
    ) as progress:  # fmt: skip
        task = progress.add_task("building the layer", total=steps)

        def advance(label: str) -> None:
            progress.update(task, advance=1, description=label)

        return {"w3": run_cold_starts(args.cold_starts, advance, baseline=args.cold_start_baseline)}


def main(argv: list[str] | None = None) -> int:
    """Runs every workload and writes the results, the report and the chart."""
    args = parse_args(argv)
    preparations: list[environments.Preparation] = []
    environments.add_tools_to_path(preparations)
    from rich.console import Console  # noqa: PLC0415 - from bench/.venv-tools, on the path only now

    from bench.chart import render_chart  # noqa: PLC0415
    from bench.report import render_cold_start, render_markdown  # noqa: PLC0415

    console = Console(stderr=True)
    started = time.time()
    date = datetime.date.today().isoformat()
    if args.w6_only:
        return _main_w6_only(args, console, date, started)
    if args.faults_only:
        return _main_faults_only(args, console, date, started)
    chart_name = f"{date}-delivery.png"
    results: dict[str, Any] = {
        "date": date,
        "command": "make bench" + (" (python -m bench --quick)" if args.quick else ""),
        "machine": describe_machine(),
    }
    args.output.mkdir(parents=True, exist_ok=True)
    if args.cold_start_only:
        results |= measure_cold_starts_only(args, console)
        results["duration_s"] = time.time() - started
        return _publish(
            args.output,
            console,
            results,
            json_name="cold-start.json",
            report_name="cold-start.md",
            render=render_cold_start,
        )
    results |= measure(args, console, preparations)
    results["machine"]["h2load"] = environments.h2load_version()
    results["preparations"] = [vars(step) for step in preparations]
    if results["w3"] and results["w4"]:
        results["w5"] = run_cost(results["w3"], results["w4"], results["w1"])
    results["cap_check"] = run_cap_check(console)
    if "w6" in args.workloads and not args.no_w6:
        results["w6"] = measure_w6(args, console)
        results.setdefault("w5", {})["measured"] = run_measured_cost(results["w6"])
    if "faults" in args.workloads:
        results["faults"] = measure_faults(args, console)
    results |= {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "duration_s": time.time() - started,
        "chart": chart_name,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / f"{date}.json").write_text(json.dumps(results, indent=2) + "\n")
    render_chart(results, args.output / chart_name)
    report = render_markdown(results)
    (args.output / "latest.md").write_text(report)
    console.print(f"wrote {args.output / (date + '.json')}, {args.output / 'latest.md'}, {args.output / chart_name}")
    print(report)
    return 0


def _publish(
    output: pathlib.Path,
    console: Any,
    results: dict[str, Any],
    *,
    json_name: str,
    report_name: str,
    render: Callable[[dict[str, Any]], str],
) -> int:
    """Writes the results, then their report beside them, in ``output``; says where and prints the report.

    The results are written before the report is rendered, so a rendering error never loses a run.
    """
    output.mkdir(parents=True, exist_ok=True)
    (output / json_name).write_text(json.dumps(results, indent=2) + "\n")
    report = render(results)
    (output / report_name).write_text(report)
    console.print(f"wrote {output / json_name}, {output / report_name}")
    print(report)
    return 0


def _main_w6_only(args: argparse.Namespace, console: Any, date: str, started: float) -> int:
    """``--w6-only``: W6 and the measured W5, in files of their own (``latest.md`` is left alone)."""
    from bench.report import render_w6_markdown  # noqa: PLC0415

    results: dict[str, Any] = {
        "date": date,
        "command": f"python -m bench --w6-only --w6-devices {args.w6_devices} "
        f"--w6-segment-people {args.w6_segment_people}",
        "machine": describe_machine(),
    }
    results["w6"] = measure_w6(args, console)
    results["w5"] = {"measured": run_measured_cost(results["w6"])}
    results |= {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "duration_s": time.time() - started,
    }
    suffix = "w6" if args.w6_devices == 100_000 else f"w6-{args.w6_devices}"
    return _publish(
        args.output,
        console,
        results,
        json_name=f"{date}-{suffix}.json",
        report_name=f"{suffix}.md",
        render=render_w6_markdown,
    )


def _main_faults_only(args: argparse.Namespace, console: Any, date: str, started: float) -> int:
    """``--faults-only``: W7 in files of its own (``latest.md`` is left alone)."""
    from bench.report import render_faults_markdown  # noqa: PLC0415

    results: dict[str, Any] = {
        "date": date,
        "command": f"python -m bench --faults-only --faults-devices {args.faults_devices}",
        "machine": describe_machine(),
        "faults": measure_faults(args, console),
    }
    results |= {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "duration_s": time.time() - started,
    }
    return _publish(
        args.output,
        console,
        results,
        json_name=f"{date}-faults.json",
        report_name="faults.md",
        render=render_faults_markdown,
    )
