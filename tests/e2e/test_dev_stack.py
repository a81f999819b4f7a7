"""The real template served by the dev server: what a user of `make dev` gets, over HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pushgate_local.demo import run_demo
from pushgate_local.runtime import LocalRuntime
from tests.e2e.conftest import ADMIN_KEY

pytestmark = pytest.mark.stack

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_health_is_public(dev_stack: LocalRuntime) -> None:
    response = httpx.get(f"{dev_stack.api_url}/health")

    assert response.status_code == 200
    assert response.json()["Status"] == "ok"


def test_org_round_trip(admin: httpx.Client) -> None:
    created = admin.post("/admin/v1/orgs", json={"Name": "Contoso"})
    assert created.status_code == 201
    org_id = created.json()["OrgId"]

    fetched = admin.get(f"/admin/v1/orgs/{org_id}")

    assert fetched.status_code == 200
    assert fetched.json() == created.json()


@pytest.mark.parametrize(
    ("content", "field"),
    [(b"{}", "Name"), (b'{"Name": 1}', "Name"), (b'{"Name": "a", "x": 1}', "x"), (b'{"Name": ', "body"), (b"", "body")],
)
def test_bad_org_input_is_400_naming_the_field(admin: httpx.Client, content: bytes, field: str) -> None:
    response = admin.post("/admin/v1/orgs", content=content, headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert field in [detail["Field"] for detail in response.json()["Error"]["Details"]]


def test_unknown_and_malformed_org_ids(admin: httpx.Client) -> None:
    assert admin.get("/admin/v1/orgs/6f1c1c53-4a51-4a8e-9d53-0a5b7a0c2f11").status_code == 404
    assert admin.get("/admin/v1/orgs/nope").json()["Error"]["Details"][0]["Field"] == "OrgId"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-the-key"}, {"Authorization": ADMIN_KEY}])
def test_operator_routes_refuse_without_the_admin_key(dev_stack: LocalRuntime, headers: dict[str, str]) -> None:
    response = httpx.post(f"{dev_stack.api_url}/admin/v1/orgs", json={"Name": "x"}, headers=headers)

    assert response.status_code == 401
    assert response.json()["Error"]["Code"] == "Unauthorized"


def test_demo_walk_passes(dev_stack: LocalRuntime) -> None:
    try:
        report = run_demo(dev_stack.api_url, ADMIN_KEY, dev_stack.config.state_dir / "local.json")
    finally:
        dev_stack.reset_clock()  # the timing walk moves the local clock forward

    assert report.passed, report.render()
    assert len(report.steps) >= 8
    rendered = report.render()
    cli_part = rendered[rendered.index("The same steps with the CLI") :]
    numbered = [found.groups() for found in re.finditer(r"^ +(\d+)\. (.+)$", cli_part, re.M)]
    assert [int(number) for number, _ in numbered] == list(range(1, len(report.steps) + 1))  # one per step
    # Daily work through the CLI itself: the lists, a broadcast and the person page.
    ran = {step.path.split(" --")[0] for step in report.steps if step.method == "CLI"}
    assert {"pushgate orgs list", "pushgate sends list", "pushgate send"} <= ran
    assert {"pushgate contacts devices", "pushgate contacts links", "pushgate contacts notifications"} <= {
        " ".join(path.split()[:3]) for path in ran
    }
    broadcast = next(step for step in report.steps if "--broadcast" in step.path)
    assert '"Status": "Completed"' in broadcast.summary, broadcast
    devices = next(step for step in report.steps if step.path.startswith("pushgate contacts devices"))
    assert "ios Active" in devices.summary and "android" in devices.summary, devices
    notifications = next(step for step in report.steps if step.path.startswith("pushgate contacts notifications"))
    assert "Sent" in notifications.summary, notifications
    commands = [command for _, command in numbered]
    assert 'pushgate orgs create "Contoso Mobile" --use' in commands
    # Each send over HTTP has its `pushgate send` equivalent; the walk's own CLI broadcast is one more.
    assert sum(command.startswith("pushgate send ") for command in commands) == sum(
        step.method == "POST" and step.path.endswith("/sends") for step in report.steps
    ) + sum(step.method == "CLI" and step.path.startswith("pushgate send ") for step in report.steps)
    assert all(c.startswith(("pushgate ", "curl ", "(")) for c in commands)
    assert rendered.rstrip().endswith("sign in with the admin_key of .pushgate/local.json.")
    assert "/console/" in cli_part
    summaries = {step.title: step.summary for step in report.steps}
    landed = summaries["...each recipient got it at 09:00 their time (the ledger's At, in their zone)"]
    assert landed.count("09:00 local (Sent)") == 2, landed
    capped = summaries["A second notification to Lena the same day: the cap of 1 a day holds it back"]
    assert "{'CappedFrequency': 1}" in capped, capped


def _port_open(url: str) -> bool:
    host, port = url.split("://", 1)[1].split(":")
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, int(port))) == 0


def test_make_dev_writes_local_json_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    # Given `python -m pushgate_local dev` (what `make dev` runs) with its own state folder
    environment = {**os.environ, "PUSHGATE_STATE_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pushgate_local", "dev"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        local_json = tmp_path / "local.json"
        deadline = time.monotonic() + 90
        while not local_json.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        settings = json.loads(local_json.read_text())
        assert {"api_url", "admin_key", "dynamodb_url", "aws_url", "simulator_url"} <= settings.keys()
        assert httpx.get(f"{settings['api_url']}/health", timeout=30).status_code == 200

        # When the developer presses Ctrl-C
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)

        # Then it exits cleanly and nothing listens any more
        assert process.returncode == 0
        for key in ("api_url", "dynamodb_url", "aws_url", "simulator_url"):
            assert not _port_open(settings[key]), key
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
