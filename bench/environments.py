"""Bootstraps the benchmark's own environments, so `make bench` works on a fresh clone.

* ``bench/.venv-peers``: the Python peers (``bench/requirements-peers.txt``, pinned).
* ``bench/.venv-tools``: the report's tools, matplotlib and rich (``bench/requirements-bench.txt``).
  Its site-packages is appended to ``sys.path`` of the bench process, after the project's own
  packages, so the project's environment never gains a package and always wins a name clash.
* ``bench/peers-node/node_modules``: the Node peer (``package.json`` + lockfile, ``npm ci``).
* h2load (Debian ``nghttp2-client``): installed with apt-get when running as root, else explained.

Each environment is rebuilt only when its pinned requirements change (a hash in a marker file).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import site
import subprocess
import sys

BENCH_DIR = pathlib.Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
PEERS_VENV = BENCH_DIR / ".venv-peers"
TOOLS_VENV = BENCH_DIR / ".venv-tools"
NODE_PEERS = BENCH_DIR / "peers-node"
H2LOAD_PACKAGE = "nghttp2-client"


class BenchEnvironmentError(RuntimeError):
    """An environment could not be prepared; the message says what to do."""


def _digest(*paths: pathlib.Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(command: list[str], cwd: pathlib.Path | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BenchEnvironmentError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def _uv() -> str:
    uv = pathlib.Path(sys.executable).with_name("uv")
    if uv.exists():
        return str(uv)
    found = shutil.which("uv")
    if not found:
        raise BenchEnvironmentError("uv is needed to build the bench environments: run `make bootstrap` first")
    return found


def python_environment(venv: pathlib.Path, requirements: pathlib.Path) -> pathlib.Path:
    """Creates or refreshes a virtualenv from pinned requirements; returns its python.

    Args:
        venv: Where the environment lives.
        requirements: The pinned requirements file.
    """
    marker = venv / ".synced"
    wanted = _digest(requirements)
    python = venv / "bin" / "python"
    if marker.exists() and marker.read_text() == wanted and python.exists():
        return python
    if not python.exists():
        _run([_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)])
    _run([_uv(), "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements)])
    marker.write_text(wanted)
    return python


def peers_python() -> pathlib.Path:
    """The python of the peers' environment (aioapns, firebase-admin)."""
    return python_environment(PEERS_VENV, BENCH_DIR / "requirements-peers.txt")


def add_tools_to_path() -> None:
    """Makes matplotlib and rich importable, after the project's own packages."""
    python_environment(TOOLS_VENV, BENCH_DIR / "requirements-bench.txt")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = TOOLS_VENV / "lib" / version / "site-packages"
    before = list(sys.path)
    site.addsitedir(str(site_packages))
    # addsitedir appends; keep it that way even if a .pth file tried to prepend.
    sys.path[:] = before + [entry for entry in sys.path if entry not in before]


def node_peers() -> pathlib.Path:
    """Installs the Node peer from its lockfile; returns the driver script."""
    marker = NODE_PEERS / "node_modules" / ".synced"
    wanted = _digest(NODE_PEERS / "package.json", NODE_PEERS / "package-lock.json")
    if not (marker.exists() and marker.read_text() == wanted):
        npm = shutil.which("npm")
        if not npm:
            raise BenchEnvironmentError("npm is needed for the Node peer (@parse/node-apn)")
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_PEERS)
        marker.write_text(wanted)
    return NODE_PEERS / "node_apn_driver.mjs"


def h2load() -> str | None:
    """Returns h2load's path, installing Debian's package when running as root; ``None`` if unavailable."""
    found = shutil.which("h2load")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", H2LOAD_PACKAGE]):
            subprocess.run(command, capture_output=True, check=False, env=environment)  # noqa: S603
    return shutil.which("h2load")
