"""``python -m pushgate_local dev|demo|invoke``: run the local stack, walk it once and stop, or invoke one
function with an event file as ``sam local invoke`` does (without Docker)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from pushgate_local import local_invoke
from pushgate_local.demo import run_demo
from pushgate_local.runtime import LocalRuntime, RuntimeConfig, StateDirInUseError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _serve(runtime: LocalRuntime) -> int:
    stop = threading.Event()

    def request_stop(signum: int, _: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    settings = runtime.local_settings()
    print("Pushgate local runtime is up (Ctrl-C stops everything):")
    shown = (
        "console_url",
        "api_url",
        "docs_url",
        "openapi_url",
        "dynamodb_url",
        "aws_url",
        "simulator_url",
        "schedules_url",
    )
    for key in shown:
        print(f"  {key:14} {settings[key]}")
    print(f"  {'admin key':14} in {runtime.config.state_dir / 'local.json'}")
    print(f"  {'function logs':14} {settings['log_dir']}")
    if settings["loopback_webhooks"]:
        print(f"  {'webhooks':14} may call loopback addresses (--allow-loopback-webhooks)")
    else:
        print(f"  {'webhooks':14} loopback addresses refused; allow them with --allow-loopback-webhooks")
    stop.wait()
    print("\nstopping...")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["invoke"]:
        return local_invoke.main(arguments[1:], PROJECT_ROOT)
    parser = argparse.ArgumentParser(prog="pushgate_local", description=__doc__)
    parser.add_argument("command", choices=["dev", "demo", "invoke"], help="invoke: see 'invoke --help'")
    parser.add_argument(
        "--allow-loopback-webhooks",
        action="store_true",
        help="let registration webhooks (x-ms-callback-url) call receivers on this machine, over http too",
    )
    args = parser.parse_args(arguments)
    config = RuntimeConfig.from_environment(PROJECT_ROOT)
    config.access_log = args.command == "dev"
    config.allow_loopback_webhooks = args.allow_loopback_webhooks
    if args.command == "demo":
        # The demo is a stack of its own beside `make dev`: its own folder (local.json, clock, logs,
        # certificates) and free ports, so a running dev stack is never touched.
        config = RuntimeConfig(
            project_root=PROJECT_ROOT,
            template_path=config.template_path,
            state_dir=config.state_dir / "demo",
            admin_key=config.admin_key,
        )
    try:
        runtime = LocalRuntime(config).start()
    except StateDirInUseError as error:
        print(f"pushgate_local {args.command}: {error}", file=sys.stderr)
        return 1
    try:
        if args.command == "dev":
            return _serve(runtime)
        report = run_demo(runtime.api_url, config.admin_key, config.state_dir / "local.json")
        print(report.render())
        return 0 if report.passed else 1
    finally:
        runtime.stop()


if __name__ == "__main__":
    sys.exit(main())
