"""``python -m pushgate_local invoke <LogicalId> -e events/<function>/<file>.json``: ``sam local invoke``
without Docker.

The flags and the output are ``sam local invoke``'s: ``-e/--event`` (a file, or ``-`` for stdin;
without it the event is ``{}``; a relative path missing here is looked up in the project, so
``events/...`` works from any directory), ``--env-vars`` (``{"<LogicalId>": {"NAME": "value"}, "Parameters":
{...}}``), the handler's result as JSON on stdout, its logs on stderr; the exit status is 1 when
the handler raised or timed out. The handler runs in a fresh execution environment with the
template's environment, resolved against the local stack: the running ``make dev`` when there is
one (its ``local.json`` in ``$PUSHGATE_STATE_DIR``, the project's ``.pushgate/`` or ``./.pushgate``
answers), so events act on the data you see there;
otherwise a stack started for the call in a temporary state directory (a ``make dev`` started
later is not touched) and stopped after it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from pushgate_local.runtime import LocalRuntime, RuntimeConfig
from pushgate_local.template import read_stack

#: How long the running dev server may take to answer (a function's timeout is up to 900 s).
_INVOKE_TIMEOUT_S = 960.0


def _read_json(source: str, what: str, project_root: Path | None = None) -> Any:
    path = Path(source)
    if project_root is not None and not path.is_absolute() and not path.exists():
        # ``events/...`` names the project's sample events wherever the command runs from.
        path = project_root / path
    try:
        text = sys.stdin.read() if source == "-" else path.read_text(encoding="utf-8")
        return json.loads(text)
    except (OSError, ValueError) as error:
        raise SystemExit(f"invoke: cannot read {what} {source}: {error}") from None


def environment_overrides(env_vars: Any, logical_id: str) -> dict[str, str]:
    """The variables an ``--env-vars`` file sets for one function (``Parameters`` for all, then its own)."""
    if not isinstance(env_vars, dict):
        raise SystemExit('invoke: --env-vars must be a JSON object like {"MyFunction": {"NAME": "value"}}')
    overrides: dict[str, str] = {}
    for section in ("Parameters", logical_id):
        values = env_vars.get(section) or {}
        if not isinstance(values, dict):
            raise SystemExit(f"invoke: --env-vars {section} must be an object of NAME: value")
        overrides.update({str(name): "" if value is None else str(value) for name, value in values.items()})
    return overrides


def _running_stack(state_dir: Path) -> tuple[str, str] | None:
    """The API URL and admin key of a running ``make dev`` in this state directory, if it answers."""
    try:
        settings = json.loads((state_dir / "local.json").read_text(encoding="utf-8"))
        api_url, admin_key = str(settings["api_url"]), str(settings["admin_key"])
        httpx.get(f"{api_url}/health", timeout=5.0)
    except (OSError, ValueError, KeyError, httpx.HTTPError):
        return None
    return api_url, admin_key


def _through_dev_server(
    api_url: str, admin_key: str, logical_id: str, event: Any, overrides: dict[str, str]
) -> tuple[bool, Any, str]:
    answer = httpx.post(
        f"{api_url}/_local/invoke/{logical_id}",
        json={"Event": event, "Environment": overrides},
        headers={"Authorization": f"Bearer {admin_key}"},
        timeout=_INVOKE_TIMEOUT_S,
    )
    body = answer.json()
    if answer.status_code != 200:
        raise SystemExit(f"invoke: {body.get('Error', {}).get('Message', answer.text)}")
    return bool(body["ok"]), body["result"], str(body.get("logs", ""))


def _in_own_stack(
    config: RuntimeConfig, logical_id: str, event: Any, overrides: dict[str, str]
) -> tuple[bool, Any, str]:
    with tempfile.TemporaryDirectory(prefix="pushgate-invoke-") as state_dir:
        own = replace(config, state_dir=Path(state_dir), api_port=0, poll_queues=False, run_schedules=False)
        with LocalRuntime(own) as runtime:
            invocation, logs = runtime.invoke_once(logical_id, event, overrides)
    return invocation.ok, invocation.payload, logs


def main(argv: list[str], project_root: Path) -> int:
    """Runs one invocation; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m pushgate_local invoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("function", metavar="LogicalId", help="the function's logical id in template.yaml")
    parser.add_argument("-e", "--event", help="JSON event file ('-' reads stdin); default {}")
    parser.add_argument("--env-vars", help='JSON file: {"<LogicalId>": {"NAME": "value"}, "Parameters": {...}}')
    args = parser.parse_args(argv)
    config = RuntimeConfig.from_environment(project_root)
    names = [spec.logical_id for spec in read_stack(config.template_path).functions]
    if args.function not in names:
        parser.error(f"no function {args.function} in template.yaml; one of: {', '.join(names)}")
    event = _read_json(args.event, "the event", project_root) if args.event else {}
    overrides = environment_overrides(_read_json(args.env_vars, "--env-vars"), args.function) if args.env_vars else {}
    # $PUSHGATE_STATE_DIR (or the project's .pushgate/), then ./.pushgate, as `pushgate login --local` reads it.
    candidates = dict.fromkeys([config.state_dir, Path(".pushgate")])
    running = next((found for found in map(_running_stack, candidates) if found is not None), None)
    if running is not None:
        print(f"invoking {args.function} in the running local stack ({running[0]})", file=sys.stderr)
        ok, result, logs = _through_dev_server(*running, args.function, event, overrides)
    else:
        print(f"no running 'make dev': starting a local stack for {args.function}", file=sys.stderr)
        ok, result, logs = _in_own_stack(config, args.function, event, overrides)
    sys.stderr.write(logs)
    print(json.dumps(result))
    return 0 if ok else 1
