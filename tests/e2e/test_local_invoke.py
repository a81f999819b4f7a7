"""``python -m pushgate_local invoke <LogicalId> -e events/...``: the Docker-free ``sam local invoke``.

Every file in ``events/`` is answered by its function in the running dev stack; a file of each kind
(an HTTP request, an SQS batch, a scheduled or direct payload) runs through the real command (a
child process, as a developer types it, with a fresh execution environment for the call);
``--env-vars`` reaches the handler; without a running stack the command starts its own for the call.
The command's own work is the same for every file (read it, post it, print the answer), so running
all of them through it would only start some fifty more processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pushgate_local.runtime import LocalRuntime
from pushgate_local.template import read_stack
from tests.e2e.conftest import PROJECT_ROOT

pytestmark = pytest.mark.stack

EVENT_FILES = sorted((PROJECT_ROOT / "events").glob("*/*.json"))
LOGICAL_IDS = {spec.code_uri.name: spec.logical_id for spec in read_stack(PROJECT_ROOT / "template.yaml").functions}


def invoke(state_dir: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter and the project's own module
        [sys.executable, "-m", "pushgate_local", "invoke", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PUSHGATE_STATE_DIR": str(state_dir)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_there_are_events_for_every_function() -> None:
    assert len(EVENT_FILES) >= 40
    assert {path.parent.name for path in EVENT_FILES} == set(LOGICAL_IDS)


def _read_event(event_file: Path) -> Any:
    return json.loads(event_file.read_text(encoding="utf-8"))


def _check_answer(event: Any, result: Any) -> None:
    if "requestContext" in event:
        # An HTTP event: the sample ids name nothing in this stack, so 4xx is a fine answer; 5xx never is.
        assert result["statusCode"] < 500, result
    elif "Records" in event:
        assert set(result) == {"batchItemFailures"}, result


@pytest.mark.parametrize("event_file", EVENT_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_event_file_is_answered_by_its_function(dev_stack: LocalRuntime, event_file: Path) -> None:
    event = _read_event(event_file)

    invocation = dev_stack.invoke(LOGICAL_IDS[event_file.parent.name], event)

    assert invocation.ok, invocation.payload
    _check_answer(event, invocation.payload)


#: One file of each kind: an HTTP request, an SQS batch, a scheduled payload.
COMMAND_EVENTS = (
    "manage_orgs/create_org.json",
    "deliver_push/delivery_batch.json",
    "release_scheduled/every_minute.json",
)


@pytest.mark.parametrize("relative", COMMAND_EVENTS)
def test_an_event_file_of_each_kind_runs_through_the_invoker(dev_stack: LocalRuntime, relative: str) -> None:
    event_file = PROJECT_ROOT / "events" / relative
    logical_id = LOGICAL_IDS[event_file.parent.name]

    completed = invoke(dev_stack.config.state_dir, logical_id, "-e", str(event_file.relative_to(PROJECT_ROOT)))

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "in the running local stack" in completed.stderr
    _check_answer(_read_event(event_file), json.loads(completed.stdout))  # stdout holds the handler's result only


def test_env_vars_reach_the_handler_and_a_failing_handler_exits_1(dev_stack: LocalRuntime, tmp_path: Path) -> None:
    env_vars = tmp_path / "env.json"
    env_vars.write_text(json.dumps({"HealthFunction": {"TABLE_NAME": "no-such-table"}}), encoding="utf-8")

    healthy = invoke(dev_stack.config.state_dir, "HealthFunction", "-e", "events/health/get_health.json")
    broken = invoke(
        dev_stack.config.state_dir, "HealthFunction", "-e", "events/health/get_health.json", "--env-vars", str(env_vars)
    )
    unknown = invoke(dev_stack.config.state_dir, "NoSuchFunction")

    assert json.loads(healthy.stdout)["statusCode"] == 200
    assert json.loads(broken.stdout)["statusCode"] == 503  # the table the override names does not exist
    assert unknown.returncode == 2 and "one of: " in unknown.stderr and "HealthFunction" in unknown.stderr


def test_without_a_running_stack_the_invoker_starts_one_for_the_call(tmp_path: Path) -> None:
    completed = invoke(tmp_path, "ManageOrgsFunction", "-e", "events/manage_orgs/create_org.json")

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "starting a local stack" in completed.stderr
    assert json.loads(completed.stdout)["statusCode"] == 201
    assert not (tmp_path / "local.json").exists()  # the stack of the call lived in its own state directory
