"""Runs the provider simulator in the foreground: ``python -m pushgate_local.simulator --help``."""

from __future__ import annotations

import argparse
import pathlib
import signal
import sys

from pushgate_local.simulator.runner import start_simulator


def main(argv: list[str] | None = None) -> int:
    """Starts the simulator, prints how to point clients at it, and waits for Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m pushgate_local.simulator", description=__doc__)
    parser.add_argument("--state-dir", type=pathlib.Path, default=pathlib.Path(".pushgate/simulator"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--strict", action="store_true", help="reject JWTs and assertions from unregistered keys")
    args = parser.parse_args(argv)
    simulator = start_simulator(
        args.state_dir, host=args.host, port=args.port, latency_ms=args.latency_ms, strict=args.strict
    )
    print(f"provider simulator listening on {simulator.url} (pid {simulator.process.pid})")
    for name, value in simulator.provider_environment().items():
        print(f"export {name}={value}")
    print(
        "admin: GET /sim/notifications, GET /sim/validated, GET /sim/violations, GET /sim/screen, GET /sim/stats,"
        " POST /sim/config, POST /sim/keys, POST /sim/reset"
    )
    sys.stdout.flush()
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    sys.exit(main())
