"""The real template served by the dev server: what a user of `make dev` gets, over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

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
