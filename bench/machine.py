"""What the benchmark ran on: CPU model, cores, memory, OS, Python, Node and the tools' versions."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        with open("/etc/os-release") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"') + f" (Linux {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def _version(command: list[str]) -> str | None:
    if not shutil.which(command[0]):
        return None
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    output = (result.stdout or result.stderr).strip().splitlines()
    return output[0] if output else None


#: A fixed pure-Python loop whose time says how fast this machine's core was when the run started.
_CALIBRATION = (
    "import time\nt = time.perf_counter()\ns = 0\nfor i in range(5_000_000):\n    s += i\n"
    "print((time.perf_counter() - t) * 1000)"
)


def calibration_ms(runs: int = 3) -> float:
    """The fastest of ``runs`` fresh interpreters counting to five million (ms).

    Shared and burstable hosts change speed from hour to hour; two reports' absolute milliseconds
    compare only when their calibrations agree (ratios and before/after measured in one run always do).
    """
    times = []
    for _ in range(runs):
        result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-I", "-S", "-c", _CALIBRATION], capture_output=True, text=True, check=True, timeout=60
        )
        times.append(float(result.stdout.strip()))
    return min(times)


def describe_machine() -> dict[str, object]:
    """Returns the machine description the report prints."""
    return {
        "calibration_ms": round(calibration_ms()),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": _os_name(),
        "architecture": platform.machine(),
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        # Read again once the bench has prepared its tools (it installs h2load when missing).
        "h2load": _version(["h2load", "--version"]),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }
