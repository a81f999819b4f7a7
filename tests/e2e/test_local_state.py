"""`make dev` and `make demo` side by side, as a developer runs them in two terminals; and what the
demo walk shows.

The dev stack owns its state folder (``local.json``, the local clock, logs, certificates) while it
runs and removes ``local.json`` when it stops; the demo runs in a folder of its own; the CLI says
"run `make dev`" when ``local.json`` is gone or left behind by a stack that no longer runs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.stack

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PUSHGATE = Path(sys.executable).with_name("pushgate")


def _local(command: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str] | None:
    """``python -m pushgate_local COMMAND`` to its end; ``None`` when it was still running at ``timeout``."""
    try:
        return subprocess.run(  # noqa: S603 - the project's own module
            [sys.executable, "-m", "pushgate_local", command],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None


@dataclass(frozen=True)
class PrintedStep:
    """One step of the walk as `make demo` prints it."""

    title: str
    method: str
    path: str
    summary: str


_STEP = re.compile(r"^(?:ok  |FAIL) +(\d+)\. (.*)$")
_CALL = re.compile(r"^ {9}(\S+) (.*) -> \S+ \(expected \S+\)$")


def printed_steps(printed: str) -> list[PrintedStep]:
    """The steps of the walk report `make demo` printed (title, call and summary lines)."""
    rule = "=" * 72
    walk = printed[printed.index(rule) + len(rule) : printed.rindex(rule)].strip("\n").splitlines()
    steps: list[PrintedStep] = []
    index = 0
    while index < len(walk):
        title = _STEP.match(walk[index])
        call = _CALL.match(walk[index + 1])
        assert title and call, walk[index : index + 2]
        index += 2
        summary: list[str] = []
        while index < len(walk) and not _STEP.match(walk[index]):
            summary.append(walk[index].strip())
            index += 1
        steps.append(PrintedStep(title[2], call[1], call[2], "\n".join(summary)))
    return steps


def check_walk(printed: str) -> None:
    """What the demo walk must have shown: a CLI line per step, the CLI's daily work, the console."""
    steps = printed_steps(printed)
    assert len(steps) >= 8
    cli_part = printed[printed.index("The same steps with the CLI") :]
    numbered = [found.groups() for found in re.finditer(r"^ +(\d+)\. (.+)$", cli_part, re.M)]
    assert [int(number) for number, _ in numbered] == list(range(1, len(steps) + 1))  # one per step
    # Daily work through the CLI itself: the lists, a broadcast and the person page.
    ran = {step.path.split(" --")[0] for step in steps if step.method == "CLI"}
    assert {"pushgate orgs list", "pushgate sends list", "pushgate send"} <= ran
    assert {"pushgate contacts devices", "pushgate contacts links", "pushgate contacts notifications"} <= {
        " ".join(path.split()[:3]) for path in ran
    }
    broadcast = next(step for step in steps if "--broadcast" in step.path)
    assert '"Status": "Completed"' in broadcast.summary, broadcast
    devices = next(step for step in steps if step.path.startswith("pushgate contacts devices"))
    assert "ios Active" in devices.summary and "android" in devices.summary, devices
    notifications = next(step for step in steps if step.path.startswith("pushgate contacts notifications"))
    assert "Sent" in notifications.summary, notifications
    commands = [command for _, command in numbered]
    assert 'pushgate orgs create "Contoso Mobile" --use' in commands
    # Each send over HTTP has its `pushgate send` equivalent; the walk's own CLI broadcast is one more.
    assert sum(command.startswith("pushgate send ") for command in commands) == sum(
        step.method == "POST" and step.path.endswith("/sends") for step in steps
    ) + sum(step.method == "CLI" and step.path.startswith("pushgate send ") for step in steps)
    assert all(c.startswith(("pushgate ", "curl ", "(")) for c in commands)
    assert "sign in with the admin_key of .pushgate/local.json." in printed
    assert "/console/" in cli_part
    summaries = {step.title: step.summary for step in steps}
    landed = summaries["...each recipient got it at 09:00 their time (the ledger's At, in their zone)"]
    assert landed.count("09:00 local (Sent)") == 2, landed
    capped = summaries["A second notification to Lena the same day: the cap of 1 a day holds it back"]
    assert "{'CappedFrequency': 1}" in capped, capped


def _cli(config_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PUSHGATE_CONFIG": str(config_file)}
    return subprocess.run(  # noqa: S603 - the project's own installed script
        [str(PUSHGATE), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_demo_beside_a_running_dev_leaves_it_untouched_and_dev_cleans_up(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUSHGATE_")}
    env["PUSHGATE_STATE_DIR"] = str(state)
    config_file = tmp_path / "config.json"
    dev = subprocess.Popen(
        [sys.executable, "-m", "pushgate_local", "dev"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local_json = state / "local.json"
        deadline = time.monotonic() + 120
        while not local_json.exists() and time.monotonic() < deadline and dev.poll() is None:
            time.sleep(0.2)
        written = local_json.read_text(encoding="utf-8")
        settings = json.loads(written)
        assert _cli(config_file, "login", "--local", "--local-json", str(local_json)).returncode == 0

        # A second `make dev` on the same folder refuses at once and changes nothing.
        second = _local("dev", env, timeout=90)
        assert second is not None, "a second dev stack started on the same state folder"
        assert second.returncode == 1
        assert "another local stack is running" in second.stderr
        assert local_json.read_text(encoding="utf-8") == written

        # `make demo` meanwhile: it walks its own stack, in its own folder, and passes.
        demo = _local("demo", env, timeout=900)
        assert demo is not None
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
        assert "steps answered as expected" in demo.stdout
        check_walk(demo.stdout)

        # The dev stack is untouched: same local.json, its clock never moved, the CLI still reaches it.
        assert local_json.read_text(encoding="utf-8") == written
        assert json.loads((state / "clock.json").read_text(encoding="utf-8"))["offset_seconds"] == 0
        clock = httpx.get(
            f"{settings['api_url']}/_local/clock", headers={"Authorization": f"Bearer {settings['admin_key']}"}
        )
        assert clock.json()["OffsetSeconds"] == 0
        created = _cli(config_file, "orgs", "create", "After the demo", "--json")
        assert created.returncode == 0, created.stderr
        assert not (state / "demo" / "local.json").exists()  # the demo's stack stopped and cleaned up

        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=60) == 0
    finally:
        if dev.poll() is None:
            dev.kill()
            dev.wait()

    # Stopped: local.json is gone, and the CLI says to start the stack.
    assert not local_json.exists()
    gone = _cli(config_file, "orgs", "get", "--org", json.loads(created.stdout)["OrgId"])
    assert gone.returncode == 3
    assert "run `make dev`" in gone.stderr

    # A local.json left behind by a stack that was killed names ports nothing listens on.
    local_json.write_text(written, encoding="utf-8")
    stale = _cli(config_file, "orgs", "get", "--org", json.loads(created.stdout)["OrgId"])
    assert stale.returncode == 3
    assert "no longer running: run `make dev`" in stale.stderr
