"""A bench run's results land on disk before their report is rendered, with the report beside them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bench.run import _publish


def test_the_results_and_their_report_are_written_side_by_side_and_the_report_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    said = io.StringIO()
    output = tmp_path / "results"

    status = _publish(
        output,
        Console(file=said, width=400),
        {"date": "2026-12-06", "faults": {"runs": 3}},
        json_name="2026-12-06-faults.json",
        report_name="faults.md",
        render=lambda results: f"# Faults\n\n{results['faults']['runs']} runs\n",
    )

    assert status == 0
    assert json.loads((output / "2026-12-06-faults.json").read_text()) == {"date": "2026-12-06", "faults": {"runs": 3}}
    assert (output / "faults.md").read_text() == "# Faults\n\n3 runs\n"
    assert said.getvalue().strip() == f"wrote {output / '2026-12-06-faults.json'}, {output / 'faults.md'}"
    assert capsys.readouterr().out == "# Faults\n\n3 runs\n\n"


def test_a_report_that_cannot_be_rendered_leaves_the_results_written(tmp_path: Path) -> None:
    def broken(results: dict[str, Any]) -> str:
        raise KeyError("w6")

    with pytest.raises(KeyError):
        _publish(
            tmp_path, Console(file=io.StringIO()), {"w6": None}, json_name="r.json", report_name="r.md", render=broken
        )

    assert json.loads((tmp_path / "r.json").read_text()) == {"w6": None}
    assert not (tmp_path / "r.md").exists()
