"""The simulator process itself: admin API, free port, and dying with its parent."""

from __future__ import annotations

import os
import select
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from pushgate_local.simulator import RunningSimulator


def test_notifications_filter_by_token_and_stats_count(simulator: RunningSimulator) -> None:
    client = httpx.Client(http2=True, verify=ssl.create_default_context(cafile=str(simulator.ca_path)))
    jwt_shaped = "eyJhbGciOiJFUzI1NiIsImtpZCI6IktFWTEyMzQ1NjcifQ.eyJpc3MiOiJURUFNMTIzNDU2IiwiaWF0IjoxfQ." + "A" * 86
    for device in ("aa", "bb", "aa"):
        client.post(
            f"{simulator.url}/3/device/{device}",
            headers={"apns-topic": "t", "authorization": f"bearer {jwt_shaped}"},
            content=b'{"aps":{}}',
        )
    client.close()
    # The JWT above is years old: the simulator checks iat freshness.
    assert simulator.stats()["by_reason"] == {"ExpiredProviderToken": 3}
    assert simulator.notifications(token="aa") == []


def test_unknown_admin_settings_are_refused(simulator: RunningSimulator) -> None:
    with pytest.raises(Exception, match="unknown setting"):
        simulator.configure(no_such_setting=1)


def test_simulator_exits_when_its_parent_dies(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    script = textwrap.dedent(
        f"""
        import pathlib, sys
        sys.path[:0] = [{str(root)!r}, {str(root / "layers/pushgate/src")!r}]
        from pushgate_local.simulator import start_simulator
        sim = start_simulator(pathlib.Path({str(tmp_path)!r}))
        print(sim.process.pid, flush=True)
        sys.stdin.read()
        """
    )
    parent = subprocess.Popen(  # noqa: S603 - this interpreter running the script above
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    child = os.pidfd_open(child_pid)
    parent.kill()
    parent.wait(10)
    ready, _, _ = select.select([child], [], [], 10)
    os.close(child)
    assert ready, "the simulator outlived its parent"
