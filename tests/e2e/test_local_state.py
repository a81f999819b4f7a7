"""`make dev` and `make demo` side by side, as a developer runs them in two terminals.

The dev stack owns its state folder (``local.json``, the local clock, logs, certificates) while it
runs and removes ``local.json`` when it stops; the demo runs in a folder of its own; the CLI says
"run `make dev`" when ``local.json`` is gone or left behind by a stack that no longer runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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
