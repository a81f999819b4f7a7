"""W6 on a small population, the same code as ``make bench-w6``: a broadcast, per-recipient sends
and a segment send through the real handlers, checked against the simulator and the ledger, then
priced (W5) and reported.

The run happens in a process of its own: W6 installs its meters into botocore for the whole
process, which the other tests must not inherit.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pushgate.services.sends.segment_sends import SEGMENT_PAGE_PEOPLE

pytestmark = pytest.mark.stack

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# 4,300 people: two pages of the audience worker (3,800 and 500). Gold comes in pairs (numbers 0, 1
# of every 4), the first of a pair with 2 devices, the second with 1.
PEOPLE = SEGMENT_PAGE_PEOPLE + 500
PAGES = math.ceil(PEOPLE / SEGMENT_PAGE_PEOPLE)
GOLD_PEOPLE = PEOPLE // 2
GOLD_DEVICES = GOLD_PEOPLE * 3 // 2

DRIVER = textwrap.dedent(
    """
    import io, json, pathlib, sys, time
    from rich.console import Console
    from bench import run, w6
    from bench.machine import describe_machine
    from bench.report import render_w6_markdown

    started = time.time()
    state, people = pathlib.Path(sys.argv[1]), int(sys.argv[2])
    figures = w6.run_w6(200, 20, state, Console(file=io.StringIO()), segment_people=people)
    results = {
        "date": "today", "command": "test", "machine": describe_machine(), "w6": figures,
        "w5": {"measured": run.run_measured_cost(figures)}, "duration_s": time.time() - started,
    }
    print(json.dumps(results | {"report": render_w6_markdown(results)}))
    """
)


def test_a_segment_send_reaches_exactly_the_matching_people_and_is_priced_beside_the_broadcast(
    tmp_path: Path,
) -> None:
    completed = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", DRIVER, str(tmp_path), str(PEOPLE)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    results = json.loads(completed.stdout)
    w6 = results["w6"]

    segment = w6["segment"]
    assert (segment["people"], segment["recipients"], segment["segment_devices"]) == (
        PEOPLE,
        GOLD_PEOPLE,
        PEOPLE * 3 // 2,
    )
    assert segment["notifications"] == GOLD_DEVICES
    check = segment["check"]
    # Every gold device once, by the simulator and by the ledger; no silver device in either.
    assert check["simulator_received"] == GOLD_DEVICES
    assert check["ledger_outcomes"] == {"Sent": GOLD_DEVICES}
    assert (check["lost"], check["duplicated"], check["unexpected"]) == (0, 0, 0)
    assert check["simulator_unexpected"] == check["ledger_unexpected"] == 0
    # The audience worker read the pages of people (and the send's record is complete only after).
    assert segment["invocations"]["ExpandAudienceFunction"]["invocations"] >= PAGES >= 2
    people_pages = segment["meter_by_function"]["ExpandAudienceFunction"]["dynamodb"]
    assert any(operations.get("Query", {}).get("read_units", 0) > 0 for operations in people_pages.values())

    # The other phases are the same as without the segment: its org is apart from the broadcast's.
    assert w6["broadcast"]["notifications"] == 200
    assert w6["broadcast"]["check"]["simulator_received"] == 200
    for phase in ("broadcast", "per_recipient", "personal"):
        figures = w6[phase]["check"]
        assert (figures["lost"], figures["duplicated"], figures["unexpected"]) == (0, 0, 0)

    priced = results["w5"]["measured"]["phases"]
    assert set(priced) == {"broadcast", "per_recipient", "personal", "segment"}
    # The personal message renders from the devices' copy of each record: it reads what the plain one does.
    plain_reads = priced["per_recipient"]["per_notification"]["rru"]
    assert priced["personal"]["per_notification"]["rru"] == pytest.approx(plain_reads, rel=0.05)
    assert priced["segment"]["per_notification"]["rru"] > 0
    assert priced["segment"]["total"] > priced["segment"]["lines"]["Egress"] > 0
    # What the ledger leaves stored for its retention, measured item by item and priced apart.
    for phase in ("broadcast", "per_recipient", "personal", "segment"):
        stored = w6[phase]["stored"]
        # In the table at least the send record, one claim and one tracking-key item; in the bucket
        # each job's outcomes.
        assert stored["items"] >= 3
        assert stored["s3_objects"] >= 1
        storage = priced[phase]["storage"]
        assert storage["retention_days"] == 90
        # Each notification's outcome (user id, token hash, tracking id half) is in the bucket; the
        # claims, send record and tracking keys stay in the table.
        assert 35 < storage["s3_bytes_per_notification"] < 200
        assert 0 < storage["bytes_per_notification"] < 2000
        assert storage["s3_usd_per_m"] > 0 < storage["usd_per_m"]
    report = results["report"]
    assert "| DynamoDB storage of the ledger, 90 days | $" in report
    assert "| total with the ledger's storage | $" in report
    assert (
        f"| segment (`customattributes/tier eq 'gold'`, {GOLD_PEOPLE:,} of {PEOPLE:,} people) | 1 | {GOLD_DEVICES:,} |"
    ) in report
    assert "| term | broadcast | per-recipient | personal | segment | broadcast floor | per-recipient floor |" in report
    # Issue 28's targets: per-recipient without contact placeholders, the personal phase with them,
    # broadcast and segment.
    assert "(target ≤ $0.10; ≤ $0.14 with contact placeholders)" in report
    assert report.count("(target ≤ $0.14)") == 1
    assert report.count("(target ≤ $0.06)") == 2
