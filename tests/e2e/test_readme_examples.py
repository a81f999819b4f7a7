"""The README's and docs' shell examples, run exactly as written against a running dev stack.

Every ```bash block of README.md and docs/*.md runs, in document order, in one bash session (so a
variable one block sets, as `API=...` or `APP=...`, is there for the next), from a folder laid out
as a clone where `make dev` runs: `.venv` is the project's, `.pushgate/` the dev stack's state
folder. A block that cannot run here (it starts a stack itself, or needs AWS) is preceded by an
HTML comment `<!-- not run by tests/e2e/test_readme_examples.py: <why> -->`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from pushgate_local.runtime import LocalRuntime

pytestmark = pytest.mark.stack

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent> *)```bash\n(?P<body>.*?)^(?P=indent)```$", re.M | re.S)
NOT_RUN = re.compile(r"<!-- not run by tests/e2e/test_readme_examples\.py: (?P<why>[^>]+?) -->\s*$")


@dataclass(frozen=True)
class Example:
    document: str
    line: int
    script: str
    not_run_because: str


def examples() -> list[Example]:
    """Every bash block of the documents, in order, with why it is not run (empty: it is)."""
    found = []
    for document in DOCUMENTS:
        content = document.read_text(encoding="utf-8")
        for match in FENCE.finditer(content):
            before = content[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            marker = NOT_RUN.search(before)
            indent = len(match.group("indent"))
            script = "\n".join(line[indent:] for line in match.group("body").splitlines())
            line = content.count("\n", 0, match.start()) + 1
            found.append(Example(document.name, line, script, marker.group("why") if marker else ""))
    return found


def test_every_example_is_run_or_says_why_not() -> None:
    found = examples()

    assert any(e.document == "README.md" and "curl" in e.script and not e.not_run_because for e in found)
    assert any(e.document == "README.md" and "pushgate login --local" in e.script for e in found)
    for example in found:
        if example.not_run_because:
            assert len(example.not_run_because.split()) >= 3, example  # a reason, not a bare marker


def test_readme_and_docs_examples_run_as_written(dev_stack: LocalRuntime, tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    (tmp_path / ".pushgate").symlink_to(dev_stack.config.state_dir)
    run = [e for e in examples() if not e.not_run_because]
    # The harness, not the examples: stop at the first failing command, and count an HTTP error
    # answer (the 415 of a body sent as a form, say) as a failure, printing its body.
    script = ["set -euo pipefail", 'curl() { command curl --fail-with-body "$@"; }']
    for example in run:
        # On a line of its own, after output that may not end in one (curl's JSON does not).
        script += [f"printf '\\n### %s\\n' '{example.document}:{example.line}'", example.script]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUSHGATE_")}
    env["PUSHGATE_CONFIG"] = str(tmp_path / "config.json")

    done = subprocess.run(  # noqa: S603 - bash running the documents' own examples
        ["/bin/bash", "-c", "\n".join(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert [line for line in done.stdout.splitlines() if line.startswith("### ")] == [
        f"### {e.document}:{e.line}" for e in run
    ]
    (tmp_path / "transcript.txt").write_text(done.stdout + done.stderr, encoding="utf-8")  # to read on failure
    assert '"Status":"ok"' in done.stdout  # the health check answered
    assert "Completed" in done.stdout
    assert (tmp_path / "insights.png").read_bytes().startswith(b"\x89PNG")
    assert '"Resumed"' in done.stdout


@pytest.mark.parametrize(
    "path",
    ["/admin/v1/orgs", "/api/v1.0/orgs/00000000-0000-4000-8000-000000000000/pushdeviceregistration/devices/status"],
)
def test_curl_d_without_a_content_type_gets_a_415_that_says_what_to_send(dev_stack: LocalRuntime, path: str) -> None:
    # What a newcomer types: curl -d sends Content-Type: application/x-www-form-urlencoded.
    done = subprocess.run(  # noqa: S603
        [  # noqa: S607 - curl from PATH, as the reader runs it
            "curl", "-s", "-X", "POST", f"{dev_stack.api_url}{path}",
            "-H", f"Authorization: Bearer {dev_stack.config.admin_key}", "-d", '{"Name": "Contoso"}',
        ],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip

    error = json.loads(done.stdout)["Error"]
    assert error["Code"] == "UnsupportedMediaType"
    assert [d["Field"] for d in error["Details"]] == ["header.content-type"]
    problem = error["Details"][0]["Problem"]
    assert "application/x-www-form-urlencoded" in problem
    assert "Content-Type: application/json" in problem
    assert "curl" in problem
