# ruff: noqa: RUF001 - the report typesets ranges with en dashes
"""Rendering of the benchmark report from a results dictionary."""

from typing import Any

import pytest

from bench import report
from tests.unit.bench.test_metering import s3_figures


def results(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "date": "2026-11-23",
        "command": "make bench",
        "duration_s": 600.0,
        "machine": {
            "cpu_model": "AMD EPYC",
            "cores": 2,
            "memory_gib": 23.5,
            "os": "Debian GNU/Linux 12",
            "architecture": "x86_64",
            "python": "3.13.0",
            "node": "v20.20.2",
            "h2load": "h2load nghttp2/1.52.0",
            "load_average_at_start": [0.5, 0.4, 0.3],
            "calibration_ms": 1234,
        },
        "settings": {
            "latency_ms": 20,
            "repetitions": 5,
            "seconds_per_repetition": 1.0,
            "levels": [1, 1000],
            "connections": 1,
            "simulator_cpu": 0,
            "client_cpu": 1,
        },
        "w0": {"1": {"rates": [48.0, 49.0, 50.0]}, "1000": {"rates": [19000.0, 20000.0, 21000.0]}},
        "w2": {
            "pushgate-apns": {
                "1": {"rates": [45.0, 46.0, 47.0], "cpu_rates": [5000.0], "run_queue_shares": [0.1], "max_rss_mb": 80},
                "1000": {"rates": [11000.0, 12000.0, 13000.0], "cpu_rates": [14000.0], "run_queue_shares": []},
            },
            "aioapns": {
                "1": {"rates": [40.0, 41.0, 42.0], "cpu_rates": [], "run_queue_shares": []},
                "1000": {"rates": [1000.0, 1100.0, 1200.0], "cpu_rates": [], "run_queue_shares": []},
            },
        },
        "w2_failures": {},
        "w1": {"measured": False, "note": "not measured: registration not built yet"},
    }
    base.update(overrides)
    return base


def test_headline_shows_medians_and_the_share_of_the_ceiling() -> None:
    table = report.headline_table(results())

    assert "| client | in flight 1 | in flight 1000 |" in table
    assert "| h2load (W0 ceiling) | 49 | 20,000 |" in table
    assert "| pushgate-apns | 46 (94%) | 12,000 (60%) |" in table
    assert "| aioapns | 41 (84%) | 1,100 (6%) |" in table


def test_headline_without_ceiling_shows_plain_rates() -> None:
    table = report.headline_table(results(w0=None))

    assert "h2load" not in table
    assert "| pushgate-apns | 46 | 12,000 |" in table


def test_with_paired_rounds_the_share_is_read_round_by_round_against_its_own_ceiling() -> None:
    # The host slowed down in the second round: h2load and the client both dropped.
    paired = results(
        settings={**results()["settings"], "paired_rounds": True, "repetitions": 3},
        w0={"1": {"rates": [50.0, 50.0, 50.0]}, "1000": {"rates": [30000.0, 15000.0, 29000.0]}},
        w2={
            "pushgate-apns": {
                "1": {"rates": [45.0, 46.0, 47.0], "cpu_rates": [], "run_queue_shares": []},
                "1000": {"rates": [19500.0, 10500.0, 18000.0], "cpu_rates": [], "run_queue_shares": []},
            }
        },
    )

    # Round by round: 65%, 70%, 62% (median 65%); the medians alone would say 18,000 / 29,000 = 62%.
    assert "| pushgate-apns | 46 (92%) | 18,000 (65%) |" in report.headline_table(paired)
    rows = {target: (measured, verdict) for target, measured, verdict in report.target_rows(paired)}
    assert rows["pushgate-apns ≥ 60% of the ceiling at every in-flight limit"] == ("lowest 65% (in flight 1000)", "met")
    text = report.render_markdown(paired)
    assert "3 rounds per in-flight limit: h2load once, then each client once" in text
    assert "| pushgate-apns | 1000 | 18,000 (10,500–19,500) | 65% |" in text


def test_targets_compare_with_the_peer_at_equal_settings() -> None:
    rows = {target: (measured, verdict) for target, measured, verdict in report.target_rows(results())}

    assert rows["pushgate-apns ≥ 60% of the ceiling at every in-flight limit"] == ("lowest 60% (in flight 1000)", "met")
    measured, verdict = rows["pushgate-apns ≥ 3× aioapns at equal settings"]
    assert measured == "1.1× (in flight 1) to 10.9× (in flight 1000)"
    assert verdict == "met at high in-flight limits only"


def test_report_names_the_machine_the_method_and_the_unmeasured_workload() -> None:
    text = report.render_markdown(results())

    assert "AMD EPYC, 2 cores (x86_64); memory 23.5 GiB; Debian GNU/Linux 12" in text
    assert "Python 3.13.0" in text
    assert "5 repetitions per cell" in text
    assert "| pushgate-apns | 1 | 46 (45–47) | 94% | 200 | 10% | 80 |" in text
    assert "- not measured: registration not built yet" in text


def test_report_gives_the_core_speed_the_run_started_with() -> None:
    text = report.render_markdown(results())

    assert "a fixed pure-Python loop (five million additions, fastest of 3 fresh interpreters) took 1,234 ms" in text


def test_published_figures_stand_beside_the_delivery_table_as_context_only() -> None:
    text = report.render_markdown(results())

    assert "Published figures, for context only: none was measured here" in text
    assert "| gorush (Go) | about 5,000 notifications/s | a user's report, 2023 |" in text
    assert text.index("Published figures, for context only") > text.index("| pushgate-apns | 1 |")


def test_report_says_what_the_bench_installed_and_what_was_in_place() -> None:
    preparations = [
        {
            "what": "h2load nghttp2/1.52.0",
            "source": "from Debian's nghttp2-client 1.52.0-1+deb12u3 (apt-get install)",
            "installed": True,
        },
        {
            "what": "@parse/node-apn 8.1.0",
            "source": "in bench/peers-node/node_modules (npm ci from package-lock.json)",
            "installed": True,
        },
        {
            "what": "aioapns 4.0",
            "source": "in bench/.venv-peers (built by an earlier run from requirements-peers.txt)",
            "installed": False,
        },
    ]
    text = report.render_markdown(results(preparations=preparations))

    assert (
        "Node v20.20.2, h2load nghttp2/1.52.0, installed by the bench from Debian's nghttp2-client "
        "1.52.0-1+deb12u3 (apt-get install);"
    ) in text
    assert (
        "- Installed by the bench during this run: h2load nghttp2/1.52.0 from Debian's nghttp2-client "
        "1.52.0-1+deb12u3 (apt-get install); @parse/node-apn 8.1.0 in bench/peers-node/node_modules "
        "(npm ci from package-lock.json)."
    ) in text
    assert (
        "- Already in place: aioapns 4.0 in bench/.venv-peers (built by an earlier run from requirements-peers.txt)."
    ) in text


def test_report_of_a_run_without_h2load_says_so() -> None:
    machine = results()["machine"] | {"h2load": None}
    text = report.render_markdown(results(machine=machine, preparations=[]))

    assert "h2load not installed" in text
    assert "- Installed by the bench during this run: nothing." in text


def test_report_shows_a_failed_client_with_its_last_error_line() -> None:
    text = report.render_markdown(results(w2_failures={"node-apn": "Traceback\nError: connection refused"}))

    assert "**node-apn failed**: `Error: connection refused`" in text


@pytest.mark.parametrize(
    ("values", "expected"), [([], "–"), ([3.0, 1.0, 2.0], "2 (1–3)"), ([1500.0, 2500.0], "2,000 (1,500–2,500)")]
)
def test_median_range(values: list[float], expected: str) -> None:
    assert report.median_range(values) == expected


def test_report_shows_measured_registration_figures() -> None:
    w1 = {
        "measured": True,
        "registrations": 100,
        "memory_mb": 512,
        "log_bytes": 218,
        "figures": {"CPU ms per registration": [7.0, 7.2, 7.5], "DynamoDB write units per registration": [2.0, 2.0]},
    }

    text = report.render_markdown(results(w1=w1))

    assert "100 new users with one device each per repetition" in text
    assert "| CPU ms per registration | 7.2 (7.0–7.5) |" in text
    assert "| DynamoDB write units per registration | 2.0 (2.0–2.0) |" in text


def test_report_shows_new_and_repeat_registrations_side_by_side() -> None:
    def scenario(read: float, write: float, sqs: float, total: float) -> dict[str, object]:
        values = {
            "read_units": [read],
            "write_units": [write],
            "sqs_requests": [sqs],
            "wall_ms": [5.0],
            "cpu_ms": [2.0],
        }
        return {"values": values, "lines": {}, "total": total}

    w1 = {
        "measured": True,
        "registrations": 100,
        "memory_mb": 512,
        "log_bytes": 218,
        "figures": {"CPU ms per registration": [7.0]},
        "scenarios": {"v1 new": scenario(2, 14, 0, 10.5), "v2 repeat": scenario(1, 0, 0, 1.48)},
    }

    text = report.render_markdown(results(w1=w1))

    assert "| v1, new device | 2.00 (2.00–2.00) | 14.00 (14.00–14.00) | 0.00 (0.00–0.00) |" in text
    assert "| v2, repeat (untracked, CI-J's default) | 1.00 (1.00–1.00) | 0.00 (0.00–0.00) |" in text
    assert "$1.480 |" in text


def test_report_shows_the_cap_check_cost_when_measured() -> None:
    row = {
        "notifications": 10,
        "read_units_per_notification": 1.0,
        "write_units_per_notification": 1.0,
        "gets_per_notification": 1.0,
        "puts_per_notification": 1.0,
    }
    measured = results(cap_check={"first": row, "capped": {**row, "write_units_per_notification": 0.0}})
    text = report.render_markdown(measured)
    assert "## Cap check cost (DynamoDB units per notification)" in text
    assert "| cap reached (not sent) | 1.0 | 0.0 | 1.0 | 1.0 |" in text
    assert "Cap check cost" not in report.render_markdown(results())


def _w6_phase(notifications: int) -> dict[str, Any]:
    return {
        "name": "broadcast",
        "notifications": notifications,
        "sends": 1,
        "wall_s": 100.0,
        "notifications_per_s": notifications / 100.0,
        "meter": {"sqs": {}},
        "meter_by_function": {},
        "invocations": {},
        "log_bytes": {},
        "check": {
            "devices": notifications,
            "simulator_received": notifications,
            "simulator_lost": 0,
            "simulator_duplicated": 0,
            "simulator_unexpected": 0,
            "ledger_entries": notifications,
            "ledger_outcomes": {"Sent": notifications},
            "ledger_lost": 0,
            "ledger_duplicated": 0,
            "lost": 0,
            "duplicated": 0,
        },
    }


def _w6_results(**phases: dict[str, Any]) -> dict[str, Any]:
    """W6's figures: a 100,000-device broadcast and per-recipient sends to 10,000 people, unless
    ``phases`` say otherwise."""
    return {
        "devices": 100_000,
        "users": 66_667,
        "queue_workers": 3,
        "latency_ms": 20,
        "seed_s": 90.0,
        "broadcast": _w6_phase(100_000),
        "per_recipient": _w6_phase(15_000) | {"recipients": 10_000},
        "memory_mb": {"deliver_push": 1024},
        "unmetered_calls": 0,
    } | phases


def _w5_measured(phases: dict[str, Any], targets: dict[str, float]) -> dict[str, Any]:
    """W5 measured from W6: the priced phases beside the floors of 1.5 devices a recipient and 130-byte payloads."""
    from bench import cost  # noqa: PLC0415

    return {
        "phases": phases,
        "floor": cost.per_recipient_floor(1.5, 130),
        "broadcast_floor": cost.broadcast_floor(0.0625, 130),
        "devices_per_recipient": 1.5,
        "payload_bytes": 130,
        "memory_mb": {"deliver_push": 1024},
        "targets": targets,
    }


def _render_w6(date: str, w6: dict[str, Any], measured: dict[str, Any], duration_s: float = 300.0) -> str:
    return report.render_w6_markdown(
        {"date": date, "command": "python -m bench --w6-only", "duration_s": duration_s}
        | {"machine": results()["machine"], "w6": w6, "w5": {"measured": measured}}
    )


def test_w6_and_its_measured_cost_are_reported_with_lost_and_duplicated() -> None:
    from bench import cost  # noqa: PLC0415

    w6 = _w6_results()
    priced = {
        name: cost.measured_delivery_cost(w6[name], {}, payload_bytes=130, logical_ids={})
        for name in ("broadcast", "per_recipient")
    }
    # As a results file recorded them before the segment had a target: it renders as it did.
    measured = _w5_measured(priced, {"per_recipient": 0.08, "broadcast": 0.05})
    rendered = _render_w6("2026-12-03", w6, measured)
    assert "a 100,000-device send through the real handlers" in rendered
    assert "**1,000/s**" in rendered
    assert "| 0 / 0 |" in rendered
    assert "target ≤ $0.05" in rendered
    assert "per-recipient floor" in rendered
    # 270 B of egress at $0.09/GB, and 0.0625 RRU at $0.125 per million.
    assert "| Egress | $0.0243 | $0.0243 | $0.0243 | $0.0243 |" in rendered
    assert "| DynamoDB reads | $0.0000 | $0.0000 | $0.0078 | $0.0417 |" in rendered
    assert "| $0.032 | $0.066 |" in rendered


def test_a_segment_phase_is_reported_beside_the_broadcast_with_its_cost_and_nobody_else_reached() -> None:
    from bench import cost  # noqa: PLC0415

    segment = _w6_phase(150_000) | {
        "name": "segment",
        "wall_s": 120.0,
        "notifications_per_s": 1250.0,
        "people": 200_000,
        "recipients": 100_000,
        "segment_devices": 300_000,
        "filter": "customattributes/tier eq 'gold'",
        "seed_s": 240.0,
    }
    segment["check"] |= {"ledger_unexpected": 0, "unexpected": 0}
    w6 = _w6_results(segment=segment)
    phases = {
        name: cost.measured_delivery_cost(w6[name], {}, payload_bytes=130, logical_ids={})
        for name in ("broadcast", "per_recipient", "segment")
    }
    measured = _w5_measured(
        phases,
        {"per_recipient": 0.10, "broadcast": 0.06, "segment": 0.06, "per_recipient_with_placeholders": 0.14},
    )
    rendered = _render_w6("2026-12-06", w6, measured, duration_s=900.0)
    assert "| segment (`customattributes/tier eq 'gold'`, 100,000 of 200,000 people) | 1 | 150,000 | 120.0 s |" in (
        rendered
    )
    assert "**1,250/s**" in rendered
    assert "ledger 150,000 entries (Sent 150,000); 0 others reached |" in rendered
    assert "200,000 directory contacts with 300,000 iOS devices" in rendered
    assert "| term | broadcast | per-recipient | segment | broadcast floor | per-recipient floor |" in rendered
    # The segment's cost sits beside the broadcast's, with the target of a broadcast.
    assert "| Egress | $0.0243 | $0.0243 | $0.0243 | $0.0243 | $0.0243 |" in rendered
    assert (
        "(target ≤ $0.10; ≤ $0.14 with contact placeholders) | **$0.024** (target ≤ $0.06) | $0.032 | $0.066 |"
    ) in rendered
    assert "DynamoDB by function and operation, segment" in rendered
    assert "W6's message has no contact placeholders" in rendered
    assert "no target of its own" not in rendered
    # Issue 28's three targets, each beside what was measured.
    rows = report.cost_target_rows(results(w5={"measured": measured}))
    assert [target for target, _, _ in rows] == [
        "≤ $0.10 per million notifications, per-recipient sends without contact placeholders (W5 measured from W6)",
        "≤ $0.06 per million notifications, a broadcast (W5 measured from W6)",
        "≤ $0.06 per million notifications, a segment send (W5 measured from W6)",
    ]


def test_s3_requests_and_the_ledger_s_objects_are_priced_and_reported_beside_dynamodb() -> None:
    from bench import cost  # noqa: PLC0415

    bucket = "pushgate-local-LedgerBucket"
    broadcast = _w6_phase(100_000) | {
        # 1,000 jobs: 1,010 conditional PUTs (10 found the object), and the ledger read once.
        "meter_by_function": {
            "DeliverPushFunction": {
                "dynamodb": {},
                "sqs": {},
                "s3": {bucket: {"PutObject": s3_figures(1010, 1010, 0, 10)}},
            },
            "SendFanoutFunction": {"dynamodb": {}, "sqs": {}, "s3": {bucket: {"GetObject": s3_figures(1000, 0, 1000)}}},
        },
        "stored": {"items": 1_000, "bytes": 20 * 100_000, "s3_objects": 1_000, "s3_bytes": 60 * 100_000},
    }
    # A deployment without the bucket: no S3 request, no S3 byte.
    per_recipient = _w6_phase(15_000) | {
        "recipients": 10_000,
        "meter_by_function": {"DeliverPushFunction": {"dynamodb": {}, "sqs": {}, "s3": {}}},
        "stored": {"items": 150, "bytes": 64 * 15_000, "s3_objects": 0, "s3_bytes": 0},
    }
    w6 = _w6_results(broadcast=broadcast, per_recipient=per_recipient)
    logical_ids = {"DeliverPushFunction": "deliver_push", "SendFanoutFunction": "send_fanout"}
    phases = {
        name: cost.measured_delivery_cost(w6[name], {}, payload_bytes=130, logical_ids=logical_ids, retention_days=90)
        for name in ("broadcast", "per_recipient")
    }

    rendered = _render_w6("2026-12-08", w6, _w5_measured(phases, {"per_recipient": 0.10, "broadcast": 0.06}))

    # $0.005 per 1,000 PUTs and $0.0004 per 1,000 GETs, over 100,000 notifications, per million.
    s3_requests = (1010 * 0.005 + 1000 * 0.0004) / 1000 / 100_000 * 1e6
    assert f"| S3 requests | ${s3_requests:.4f} | $0.0000 | – | – |" in rendered
    assert f"**${phases['broadcast']['total']:.3f}**" in rendered
    assert phases["broadcast"]["total"] == pytest.approx(
        sum(value for term, value in phases["broadcast"]["lines"].items() if term != "S3 requests") + s3_requests
    )
    # 20 B of items at $0.25 and 60 B of objects at $0.023 per GB-month, 90 days, below the total.
    dynamodb_storage = 20e6 / 2**30 * 90 / 30.44 * 0.25
    s3_storage = 60e6 / 2**30 * 90 / 30.44 * 0.023
    assert f"| DynamoDB storage of the ledger, 90 days | ${dynamodb_storage:.4f} (20 B) | " in rendered
    assert f"| S3 storage of the ledger, 90 days | ${s3_storage:.4f} (60 B) | $0.0000 (0 B) | – | – |" in rendered
    with_storage = phases["broadcast"]["total"] + dynamodb_storage + s3_storage
    assert f"| total with the ledger's storage | ${with_storage:.3f} | " in rendered
    assert "| phase | RRU | WRU | SQS requests | S3 requests | invocations |" in rendered
    assert "| broadcast | 0.0000 | 0.0000 | 0.0000 | 0.0201 |" in rendered  # 2,010 requests a 100,000
    assert (
        "S3 requests per notification: `deliver_push` PutObject 0.0101 (0.0001 answered with an error, billed "
        "too), `send_fanout` GetObject 0.0100."
    ) in rendered
    assert "S3 requests per notification: none." in rendered
    assert "$0.005 per 1,000 PUT, COPY, POST and LIST requests and $0.0004 per 1,000 GET, SELECT" in rendered
    assert "prices their bytes at S3 Standard's $0.023 per GB-month" in rendered


def test_a_phase_priced_before_s3_was_metered_renders_without_it() -> None:
    from bench import cost  # noqa: PLC0415

    phase = cost.measured_delivery_cost(
        _w6_phase(100_000) | {"stored": {"items": 1_000, "bytes": 6_400_000}},
        {},
        payload_bytes=130,
        logical_ids={},
        retention_days=90,
    )
    # As results files recorded it: no S3 term, no S3 figures, no S3 storage.
    phase["lines"].pop("S3 requests")
    phase["per_notification"].pop("s3_requests")
    del phase["s3"]
    phase["storage"] = {key: value for key, value in phase["storage"].items() if not key.startswith("s3_")}
    measured = _w5_measured({"broadcast": phase, "per_recipient": phase}, {"per_recipient": 0.10, "broadcast": 0.06})

    rendered = _render_w6("2026-12-07", _w6_results(), measured)

    assert "| DynamoDB storage of the ledger, 90 days |" in rendered
    assert "S3 storage of the ledger" not in rendered
    assert "S3 requests per notification" not in rendered
    assert "| S3 requests | $" not in rendered
    assert "S3 Standard" not in rendered
    assert "| broadcast | 0.0000 | 0.0000 | 0.0000 | 0.0000 |" in rendered


def test_targets_show_the_node_apn_ratio_at_the_top_limit_and_the_measured_costs() -> None:
    w2 = results()["w2"] | {
        "node-apn": {
            "1": {"rates": [44.0], "cpu_rates": [], "run_queue_shares": []},
            "1000": {"rates": [8000.0], "cpu_rates": [], "run_queue_shares": []},
        }
    }
    measured = {
        "phases": {"per_recipient": {"total": 0.251}, "broadcast": {"total": 0.04}},
        "targets": {"per_recipient": 0.10, "broadcast": 0.06, "segment": 0.06},
    }
    rows = report.target_rows(results(w2=w2, w5={"measured": measured, "delivery": {"total": 0.184}}))

    assert ("pushgate-apns ≥ 1.3× node-apn at in flight 1000", "1.50×", "met") in rows
    assert (
        "≤ $0.10 per million notifications, per-recipient sends (W5 measured from W6)",
        "$0.251",
        "**not met**",
    ) in rows
    assert ("≤ $0.06 per million notifications, a broadcast (W5 measured from W6)", "$0.040", "met") in rows
    assert not any("segment" in target for target, _, _ in rows)  # no segment phase ran
    assert not any("from assumptions" in target for target, _, _ in rows)  # the measured figures replace them


W7 = {
    "devices": 2000,
    "fault_rate": 0.05,
    "latency_ms": 20,
    "queue_workers": 3,
    "no_faults": {
        "completed": True,
        "wall_s": 12.5,
        "platform_done_s": {"android": 12.0, "ios": 12.4},
        "unreceived": {"ios": 0, "android": 0},
        "duplicated": 0,
    },
    "retry_after": {
        "completed": True,
        "wall_s": 21.4,
        "platform_done_s": {"android": 18.2, "ios": 20.9},
        "unreceived": {"ios": 0, "android": 0},
        "duplicated": 0,
        "retry_after_s": 1,
    },
    "mixed_delays": {
        "completed": False,
        "wall_s": 35.0,
        "platform_done_s": {"android": 34.9},
        "unreceived": {"ios": 48, "android": 0},
        "duplicated": 0,
    },
}


def test_the_fault_run_reports_its_completion_time_in_the_whole_report_and_alone() -> None:
    whole = report.render_markdown(results(faults=W7))
    alone = report.render_faults_markdown({**results(), "faults": W7, "command": "python -m bench --faults-only"})
    for text in (whole, alone):
        assert "## W7 — a send under provider faults" in text
        assert "| 5% 503 + `Retry-After: 1` (APNs and FCM) | **21.4 s** | 18.2 s | 20.9 s | 0 | 0 |" in text
        assert "| 5% 500 (APNs: retry after 15 min; FCM: after 10 s) | not waited for | **34.9 s** |" in text
        assert "48 iOS waiting" in text
        assert "| none | 12.5 s | 12.0 s | 12.4 s | 0 | 0 |" in text
    assert "## W7" not in report.render_markdown(results())
