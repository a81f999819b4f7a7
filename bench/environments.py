"""Bootstraps the benchmark's own environments, so `make bench` works on a fresh clone.

* ``bench/.venv-peers``: the Python peers (``bench/requirements-peers.txt``, pinned).
* ``bench/.venv-tools``: the report's tools, matplotlib and rich (``bench/requirements-bench.txt``).
  Its site-packages is appended to ``sys.path`` of the bench process, after the project's own
  packages, so the project's environment never gains a package and always wins a name clash.
* ``bench/peers-node/node_modules``: the Node peer (``package.json`` + lockfile, ``npm ci``).
* h2load (Debian ``nghttp2-client``): installed with apt-get when running as root, else explained.

Each environment is rebuilt only when its pinned requirements change (a hash in a marker file).
Each step appends a :class:`Preparation` to the list it is given, saying what it found or installed,
so the report can tell what this run put on the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass

BENCH_DIR = pathlib.Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
PEERS_VENV = BENCH_DIR / ".venv-peers"
TOOLS_VENV = BENCH_DIR / ".venv-tools"
NODE_PEERS = BENCH_DIR / "peers-node"
H2LOAD_PACKAGE = "nghttp2-client"


class BenchEnvironmentError(RuntimeError):
    """An environment could not be prepared; the message says what to do."""


@dataclass(frozen=True)
class Preparation:
    """What one preparation step found or did.

    Attributes:
        what: The tool or environment and its version, e.g. ``h2load nghttp2/1.52.0``.
        source: Where it comes from, read after ``what``: ``from Debian's nghttp2-client
            1.52.0-1+deb12u3 (apt-get install)``, ``in bench/.venv-peers (uv pip install from
            requirements-peers.txt)``.
        installed: The bench installed it during this run (rather than finding it in place).
    """

    what: str
    source: str
    installed: bool


def _pinned(requirements: pathlib.Path, names: list[str]) -> str:
    """``name version`` of each direct requirement, read from the pinned file."""
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", requirements.read_text(), flags=re.MULTILINE))
    return ", ".join(f"{name} {pins.get(name, '?')}" for name in names)


def _direct_requirements(source: pathlib.Path) -> list[str]:
    """The package names a ``.in`` file asks for."""
    names = []
    for line in source.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            names.append(re.split(r"[=<>~!\[; ]", requirement, maxsplit=1)[0])
    return names


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


def python_environment(
    venv: pathlib.Path, requirements: pathlib.Path, log: list[Preparation] | None = None
) -> pathlib.Path:
    """Creates or refreshes a virtualenv from pinned requirements; returns its python.

    Args:
        venv: Where the environment lives.
        requirements: The pinned requirements file (its ``.in`` beside it names the direct ones).
        log: Receives what was found or installed.
    """
    marker = venv / ".synced"
    wanted = _digest(requirements)
    python = venv / "bin" / "python"
    fresh = not (marker.exists() and marker.read_text() == wanted and python.exists())
    if fresh:
        if not python.exists():
            _run([_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)])
        _run([_uv(), "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements)])
        marker.write_text(wanted)
    if log is not None:
        names = _direct_requirements(requirements.with_suffix(".in"))
        where = venv.relative_to(PROJECT_ROOT) if venv.is_relative_to(PROJECT_ROOT) else venv
        how = "uv pip install" if fresh else "built by an earlier run"
        log.append(Preparation(_pinned(requirements, names), f"in {where} ({how} from {requirements.name})", fresh))
    return python


def peers_python(log: list[Preparation] | None = None) -> pathlib.Path:
    """The python of the peers' environment (aioapns, firebase-admin)."""
    return python_environment(PEERS_VENV, BENCH_DIR / "requirements-peers.txt", log)


def add_tools_to_path(log: list[Preparation] | None = None) -> None:
    """Makes matplotlib and rich importable, after the project's own packages."""
    python_environment(TOOLS_VENV, BENCH_DIR / "requirements-bench.txt", log)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = TOOLS_VENV / "lib" / version / "site-packages"
    before = list(sys.path)
    site.addsitedir(str(site_packages))
    # addsitedir appends; keep it that way even if a .pth file tried to prepend.
    sys.path[:] = before + [entry for entry in sys.path if entry not in before]


def node_peers(log: list[Preparation] | None = None) -> pathlib.Path:
    """Installs the Node peer from its lockfile; returns the driver script."""
    marker = NODE_PEERS / "node_modules" / ".synced"
    wanted = _digest(NODE_PEERS / "package.json", NODE_PEERS / "package-lock.json")
    fresh = not (marker.exists() and marker.read_text() == wanted)
    if fresh:
        npm = shutil.which("npm")
        if not npm:
            raise BenchEnvironmentError("npm is needed for the Node peer (@parse/node-apn)")
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_PEERS)
        marker.write_text(wanted)
    if log is not None:
        packages = json.loads((NODE_PEERS / "package-lock.json").read_text()).get("packages", {})
        names = json.loads((NODE_PEERS / "package.json").read_text()).get("dependencies", {})
        what = ", ".join(f"{name} {packages.get(f'node_modules/{name}', {}).get('version', '?')}" for name in names)
        how = "npm ci" if fresh else "installed by an earlier run"
        log.append(Preparation(what, f"in bench/peers-node/node_modules ({how} from package-lock.json)", fresh))
    return NODE_PEERS / "node_apn_driver.mjs"


def _debian_package_version(package: str) -> str | None:
    dpkg_query = shutil.which("dpkg-query")
    if not dpkg_query:
        return None
    result = subprocess.run(  # noqa: S603 - a fixed query
        [dpkg_query, "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def h2load_version() -> str | None:
    """``h2load --version``'s first line (``h2load nghttp2/1.52.0``), or ``None`` when it is missing."""
    if not shutil.which("h2load"):
        return None
    result = subprocess.run(["h2load", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if lines else "h2load"


def h2load(log: list[Preparation] | None = None) -> str | None:
    """Returns h2load's path, installing Debian's package when running as root; ``None`` if unavailable."""
    found = shutil.which("h2load")
    installed = False
    if not found:
        apt = shutil.which("apt-get")
        if apt and os.geteuid() == 0:
            environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            for command in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", H2LOAD_PACKAGE]):
                subprocess.run(command, capture_output=True, check=False, env=environment)  # noqa: S603
        found = shutil.which("h2load")
        installed = found is not None
    if log is not None and found:
        package = _debian_package_version(H2LOAD_PACKAGE)
        debian = f"from Debian's {H2LOAD_PACKAGE} {package or ''}".rstrip()
        if installed:
            source = f"{debian} (apt-get install)"
        elif package:
            source = debian
        else:
            source = f"at {found}"
        log.append(Preparation(h2load_version() or "h2load", source, installed))
    return found
