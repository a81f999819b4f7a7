# ruff: noqa: RUF001 - the report typesets ranges with en dashes
"""W3's import profile and report section, from made-up ``-X importtime`` output and results."""

from __future__ import annotations

from bench import report
from bench.import_profile import direct_imports, parse_importtime, self_time_by_package, summarize

IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 | _io
import time:      2000 |       2000 |       botocore.compat
import time:      3000 |       5000 |     botocore.session
import time:      1000 |       6000 |   pushgate.deps
import time:      4000 |       4000 |     pydantic.main
import time:       500 |       4500 |   pushgate.api.resolver
import time:       200 |      10700 | app
import time:       300 |        300 | aws_lambda_powertools.event_handler.middlewares.openapi_validation
"""


def test_importtime_lines_are_read_with_their_depth() -> None:
    lines = parse_importtime(IMPORTTIME)
    assert [(line.name, line.depth) for line in lines][:4] == [
        ("_io", 0),
        ("botocore.compat", 3),
        ("botocore.session", 2),
        ("pushgate.deps", 1),
    ]
    assert lines[3].self_us == 1000
    assert lines[3].cumulative_us == 6000


def test_self_time_is_summed_by_package_and_pushgate_by_subpackage() -> None:
    totals = self_time_by_package(parse_importtime(IMPORTTIME))
    assert totals["botocore"] == 5.0
    assert totals["pushgate.deps"] == 1.0
    assert totals["pushgate.api"] == 0.5


def test_direct_imports_are_those_of_app_itself() -> None:
    imports = direct_imports(parse_importtime(IMPORTTIME))
    assert imports == {"pushgate.deps": 6.0, "pushgate.api.resolver": 4.5}


def test_summary_takes_medians_over_runs() -> None:
    slower = IMPORTTIME.replace("3000 |       5000 |     botocore.session", "9000 |      11000 |     botocore.session")
    summary = summarize([IMPORTTIME, IMPORTTIME, slower])
    assert summary["packages"]["botocore"] == 5.0


def _w3(import_ms: list[float], accepted_ms: list[float]) -> dict[str, object]:
    profile = summarize([IMPORTTIME])
    return {
        "functions": {
            "health": {
                "import_ms": import_ms,
                "first_invoke_ms": [1.0],
                "process_ms": [300.0],
                "watched_modules": [],
                "profile": profile,
            }
        },
        "first_notification": {
            "process_to_accepted_ms": accepted_ms,
            "process_to_handled_ms": accepted_ms,
            "import_ms": [200.0],
            "first_record_ms": [100.0],
        },
    }


def test_cold_start_section_shows_before_and_after_and_the_profile() -> None:
    w3 = _w3([210.0, 220.0, 230.0], [240.0]) | {
        "processes": 3,
        "baseline": {"commit": "abc1234", "processes": 3, "functions": _w3([500.0], [600.0])["functions"]},
    }
    section = report.render_cold_start({"w3": w3})
    assert "| `functions/health` | 500 | – | 220 (210–230) |" in section
    assert "botocore 5" in section
    assert "| every function's import and init ≤ 300 ms (built layer) | slowest health: 220 ms | met |" in section
    assert "first accepted notification ≤ 250 ms from process start | 240 ms (deliver_push) | met |" in section


def test_cold_start_targets_not_met_are_marked() -> None:
    rows = report.cold_start_target_rows({"w3": _w3([310.0], [400.0])})
    assert [verdict for _, _, verdict in rows] == ["**not met**", "**not met**"]


def test_the_library_floor_is_shown_beside_the_first_notification() -> None:
    floor = {
        "modules": ["botocore.client", "pydantic"],
        "import_ms": [150.0, 160.0, 170.0],
        "import_cpu_ms": [149.0, 159.0, 169.0],
        "process_to_imported_ms": [170.0, 180.0, 190.0],
    }
    results = {"w3": _w3([210.0], [400.0]) | {"library_floor": floor}}

    section = report.render_cold_start(results)

    assert "(`botocore.client`, `pydantic`; no Pushgate module), take **160 (150–170) ms**" in section
    assert "**180 (170–190) ms** from process start" in section
    assert "| 400 ms (deliver_push); its libraries alone 180 ms | **not met** |" in section


def test_the_import_with_tracing_on_is_shown_beside_the_untraced_one() -> None:
    w3 = _w3([210.0], [400.0])
    w3["functions"]["deliver_push"] = w3["functions"]["health"]
    w3["traced_import"] = {
        "function": "deliver_push",
        "import_ms": [300.0, 310.0, 320.0],
        "import_cpu_ms": [299.0, 309.0, 319.0],
    }

    section = report.render_cold_start({"w3": w3})

    assert (
        "`functions/deliver_push` imports and inits in **310 (300–320) ms** (309 (299–319) ms of CPU) instead of 210 ms"
        in section
    )
