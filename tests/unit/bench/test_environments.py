"""What the bench's preparation records about the tools it finds or installs."""

from __future__ import annotations

import hashlib
import pathlib
import subprocess
from typing import Any

import pytest

from bench import environments


class FakeSystem:
    """``shutil.which`` and ``subprocess.run`` of a Debian machine where apt-get can install h2load."""

    def __init__(self, *, h2load_present: bool) -> None:
        self.h2load_present = h2load_present
        self.commands: list[list[str]] = []

    def which(self, name: str) -> str | None:
        if name == "h2load":
            return "/usr/bin/h2load" if self.h2load_present else None
        return f"/usr/bin/{name}" if name in {"apt-get", "dpkg-query"} else None

    def run(self, command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        if command[-1] == environments.H2LOAD_PACKAGE and "install" in command:
            self.h2load_present = True
        if command[0].endswith("dpkg-query"):
            return subprocess.CompletedProcess(command, 0, stdout="1.52.0-1+deb12u3", stderr="")
        if command[0].endswith("h2load"):
            return subprocess.CompletedProcess(command, 0, stdout="h2load nghttp2/1.52.0\n", stderr="")
        return subprocess.CompletedProcess(command, 0, stdout="", stderr="")


@pytest.fixture
def system(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> FakeSystem:
    fake = FakeSystem(h2load_present=request.param)
    monkeypatch.setattr(environments.shutil, "which", fake.which)
    monkeypatch.setattr(environments.subprocess, "run", fake.run)
    monkeypatch.setattr(environments.os, "geteuid", lambda: 0)
    return fake


@pytest.mark.parametrize("system", [False], indirect=True)
def test_h2load_installed_by_the_bench_is_recorded_with_its_package(system: FakeSystem) -> None:
    log: list[environments.Preparation] = []

    assert environments.h2load(log) == "/usr/bin/h2load"

    assert ["/usr/bin/apt-get", "install", "-y", "-qq", "nghttp2-client"] in system.commands
    assert log == [
        environments.Preparation(
            "h2load nghttp2/1.52.0",
            "from Debian's nghttp2-client 1.52.0-1+deb12u3 (apt-get install)",
            installed=True,
        )
    ]


@pytest.mark.parametrize("system", [True], indirect=True)
def test_h2load_already_installed_is_recorded_as_found(system: FakeSystem) -> None:
    log: list[environments.Preparation] = []

    environments.h2load(log)

    assert not any("apt-get" in command[0] for command in system.commands)
    assert log == [
        environments.Preparation(
            "h2load nghttp2/1.52.0", "from Debian's nghttp2-client 1.52.0-1+deb12u3", installed=False
        )
    ]


def test_python_environment_in_place_is_recorded_with_its_direct_pins(tmp_path: pathlib.Path) -> None:
    requirements = tmp_path / "requirements-peers.txt"
    requirements.write_text("aioapns==4.0\n    # via -r requirements-peers.in\nh2==4.3.0\nfirebase-admin==7.7.0\n")
    (tmp_path / "requirements-peers.in").write_text("# peers\naioapns==4.0\nfirebase-admin\n")
    venv = tmp_path / ".venv-peers"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (venv / ".synced").write_text(hashlib.sha256(requirements.read_bytes()).hexdigest())
    log: list[environments.Preparation] = []

    assert environments.python_environment(venv, requirements, log) == venv / "bin" / "python"

    assert log == [
        environments.Preparation(
            "aioapns 4.0, firebase-admin 7.7.0",
            f"in {venv} (built by an earlier run from requirements-peers.txt)",
            installed=False,
        )
    ]
