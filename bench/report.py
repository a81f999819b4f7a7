# ruff: noqa: RUF001, RUF002 - the report typesets ranges with en dashes
"""Renders the benchmark results (the JSON written to ``bench/results/<date>.json``) as Markdown.

Pure functions of the results dictionary, so the report can be re-rendered from any stored run:
``python -m bench.report bench/results/<date>.json``.
"""

from __future__ import annotations

import json
import pathlib
import statistics
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from bench import cost

#: The issue's targets.
CEILING_SHARE_TARGET = 0.60
PEER_FACTOR_TARGETS = {"aioapns": 3.0, "firebase-admin": 5.0}
#: Without W6, the modelled delivery (a batched sender, no per-recipient reads) against a broadcast's.
COST_TARGET_PER_M = cost.COST_TARGETS_PER_M["broadcast"]
#: The W5 phases with a target, as the target rows name them.
COST_TARGET_LABELS = {
    "per_recipient": "per-recipient sends",
    "personal": "per-recipient sends of a message with contact placeholders",
    "broadcast": "a broadcast",
    "segment": "a segment send",
}
#: At the highest in-flight limit, against the fastest peer of each protocol.
HIGH_IN_FLIGHT_PEER_TARGETS = {"node-apn": 1.3}
IMPORT_TARGET_MS = 300.0
FIRST_NOTIFICATION_TARGET_MS = 250.0
#: Peer -> the Pushgate sender it is compared with (same protocol, same settings).
OURS_FOR = {"aioapns": "pushgate-apns", "node-apn": "pushgate-apns", "firebase-admin": "pushgate-fcm"}


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    return float(statistics.median(values))


def fmt_rate(value: float) -> str:
    """A rate with thousands separators, no decimals."""
    return f"{value:,.0f}"


def fmt_ms(value: float) -> str:
    """Milliseconds with one decimal below 100, none above."""
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def median_range(values: Sequence[float], fmt: Any = fmt_rate) -> str:
    """``median (min–max)``, or ``–`` for no values."""
    if not values:
        return "–"
    return f"{fmt(median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def _levels(results: Mapping[str, Any]) -> list[str]:
    return [str(level) for level in results["settings"]["levels"]]


def ceiling_median(results: Mapping[str, Any], level: str) -> float | None:
    """Median h2load rate at an in-flight level, if W0 ran."""
    cell = (results.get("w0") or {}).get(level)
    return median(cell["rates"]) if cell and cell["rates"] else None


def client_median(results: Mapping[str, Any], client: str, level: str) -> float | None:
    """Median rate of a client at an in-flight level, if measured."""
    cell = results["w2"].get(client, {}).get(level)
    return median(cell["rates"]) if cell and cell["rates"] else None


def ceiling_share(results: Mapping[str, Any], client: str, level: str) -> float | None:
    """A client's share of the h2load ceiling at an in-flight level: the median, over the rounds, of
    its rate ÷ the h2load rate of the same round (``bench.delivery``); the ratio of the medians when
    the repetitions do not pair up (a report of a run made before the rounds)."""
    cell = results["w2"].get(client, {}).get(level)
    top = (results.get("w0") or {}).get(level)
    if not cell or not cell["rates"] or not top or not top["rates"]:
        return None
    if results["settings"].get("paired_rounds") and len(cell["rates"]) == len(top["rates"]):
        return median([mine / theirs for mine, theirs in zip(cell["rates"], top["rates"], strict=True)])
    return median(cell["rates"]) / median(top["rates"])


def headline_table(results: Mapping[str, Any]) -> str:
    """Delivery throughput, notifications/s (median of the repetitions) and share of the h2load ceiling."""
    levels = _levels(results)
    lines = [
        "| client | " + " | ".join(f"in flight {level}" for level in levels) + " |",
        "| --- | " + " | ".join("---:" for _ in levels) + " |",
    ]
    if results.get("w0"):
        cells = [fmt_rate(value) if (value := ceiling_median(results, level)) else "–" for level in levels]
        lines.append("| h2load (W0 ceiling) | " + " | ".join(cells) + " |")
    for client in results["w2"]:
        cells = []
        for level in levels:
            value = client_median(results, client, level)
            share = ceiling_share(results, client, level)
            if value is None:
                cells.append("–")
            elif share is not None:
                cells.append(f"{fmt_rate(value)} ({share:.0%})")
            else:
                cells.append(fmt_rate(value))
        lines.append(f"| {client} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def target_rows(results: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The issue's targets as (target, measured, met?) rows."""
    rows: list[tuple[str, str, str]] = []
    levels = _levels(results)
    for client in ("pushgate-apns", "pushgate-fcm"):
        shares = [(level, share) for level in levels if (share := ceiling_share(results, client, level)) is not None]
        if shares:
            worst_level, worst = min(shares, key=lambda pair: pair[1])
            rows.append(
                (
                    f"{client} ≥ {CEILING_SHARE_TARGET:.0%} of the ceiling at every in-flight limit",
                    f"lowest {worst:.0%} (in flight {worst_level})",
                    _verdict(worst >= CEILING_SHARE_TARGET),
                )
            )
    for peer, factor in PEER_FACTOR_TARGETS.items():
        ours = OURS_FOR[peer]
        factors = [
            (level, mine / theirs)
            for level in levels
            if (mine := client_median(results, ours, level)) and (theirs := client_median(results, peer, level))
        ]
        if factors:
            worst_level, worst = min(factors, key=lambda pair: pair[1])
            best_level, best = max(factors, key=lambda pair: pair[1])
            rows.append(
                (
                    f"{ours} ≥ {factor:g}× {peer} at equal settings",
                    f"{worst:.1f}× (in flight {worst_level}) to {best:.1f}× (in flight {best_level})",
                    _verdict(best >= factor) + ("" if worst >= factor else " at high in-flight limits only"),
                )
            )
    if levels:
        top = max(levels)
        for peer, factor in HIGH_IN_FLIGHT_PEER_TARGETS.items():
            ours = OURS_FOR[peer]
            mine, theirs = client_median(results, ours, top), client_median(results, peer, top)
            if mine and theirs:
                rows.append(
                    (
                        f"{ours} ≥ {factor:g}× {peer} at in flight {top}",
                        f"{mine / theirs:.2f}×",
                        _verdict(mine / theirs >= factor),
                    )
                )
    return rows + cost_target_rows(results) + cold_start_target_rows(results)


def cost_target_rows(results: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """W5's targets as (target, measured, met?) rows: measured from W6 when it ran, else the assumptions."""
    rows: list[tuple[str, str, str]] = []
    measured = (results.get("w5") or {}).get("measured")
    if measured:
        targets = measured["targets"]
        for phase, label in COST_TARGET_LABELS.items():
            if phase not in targets or phase not in measured["phases"]:
                continue  # a run before the phase or its target existed
            placeholders = phase == "per_recipient" and "per_recipient_with_placeholders" in targets
            total, target = measured["phases"][phase]["total"], targets[phase]
            rows.append(
                (
                    f"≤ ${target:.2f} per million notifications, {label}"
                    f"{' without contact placeholders' if placeholders else ''} (W5 measured from W6)",
                    f"${total:.3f}",
                    _verdict(total <= target),
                )
            )
    delivery = (results.get("w5") or {}).get("delivery")
    if delivery and not measured:
        total = delivery["total"]
        target = f"≤ ${COST_TARGET_PER_M:.2f} per million notifications (from assumptions)"
        rows.append((target, f"${total:.3f}", _verdict(total <= COST_TARGET_PER_M)))
    return rows


def cold_start_target_rows(results: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """W3's targets as (target, measured, met?) rows."""
    rows: list[tuple[str, str, str]] = []
    functions = (results.get("w3") or {}).get("functions") or {}
    if functions:
        slowest, values = max(functions.items(), key=lambda item: median(item[1]["import_ms"]))
        worst = median(values["import_ms"])
        cpu = [median(v["import_cpu_ms"]) for v in functions.values() if v.get("import_cpu_ms")]
        rows.append(
            (
                f"every function's import and init ≤ {IMPORT_TARGET_MS:.0f} ms (built layer)",
                f"slowest {slowest}: {fmt_ms(worst)} ms"
                + (f" (CPU time at most {fmt_ms(max(cpu))} ms)" if cpu else ""),
                _verdict(worst <= IMPORT_TARGET_MS),
            )
        )
    first = ((results.get("w3") or {}).get("first_notification") or {}).get("process_to_accepted_ms")
    if first:
        rows.append(
            (
                f"first accepted notification ≤ {FIRST_NOTIFICATION_TARGET_MS:.0f} ms from process start",
                f"{fmt_ms(median(first))} ms (deliver_push)" + _floor_note(results),
                _verdict(median(first) <= FIRST_NOTIFICATION_TARGET_MS),
            )
        )
    return rows


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def preparation_lines(results: Mapping[str, Any]) -> list[str]:
    """What the bench installed during the run and what it found in place (runs that recorded it)."""
    preparations = results.get("preparations")
    if preparations is None:
        return []
    installed = [f"{step['what']} {step['source']}" for step in preparations if step["installed"]]
    present = [f"{step['what']} {step['source']}" for step in preparations if not step["installed"]]
    return [
        f"- Installed by the bench during this run: {'; '.join(installed) if installed else 'nothing'}.",
        f"- Already in place: {'; '.join(present) if present else 'nothing'}.",
    ]


def _h2load_text(results: Mapping[str, Any]) -> str:
    version = results["machine"].get("h2load")
    if not version:
        return "h2load not installed"
    for step in results.get("preparations") or []:
        if step["what"] == version and step["installed"]:
            return f"{version}, installed by the bench {step['source']}"
    return str(version)


def _machine_section(results: Mapping[str, Any]) -> list[str]:
    machine = results["machine"]
    settings = results["settings"]
    return [
        "## Machine and method",
        "",
        f"- CPU: {machine['cpu_model']}, {machine['cores']} cores ({machine['architecture']}); "
        f"memory {machine['memory_gib']} GiB; {machine['os']}",
        f"- Python {machine['python']}, Node {machine['node']}, {_h2load_text(results)}; "
        f"load average at start {', '.join(str(v) for v in machine['load_average_at_start'])}",
        *_calibration_lines(machine),
        *preparation_lines(results),
        f"- Provider simulator (Node `http2`) pinned to CPU {settings['simulator_cpu']}, "
        f"{settings['latency_ms']} ms latency per answer; each client in its own process pinned to CPU "
        f"{settings['client_cpu']}; one HTTP/2 connection.",
        *_rounds_lines(settings),
        f"- Run took {results['duration_s'] / 60:.1f} min. Reproduce: `{results['command']}`.",
        "",
    ]


#: Throughput others published (``../shared/reference/performance-anchors.md``), shown beside W2.
PUBLISHED_ANCHORS = [
    ["gorush (Go)", "about 5,000 notifications/s", "a user's report, 2023", "github.com/appleboy/gorush/issues/733"],
    [
        "sideshow/apns2 (Go, gorush's APNs client)",
        "up to 10,000/s",
        "maintainer, a server close to Apple, 2017",
        "github.com/sideshow/apns2/issues/68",
    ],
    ["aioapns (Python)", "1,300/s on one core", "the author's own test, no method", "pypi.org/project/aioapns"],
    ["node-apn", "9,000–10,000/s", "maintainer, binary-protocol era, 2015", "github.com/node-apn/node-apn/issues/168"],
    [
        "Amazon Pinpoint push",
        "25,000 messages/s per account",
        "default quota, raisable",
        "aws.amazon.com/jp/blogs/news/push-notification-engagement-metrics-tracking",
    ],
    [
        "FCM HTTP v1",
        "600,000 messages/min per project (10,000/s average)",
        "default quota, the project's cap",
        "firebase.google.com/docs/cloud-messaging/throttling-and-quotas",
    ],
]


def _calibration_lines(machine: Mapping[str, Any]) -> list[str]:
    if not machine.get("calibration_ms"):
        return []
    return [
        f"- Core speed at start: a fixed pure-Python loop (five million additions, fastest of 3 fresh "
        f"interpreters) took {machine['calibration_ms']:,} ms. Milliseconds compare between reports only "
        "when this does; ratios and before/after figures are measured within one run."
    ]


def _rounds_lines(settings: Mapping[str, Any]) -> list[str]:
    seconds = settings["seconds_per_repetition"]
    if not settings.get("paired_rounds"):
        return [
            f"- Clients run one after another; {settings['repetitions']} repetitions per cell of about {seconds} s "
            "each after one warm-up send; figures are median (min–max) of the repetitions."
        ]
    return [
        f"- {settings['repetitions']} rounds per in-flight limit: h2load once, then each client once (a fresh "
        f"process: one warm-up send and one repetition of about {seconds} s to warm up, then one measured "
        "repetition), so the ceiling is measured beside every repetition it divides; figures are median "
        "(min–max) of the rounds."
    ]


def _w2_section(results: Mapping[str, Any]) -> list[str]:
    lines = [
        "## W0 + W2 — delivery throughput",
        "",
        "Notifications/s, median (min–max) of the repetitions; share of the h2load ceiling at the same "
        "in-flight limit (the median, over the rounds, of the client's rate ÷ h2load's in the same round). "
        "CPU µs/notification is the client's own CPU time (user + system); "
        "CPU wait is the share of the run the client was runnable but waiting for its core.",
        "",
    ]
    levels = _levels(results)
    rows = []
    for level in levels:
        ceiling = (results.get("w0") or {}).get(level)
        if ceiling:
            rows.append(["h2load (W0)", level, median_range(ceiling["rates"]), "100%", "–", "–", "–"])
        for client, cells in results["w2"].items():
            cell = cells.get(level)
            if not cell:
                continue
            share = ceiling_share(results, client, level)
            cpu = f"{1e6 / median(cell['cpu_rates']):,.0f}" if cell.get("cpu_rates") else "–"
            wait = f"{median(cell['run_queue_shares']):.0%}" if cell.get("run_queue_shares") else "–"
            rss = f"{cell['max_rss_mb']:.0f}" if cell.get("max_rss_mb") else "–"
            ratio = f"{share:.0%}" if share is not None else "–"
            rows.append([client, level, median_range(cell["rates"]), ratio, cpu, wait, rss])
    header = ["client", "in flight", "notifications/s", "÷ ceiling", "CPU µs/notif.", "CPU wait", "peak RSS MB"]
    lines += _table(header, rows)
    for client, message in (results.get("w2_failures") or {}).items():
        lines += ["", f"- **{client} failed**: `{message.strip().splitlines()[-1] if message.strip() else message}`"]
    if not results.get("w0"):
        lines += ["", f"- W0 not measured: {results.get('w0_note', 'h2load missing')}"]
    lines += [
        "",
        "Published figures, for context only: none was measured here, on this hardware or against this "
        "simulator (gorush and apns2 need a Go toolchain this machine does not have).",
        "",
        *_table(["sender or service", "published figure", "conditions", "source"], PUBLISHED_ANCHORS),
    ]
    return [*lines, ""]


def _w1_section(results: Mapping[str, Any]) -> list[str]:
    w1 = results.get("w1") or {}
    lines = ["## W1 — registration", ""]
    if not w1.get("measured"):
        return [*lines, f"- {w1.get('note', 'not measured')}", ""]
    lines.append(
        f"CI-J v1 registrations (`POST .../pushchannel/apps/{{appId}}/devices/{{userId}}`, stored synchronously) "
        "through `functions/register_device`'s `lambda_handler` in one warm process, against DynamoDB Local "
        f"(the real template's table); {w1['registrations']} new users with one device each per repetition; "
        "DynamoDB units from `ReturnConsumedCapacity=TOTAL` on every call; unpinned (DynamoDB Local needs a core).",
    )
    lines.append("")
    rows = [[name, median_range(values, fmt_ms)] for name, values in w1["figures"].items()]
    return [*lines, *_table(["figure", "median (min–max)"], rows), "", *_w1_scenarios(w1)]


#: W1's scenarios as the report names them.
_W1_SCENARIOS = {
    "v1 new": "v1, new device",
    "v1 repeat": "v1, repeat (same user and token, same day)",
    "v2 new": "v2, new device (untracked; worker's verification push and store)",
    "v2 repeat": "v2, repeat (untracked, CI-J's default)",
    "v2 repeat tracked": "v2, repeat with `x-ms-track-registration: true`",
}


def _w1_scenarios(w1: Mapping[str, Any]) -> list[str]:
    scenarios = w1.get("scenarios")
    if not scenarios:
        return []
    lines = [
        "New and repeat registrations, v1 and v2: the repeat registers the same user's same token again "
        "moments after (an app's next launch). Per registration, medians (min–max) over the repetitions; "
        "v2 includes what the API enqueued and the `verify_device` worker did with it (SQS-shaped batches of "
        "10), SQS requests as billed (idle polls left out). $ per million registrations at list prices, arm64: "
        "HTTP API request, Lambda requests and duration (API and worker, max(wall, CPU × 1,769 / memory)), "
        "DynamoDB on demand, SQS, logs. The ApiToken check is cached per execution environment for 30 s, so "
        "these warm figures leave out its reads (the token and the app, once per 30 s per environment and "
        "token) and the token's last-use write (at most every 5 minutes).",
        "",
    ]
    rows = []
    for name, label in _W1_SCENARIOS.items():
        scenario = scenarios.get(name)
        if scenario is None:
            continue
        values = scenario["values"]
        rows.append(
            [
                label,
                median_range(values["read_units"], _fmt_units),
                median_range(values["write_units"], _fmt_units),
                median_range(values["sqs_requests"], _fmt_units),
                median_range(values["wall_ms"], fmt_ms),
                median_range(values["cpu_ms"], fmt_ms),
                f"${scenario['total']:.3f}",
            ]
        )
    header = ["registration", "RRU", "WRU", "SQS requests", "wall ms", "CPU ms", "$ per million"]
    return [*lines, *_table(header, rows), ""]


def _fmt_units(value: float) -> str:
    return f"{value:.2f}"


def _import_medians(section: Mapping[str, Any] | None, figure: str = "import_ms") -> dict[str, float]:
    functions = (section or {}).get("functions") or {}
    return {name: median(values[figure]) for name, values in functions.items() if values.get(figure)}


def _profile_cell(table: Mapping[str, float], limit: int = 5) -> str:
    return ", ".join(f"{name} {value:.0f}" for name, value in list(table.items())[:limit]) or "–"


def _watched(values: Mapping[str, Any], before: Mapping[str, Any] | None) -> str:
    now = ", ".join(values.get("watched_modules") or []) or "none"
    if before is None or "watched_modules" not in before:
        return now
    return f"{now} (before: {', '.join(before['watched_modules']) or 'none'})"


def _floor_note(results: Mapping[str, Any]) -> str:
    floor = ((results.get("w3") or {}).get("library_floor") or {}).get("process_to_imported_ms")
    return f"; its libraries alone {fmt_ms(median(floor))} ms" if floor else ""


def _w3_section(results: Mapping[str, Any]) -> list[str]:
    w3 = results.get("w3") or {}
    baseline = w3.get("baseline") or None
    before, before_cpu = _import_medians(baseline), _import_medians(baseline, "import_cpu_ms")
    before_functions = (baseline or {}).get("functions") or {}
    before_label = f"before (`{baseline['commit']}`)" if baseline else "before"
    lines = [
        "## W3 — cold start",
        "",
        "On the built layer, as Lambda loads it: the layer built by its own Makefile (the recipe `sam build` "
        f"runs) for this machine ({w3.get('architecture', 'host')}; the template builds arm64), each "
        "function's folder copied beside it, all read-only; every measurement a fresh "
        f"`python -I -S -B` (Python {w3.get('python', '3.13')}: the standard library, the function's "
        "folder and the layer's `python/` on `sys.path`, no site-packages, no bytecode written), not "
        "pinned (one import runs on one core anyway), tracing off; the two trees take turns, one process each. "
        f"{w3.get('processes', 0)} processes each ({baseline['processes'] if baseline else 0} for "
        f"{before_label}, the commit before the cold-start work, measured in the same run). "
        "*Import + init*: importing the function's `app.py` (Powertools, the resolver and its routes, the "
        "layer modules it pulls in); *first invocation*: `lambda_handler` with an API Gateway v2 event for "
        "an unrouted path (the resolver's 404, no service call; SQS consumers are only imported); "
        "*process*: spawn to exit, interpreter start included; *its CPU time*: the process's CPU time during "
        "the import, which waiting for a busy core does not inflate. ms, median (min–max).",
        "",
    ]
    rows = [
        [
            f"`functions/{name}`",
            fmt_ms(before[name]) if name in before else "–",
            fmt_ms(before_cpu[name]) if name in before_cpu else "–",
            median_range(values["import_ms"], fmt_ms),
            median_range(values.get("import_cpu_ms") or [], fmt_ms),
            median_range(values["first_invoke_ms"], fmt_ms),
            median_range(values["process_ms"], fmt_ms),
            _watched(values, before_functions.get(name)),
        ]
        for name, values in (w3.get("functions") or {}).items()
    ]
    header = [
        "function",
        f"import + init {before_label}",
        "its CPU time, before",
        "import + init",
        "its CPU time",
        "first invocation",
        "process",
    ]
    lines += _table([*header, "heavy modules loaded"], rows)
    first = w3.get("first_notification")
    if first:
        first_before = (baseline or {}).get("first_notification") or {}
        was = (
            f" (before: {fmt_ms(median(first_before['process_to_accepted_ms']))} ms"
            + (
                f", {fmt_ms(median(first_before['process_cpu_ms']))} ms of CPU to the handler's return"
                if first_before.get("process_cpu_ms")
                else ""
            )
            + ")"
            if first_before.get("process_to_accepted_ms")
            else ""
        )
        lines += [
            "",
            "First accepted notification through `functions/deliver_push` (APNs, token auth, simulator latency "
            f"{w3.get('first_notification_latency_ms', 0)} ms, the local runtime's DynamoDB Local and moto): "
            "process start → the simulator accepts the notification "
            f"**{median_range(first['process_to_accepted_ms'], fmt_ms)} ms**{was}. Of which importing `app.py` "
            f"{median_range(first['import_ms'], fmt_ms)} ms; the first SQS record (the job, the app and its "
            "credentials read, the APNs client built, the JWT signed, the TLS handshake and the request, then "
            f"the ledger and checkpoints written) {median_range(first['first_record_ms'], fmt_ms)} ms; process "
            f"start → the handler returns {median_range(first['process_to_handled_ms'], fmt_ms)} ms, "
            f"{median_range(first.get('process_cpu_ms') or [], fmt_ms)} ms of it on the CPU.",
        ]
        floor = w3.get("library_floor")
        if floor and floor.get("process_to_imported_ms"):
            modules = ", ".join(f"`{name}`" for name in floor["modules"])
            lines += [
                "",
                "The floor under that figure: the libraries the first notification needs, imported alone from the "
                f"built layer in a fresh process ({modules}; no Pushgate module), take "
                f"**{median_range(floor['import_ms'], fmt_ms)} ms** ({median_range(floor['import_cpu_ms'], fmt_ms)} "
                f"ms of CPU), **{median_range(floor['process_to_imported_ms'], fmt_ms)} ms** from process start with "
                "the interpreter's start. Whatever Pushgate's own code does, a first notification through these "
                "libraries cannot be accepted sooner than that.",
            ]
    traced = w3.get("traced_import")
    if traced and traced.get("import_ms"):
        untraced = ((w3.get("functions") or {}).get(traced["function"]) or {}).get("import_ms")
        lines += [
            "",
            f"With the template's default `Tracing: Active`, as in Lambda (`LAMBDA_TASK_ROOT` set, the X-Ray SDK "
            f"imported and botocore, httpx and http.client patched at init), `functions/{traced['function']}` "
            f"imports and inits in **{median_range(traced['import_ms'], fmt_ms)} ms** "
            f"({median_range(traced['import_cpu_ms'], fmt_ms)} ms of CPU)"
            + (f" instead of {fmt_ms(median(untraced))} ms" if untraced else "")
            + "; the template's `Tracing` parameter set to `PassThrough` gives the figures above on AWS.",
        ]
    load = w3.get("load_average")
    if load:
        lines += [
            "",
            f"Load average (1 min) {load['before']:.1f} when W3 started and {load['after']:.1f} when it ended, on "
            f"{load['cores']} cores: wall times above the CPU times are time spent waiting for a core.",
        ]
    for name, message in (w3.get("failures") or {}).items():
        lines.append(f"- **{name} failed**: `{message}`")
    for name, message in ((baseline or {}).get("failures") or {}).items():
        lines.append(f"- **{name} ({before_label}) failed**: `{message}`")
    profiled = {name: values["profile"] for name, values in (w3.get("functions") or {}).items() if "profile" in values}
    if profiled:
        lines += [
            "",
            "Import profile (`python -X importtime`, on the built layer, medians of "
            "the profiled runs, ms; the profiler itself adds to every figure): the packages whose own "
            "module code took longest (`pushgate` by subpackage), and what `app.py`'s own imports cost "
            "with everything they pulled in.",
            "",
        ]
        rows = [
            [f"`{name}`", _profile_cell(profile["packages"]), _profile_cell(profile["imports"], 4)]
            for name, profile in profiled.items()
        ]
        lines += _table(["function", "top packages (self time)", "top imports of app.py (cumulative)"], rows)
    return [*lines, ""]


def render_cold_start(results: Mapping[str, Any]) -> str:
    """The W3 section alone (``python -m bench --cold-start-only``), with its targets."""
    calibration = _calibration_lines(results.get("machine") or {})
    lines = [
        *_w3_section(results),
        *_table(["target (issue 17)", "measured", ""], cold_start_target_rows(results)),
        *(["", *calibration] if calibration else []),
    ]
    return "\n".join(lines).rstrip() + "\n"


def _w4_section(results: Mapping[str, Any]) -> list[str]:
    w4 = results.get("w4")
    if not w4:
        return []
    return [
        "## W4 — sender memory",
        "",
        f"Peak RSS (VmHWM) of a fresh process running Pushgate's `ApnsClient` after {w4['sends']:,} sends "
        f"({w4['batches']} batches of {w4['batch']:,}, {w4['in_flight']:,} in flight, one connection): "
        f"**{median_range(w4['max_rss_mb'], fmt_ms)} MB** over {len(w4['max_rss_mb'])} processes. "
        f"Per notification in those batches: wall {median_range(w4['wall_ms_per_notification'], _fmt_small)} ms, "
        f"CPU {median_range(w4['cpu_ms_per_notification'], _fmt_small)} ms.",
        "",
    ]


def _fmt_small(value: float) -> str:
    return f"{value:.3f}"


def _w5_section(results: Mapping[str, Any]) -> list[str]:
    w5 = results.get("w5")
    if not w5:
        return []
    delivery, registration = w5["delivery"], w5["registration"]
    references = w5["references"]
    lines = [
        "## W5 context — cost per million from stated assumptions (AWS list prices, us-east-1, arm64)",
        "",
        "The model the measured figures above replace, kept for comparison: W3/W4 figures and the "
        "batching assumptions below.",
        "",
        "| term | per million notifications | per million registrations |",
        "| --- | ---: | ---: |",
    ]
    for term in delivery["lines"]:
        lines.append(f"| {term} | ${delivery['lines'][term]:.4f} | ${registration['lines'][term]:.4f} |")
    lines += [
        f"| **total** | **${delivery['total']:.3f}** | **${registration['total']:.3f}**"
        f"{' (floor)' if not registration['measured'] else ''} |",
        *(f"| {name} (reference) | ${price:.2f} | – |" for name, price in references.items()),
        "",
        "Inputs and assumptions:",
        "",
        *(f"- {note}" for note in delivery["notes"]),
        *(f"- {note}" for note in registration["notes"]),
        "",
    ]
    return lines


def _cap_check_section(results: Mapping[str, Any]) -> list[str]:
    if not results.get("cap_check"):
        return []
    from bench.cap_cost import report_lines  # noqa: PLC0415 - only when the run measured it

    return report_lines(dict(results["cap_check"]))


def _w6_section(results: Mapping[str, Any]) -> list[str]:
    w6 = results.get("w6")
    if not w6:
        return []
    lines = [
        f"## W6 — a {w6['devices']:,}-device send through the real handlers",
        "",
        "The local runtime on the real `template.yaml`: `POST /admin/v1/orgs/{orgId}/sends` over HTTP to "
        "`send_fanout`, SQS (moto server) to `expand_audience` and `deliver_push` "
        f"({w6['queue_workers']} execution environments per queue, polled as Lambda's event source "
        f"mappings would), the provider simulator answering after {w6['latency_ms']} ms. Seeding "
        f"({w6['devices']:,} iOS devices of {w6['users']:,} people, 1 or 2 each) is `BatchWriteItem` "
        f"straight into DynamoDB Local ({w6['seed_s']:.0f} s), not part of the measurement.",
        "",
    ]
    segment = w6.get("segment")
    if segment:
        lines += [
            f"The segment send goes to an org of its own: {segment['people']:,} directory contacts with "
            f"{segment['segment_devices']:,} iOS devices (1 or 2 each), half of them with the custom "
            "attribute `tier` `'gold'` and half `'silver'`, seeded the same way after the other phases "
            f'({segment["seed_s"]:.0f} s). One `POST .../sends` with `"Audience": {{"Filter": '
            f'"{segment["filter"]}", "Kind": "contacts"}}`: the audience worker reads every '
            f"contact of the org, {segment.get('page_people', 1000):,} a page, and fans the matching people out as a "
            "per-recipient send does (consent, quiet hours, rendering), the matching people's devices read as "
            "one range of user ids a shard of the app's devices in user order (`GSI4`).",
            "",
        ]
    rows = []
    labels = {
        "broadcast": "broadcast (`Audience: AllActiveDevices`)",
        "per_recipient": "per-recipient",
        "personal": (
            f"per-recipient, personal (`{w6['personal'].get('title', '')}`, each record from the devices' copy)"
            if w6.get("personal")
            else ""
        ),
        "segment": (
            f"segment (`{segment['filter']}`, {segment['recipients']:,} of {segment['people']:,} people)"
            if segment
            else ""
        ),
    }
    for name, label in labels.items():
        phase = w6.get(name)
        if not phase:
            continue
        check = phase["check"]
        others = f"; {check['unexpected']} others reached" if "unexpected" in check else ""
        rows.append(
            [
                label,
                f"{phase['sends']}",
                f"{phase['notifications']:,}",
                f"{phase['wall_s']:.1f} s",
                f"**{phase['notifications_per_s']:,.0f}/s**",
                f"{check['lost']} / {check['duplicated']}",
                f"{check['simulator_received']:,} received, {check['simulator_lost']} lost, "
                f"{check['simulator_duplicated']} twice; ledger {check['ledger_entries']:,} entries "
                f"({', '.join(f'{k} {v:,}' for k, v in check['ledger_outcomes'].items())}){others}",
            ]
        )
    lines += _table(["phase", "sends", "notifications", "wall", "end to end", "lost / dup", "checked"], rows)
    lines += [
        "",
        "Wall time runs from the first `POST` to the moment every send's totals are complete (the bench "
        "reads the send record directly, outside the meters). Lost and duplicated are counted against "
        "the simulator's record of every token it answered and against every page of the send's ledger "
        "(`GET .../recipients`); both must be 0 / 0, and no other device (for the segment: no device of "
        "a person the filter does not match) may appear in either.",
        "",
    ]
    if w6.get("unmetered_calls"):
        lines += [f"{w6['unmetered_calls']} DynamoDB calls came back without `ConsumedCapacity`.", ""]
    return lines


def _storage_rows(phases: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """The ledger's storage for its retention, DynamoDB's and S3's (bytes per notification beside
    each), below the total it is not part of (a stored cost, not a request's), and the total with it;
    nothing for a run that did not measure it, no S3 row for one measured before the ledger bucket."""
    storage = [phases[name].get("storage") for name in names]
    if not all(storage):
        return []
    days = storage[0]["retention_days"]
    rows = [
        f"| DynamoDB storage of the ledger, {days} days | "
        + " | ".join(f"${item['usd_per_m']:.4f} ({item['bytes_per_notification']:.0f} B)" for item in storage)
        + " | – | – |"
    ]
    if any("s3_usd_per_m" in item for item in storage):
        rows.append(
            f"| S3 storage of the ledger, {days} days | "
            + " | ".join(
                f"${item.get('s3_usd_per_m', 0.0):.4f} ({item.get('s3_bytes_per_notification', 0.0):.0f} B)"
                for item in storage
            )
            + " | – | – |"
        )
    totals = [
        phases[name]["total"] + item["usd_per_m"] + item.get("s3_usd_per_m", 0.0)
        for name, item in zip(names, storage, strict=True)
    ]
    return [*rows, "| total with the ledger's storage | " + " | ".join(f"${t:.3f}" for t in totals) + " | – | – |"]


def _s3_requests_line(phase: Mapping[str, Any]) -> list[str]:
    """A phase's S3 requests per notification by function and operation; nothing for a phase priced
    before S3 was metered."""
    if "s3" not in phase:
        return []
    requests = ", ".join(
        f"`{row['function']}` {row['operation']} {row['requests']:.4f}"
        + (f" ({row['error_responses']:.4f} answered with an error, billed too)" if row["error_responses"] else "")
        for row in phase["s3"]
    )
    return ["", f"S3 requests per notification: {requests or 'none'}."]


def _storage_method(storage: Mapping[str, Any]) -> str:
    """How the ledger's storage was measured: DynamoDB's items, and S3's objects when the run listed them."""
    if "s3_usd_per_m" not in storage:
        return (
            " The ledger's storage: after each phase the bench reads every item of its sends' partitions "
            "(the send record, each job's claim and outcomes, page markers) and their tracking-key items, "
            "sizes each by DynamoDB's rules plus its 100 B of indexing overhead, and prices them at "
            f"${cost.DYNAMODB_STORAGE_GB_MONTH} per GB-month for the template's `InteractionRetentionDays`; "
            "a stored cost, not a request's, so it stands below the total instead of in it."
        )
    return (
        " The ledger's storage: after each phase the bench reads every item of its sends' partitions "
        "(the send record, each job's claim, and its outcomes in a stack without a ledger bucket, page "
        "markers) and their tracking-key items, sizes each by DynamoDB's rules plus its 100 B of indexing "
        "overhead, and prices them at "
        f"${cost.DYNAMODB_STORAGE_GB_MONTH} per GB-month; it lists the jobs' outcome objects under each "
        "send's `outcomes/<orgId>/<sendId>/` in the ledger bucket (moto server, none for a stack without "
        f"the bucket) and prices their bytes at S3 Standard's ${cost.S3_STORAGE_GB_MONTH} per GB-month; "
        "both for the template's `InteractionRetentionDays`. A stored cost, not a request's, so it stands "
        "below the total instead of in it."
    )


def _measured_cost_section(results: Mapping[str, Any]) -> list[str]:
    measured = (results.get("w5") or {}).get("measured")
    if not measured:
        return []
    phases, floor = measured["phases"], measured["floor"]
    broadcast_floor = measured.get("broadcast_floor")
    targets = measured["targets"]
    names = [name for name in cost.W6_PHASES if name in phases]
    lines = [
        "## W5 — cost per million notifications, measured from the W6 run (us-east-1 list prices, arm64)",
        "",
        "| term | "
        + " | ".join(name.replace("_", "-") for name in names)
        + " | broadcast floor | per-recipient floor |",
        "| --- |" + " ---: |" * (len(names) + 2),
    ]
    terms = list(phases["broadcast"]["lines"])

    def cell(floor_lines: Mapping[str, float] | None, term: str) -> str:
        # A floor's read line names its basis ("DynamoDB reads (...)"): it sits in the reads row.
        values = [value for name, value in (floor_lines or {}).items() if name.partition(" (")[0] == term]
        return "$" + format(values[0], ".4f") if values else "–"

    for term in terms:
        lines.append(
            f"| {term} | "
            + " | ".join(f"${phases[name]['lines'].get(term, 0.0):.4f}" for name in names)
            + f" | {cell(broadcast_floor, term)} | {cell(floor, term)} |"
        )

    def total(name: str) -> str:
        target = f" (target ≤ ${targets[name]:.2f})" if name in targets else ""
        if name == "per_recipient" and "per_recipient_with_placeholders" in targets:
            with_placeholders = targets["per_recipient_with_placeholders"]
            target = f" (target ≤ ${targets[name]:.2f}; ≤ ${with_placeholders:.2f} with contact placeholders)"
        return f"**${phases[name]['total']:.3f}**{target}"

    cpu_bound = [f"${phases[name]['lambda_duration_cpu_bound']:.4f} ({name.replace('_', '-')})" for name in names]
    lines += [
        "| **total** | "
        + " | ".join(total(name) for name in names)
        + f" | {'$' + format(broadcast_floor['total'], '.3f') if broadcast_floor else '–'} | ${floor['total']:.3f} |",
        *_storage_rows(phases, names),
        "",
        f"Lambda duration is billed at the local wall time; at CPU time alone (÷ the vCPU share of the "
        f"memory size, as if DynamoDB, SQS and the provider answered at once) it would be "
        f"{', '.join(cpu_bound[:-1])} and {cpu_bound[-1]} per million.",
        "",
        "Per notification:",
        "",
    ]
    rows = []
    for name in names:
        figures = phases[name]["per_notification"]
        rows.append(
            [
                name.replace("_", "-"),
                f"{figures['rru']:.4f}",
                f"{figures['wru']:.4f}",
                f"{figures['sqs_requests']:.4f}",
                # Phases priced before S3 was metered made no S3 request.
                f"{figures.get('s3_requests', 0.0):.4f}",
                f"{figures['lambda_invocations']:.4f}",
                f"{figures['lambda_billed_ms']:.3f}",
                f"{figures['log_bytes']:.1f}",
                f"{figures['egress_bytes']}",
            ]
        )
    lines += _table(
        ["phase", "RRU", "WRU", "SQS requests", "S3 requests", "invocations", "billed ms", "log bytes", "egress bytes"],
        rows,
    )
    for name in names:
        lines += [
            "",
            f"DynamoDB by function and operation, {name.replace('_', '-')} (units per notification, $ per million):",
            "",
        ]
        lines += _table(
            ["function", "operation", "calls per 1k", "RRU", "WRU", "$/M"],
            [
                [
                    f"`{row['function']}`",
                    row["operation"],
                    f"{row['calls_per_1k']:.1f}",
                    f"{row['rru']:.4f}",
                    f"{row['wru']:.4f}",
                    f"{row['usd_per_m']:.4f}",
                ]
                for row in phases[name]["dynamodb"]
            ],
        )
        lines += [
            "",
            "SQS billed requests per notification: "
            + ", ".join(f"{row['queue']} {row['operation']} {row['requests']:.4f}" for row in phases[name]["sqs"])
            + f" (idle polling, {phases[name]['idle_receives']:.0f} empty receives, left out).",
            *_s3_requests_line(phases[name]),
        ]
    memory = ", ".join(f"{name} {size} MB" for name, size in measured["memory_mb"].items())
    # Phases priced before S3 was metered say nothing of it.
    s3_requests = (
        "; S3 requests (moto server) too, each by function and operation, error responses included (a "
        "conditional `PutObject` that finds the object answers 412, and is billed), at S3 Standard's "
        f"${cost.S3_PUT_CLASS_REQUESTS_PER_M / 1000:.3f} per 1,000 PUT, COPY, POST and LIST requests and "
        f"${cost.S3_GET_CLASS_REQUESTS_PER_M / 1000:.4f} per 1,000 GET, SELECT and other requests (DELETE "
        "requests are free)"
        if "s3" in phases[names[0]]
        else ""
    )
    lines += [
        "",
        "How it is measured: every DynamoDB call of every function worker asks for `ReturnConsumedCapacity="
        "TOTAL` (a botocore `before-parameter-build` hook installed by the bench, not by Pushgate) and "
        "DynamoDB Local's answer is summed by an `after-call` hook (it answers none for a PartiQL read of "
        "many partitions, an `IN` over partition keys: the bench prices that as a `Query` of each "
        "partition it names, half a unit per started 4 KB of the partition's items and at least half a "
        "unit, summed over the statement's pages); SQS requests are counted the same way, "
        f"one per started 64 KiB of payload{s3_requests}; Lambda is billed per invocation at the measured "
        f"duration rounded up to 1 ms, at the template's memory ({memory}), arm64. The local durations include "
        "DynamoDB Local and moto, slower than the services, so Lambda duration is pessimistic. Egress is "
        f"the APNs payload ({measured['payload_bytes']} B) plus {cost.EGRESS_OVERHEAD_BYTES} B of HTTP/2 "
        "headers and TLS (an estimate); logs are the functions' measured log bytes plus 350 B of Lambda's "
        "own lines per "
        f"invocation. The floor of a per-recipient send ({measured['devices_per_recipient']:.2f} devices a "
        "recipient here): egress and one eventually consistent device `Query` (0.5 RRU) per recipient. "
        "The floor of a broadcast: egress and each device read once from the device index, at the read "
        "units the broadcast's own index pages cost."
        + (
            " A segment send reads every person of its kind (the ones the filter leaves out too) and the "
            "devices of every person between a page's first and last match"
            + ("." if "segment" in targets else "; it has no target of its own.")
            if "segment" in phases
            else ""
        )
        + (
            " W6's message has no contact placeholders: its per-recipient send is held to the target of such a message."
            if "per_recipient_with_placeholders" in targets
            else ""
        )
        + (
            " The personal phase makes the per-recipient sends again with a message that reads "
            "`{{contact.firstname}}`: each recipient's record comes with their devices (the copy of the person "
            "every directory write keeps on them), and its jobs carry a notification per person."
            if "personal" in phases
            else ""
        )
        + (_storage_method(phases[names[0]]["storage"]) if phases[names[0]].get("storage") else ""),
        "",
    ]
    return lines


def _faults_section(results: Mapping[str, Any]) -> list[str]:
    w7 = results.get("faults")
    if not w7:
        return []
    base, retry, mixed = w7.get("no_faults"), w7["retry_after"], w7["mixed_delays"]
    share = f"{w7['fault_rate']:.0%}"

    def done(phase: Mapping[str, Any], platform: str) -> str:
        seconds = phase["platform_done_s"].get(platform)
        return f"{seconds:.1f} s" if seconds is not None else "not within the run"

    return [
        "## W7 — a send under provider faults",
        "",
        f"One send to {w7['devices']:,} people with one device each, half iOS and half Android (every "
        f"delivery job mixes both), through the real handlers; the simulator answers after "
        f"{w7['latency_ms']} ms and fails {share} of the requests at random; {w7['queue_workers']} "
        "delivery workers, warmed up by an untimed send. Timed from the `POST .../sends` (seeding excluded).",
        "",
        *_table(
            ["faults", "send complete", "all Android received", "all iOS received", "unreceived", "duplicated"],
            [
                *(
                    [
                        [
                            "none",
                            f"{base['wall_s']:.1f} s" if base["completed"] else "no",
                            done(base, "android"),
                            done(base, "ios"),
                            str(sum(base["unreceived"].values())),
                            str(base["duplicated"]),
                        ]
                    ]
                    if base
                    else []
                ),
                [
                    f"{share} 503 + `Retry-After: {retry['retry_after_s']}` (APNs and FCM)",
                    f"**{retry['wall_s']:.1f} s**" if retry["completed"] else "no",
                    done(retry, "android"),
                    done(retry, "ios"),
                    str(sum(retry["unreceived"].values())),
                    str(retry["duplicated"]),
                ],
                [
                    f"{share} 500 (APNs: retry after 15 min; FCM: after 10 s)",
                    "not waited for" if not mixed["completed"] else f"{mixed['wall_s']:.1f} s",
                    f"**{done(mixed, 'android')}**",
                    done(mixed, "ios"),
                    f"{mixed['unreceived'].get('ios', 0)} iOS waiting",
                    str(mixed["duplicated"]),
                ],
            ],
        ),
        "",
        "Retryable devices go back to the queue as one job per platform and due time, each delayed by "
        "its own provider's `Retry-After`: Android devices of a job whose iOS devices wait Apple's 15 "
        "minutes are retried after FCM's delay, instead of with the slowest (a send under 5 % faults "
        "took 33 minutes when one retry job took the longest delay of its devices).",
        "",
    ]


def _partial_report(results: Mapping[str, Any], title: str, injected: str, sections: list[str]) -> str:
    """The report of a run of some workloads only: its title, how it ran, on what machine, then ``sections``."""
    machine = results["machine"]
    lines = [
        f"# Pushgate {title} — {results['date']}",
        "",
        f"Generated by `{results['command']}`. Loopback only; the provider {injected} injected.",
        "",
        f"Machine: {machine['cpu_model']}, {machine['cores']} cores; Python {machine['python']}; load average "
        f"at start {', '.join(str(v) for v in machine['load_average_at_start'])}; the run took "
        f"{results['duration_s'] / 60:.1f} min.",
        "",
        *sections,
    ]
    return "\n".join(lines).rstrip() + "\n"


def render_faults_markdown(results: Mapping[str, Any]) -> str:
    """The report of a ``--faults-only`` run: W7."""
    return _partial_report(results, "W7", "latency and faults are", _faults_section(results))


def render_w6_markdown(results: Mapping[str, Any]) -> str:
    """The report of a ``--w6-only`` run: W6 and the measured W5."""
    return _partial_report(results, "W6 / W5", "latency is", [*_w6_section(results), *_measured_cost_section(results)])


def render_markdown(results: Mapping[str, Any]) -> str:
    """The whole report."""
    lines = [
        f"# Pushgate benchmark report — {results['date']}",
        "",
        "Generated by `make bench` (`python -m bench`). Loopback only: the provider latency is injected "
        "by the simulator, and throughput on Lambda (a fraction of a vCPU below 1,769 MB) will be lower "
        "for CPU-bound phases. Published figures of other senders are context, not measured here.",
        "",
        "## Headline",
        "",
        "Delivery, notifications/s (median) and share of the h2load ceiling, "
        f"{results['settings']['latency_ms']} ms provider latency, one connection:",
        "",
        headline_table(results),
        "",
        *_table(["target", "measured", ""], target_rows(results)),
        "",
        *_machine_section(results),
        *_w2_section(results),
        *_w1_section(results),
        *_w3_section(results),
        *_w4_section(results),
        *_w6_section(results),
        *_measured_cost_section(results),
        *_w5_section(results),
        *_cap_check_section(results),
        *_faults_section(results),
        f"Chart: [{results['chart']}]({results['chart']})" if results.get("chart") else "",
        "",
    ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    """Re-renders a stored run's report to stdout (a ``--w6-only`` or ``--faults-only`` run's as such)."""
    results = json.loads(pathlib.Path(argv[0]).read_text())
    if "settings" in results:
        sys.stdout.write(render_markdown(results))
    elif "w6" in results:
        sys.stdout.write(render_w6_markdown(results))
    else:
        sys.stdout.write(render_faults_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
