"""The tracing switch (``pushgate.runtime.tracing``) behaves as Powertools' own ``Tracer(disabled=True)``.

Powertools keeps a Tracer's configuration on the class, so two tracers in one interpreter share
their provider: each side runs in a fresh interpreter. Both run the same scenarios (a decorated
Lambda handler, methods that are plain, async, generators and context managers, failures,
annotations and metadata) and print what each returned or raised; the two transcripts must match.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

_SCENARIOS = """
import asyncio, contextlib, json, sys

if sys.argv[1] == "powertools":
    from aws_lambda_powertools import Tracer
    tracer = Tracer(disabled=True)
else:
    from pushgate.runtime.tracing import build_tracer
    tracer = build_tracer(enabled=False)

transcript = {"disabled": tracer.disabled}

@tracer.capture_lambda_handler
def handler(event, context):
    tracer.put_annotation(key="OrgId", value=event["org"])
    tracer.put_metadata(key="body", value={"secret": "never traced"})
    return {"statusCode": 200, "body": event["org"]}

@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def failing_handler(event, context):
    raise ValueError("handler failed")

@tracer.capture_method
def add(a, b=1):
    return a + b

@tracer.capture_method
def fails():
    raise KeyError("missing")

@tracer.capture_method
async def add_later(a, b):
    await asyncio.sleep(0)
    return a + b

@tracer.capture_method
def count(n):
    yield from range(n)

@tracer.capture_method
@contextlib.contextmanager
def held(value):
    yield value * 2

def outcome(call):
    try:
        return {"value": call()}
    except Exception as error:
        return {"raised": type(error).__name__, "message": str(error)}

transcript["handler"] = outcome(lambda: handler({"org": "o-1"}, None))
transcript["failing_handler"] = outcome(lambda: failing_handler({}, None))
transcript["add"] = outcome(lambda: add(2, b=3))
transcript["fails"] = outcome(fails)
transcript["add_later"] = outcome(lambda: asyncio.run(add_later(4, 5)))
transcript["count"] = outcome(lambda: list(count(3)))

def use_held():
    with held(21) as value:
        return value

transcript["held"] = outcome(use_held)

def subsegment():
    with tracer.provider.in_subsegment(name="## block") as segment:
        segment.put_annotation("k", "v")
        segment.put_metadata("k", {"v": 1})
        return "inside"

transcript["subsegment"] = outcome(subsegment)
transcript["patch"] = outcome(lambda: tracer.patch(["botocore"]))
print(json.dumps(transcript))
"""


def _transcript(side: str) -> dict[str, Any]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_LAMBDA", "LAMBDA_"))}
    environment |= {"POWERTOOLS_TRACE_DISABLED": "false", "POWERTOOLS_LOG_LEVEL": "ERROR"}
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-W", "ignore", "-c", _SCENARIOS, side],
        capture_output=True, text=True, check=True, env=environment, cwd=PROJECT_ROOT, timeout=60,
    )  # fmt: skip
    transcript: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return transcript


@pytest.fixture(scope="module")
def transcripts() -> tuple[dict[str, Any], dict[str, Any]]:
    return _transcript("powertools"), _transcript("pushgate")


def test_the_untraced_tracer_answers_every_scenario_as_powertools_disabled_tracer(
    transcripts: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    powertools, pushgate = transcripts

    assert pushgate == powertools


def test_the_scenarios_return_and_raise_what_the_functions_do(
    transcripts: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    # The comparison above is only as good as the scenarios: they must have run the functions.
    _, pushgate = transcripts

    assert pushgate["disabled"] is True
    assert pushgate["handler"] == {"value": {"statusCode": 200, "body": "o-1"}}
    assert pushgate["failing_handler"] == {"raised": "ValueError", "message": "handler failed"}
    assert pushgate["add"] == {"value": 5}
    assert pushgate["fails"] == {"raised": "KeyError", "message": "'missing'"}
    assert pushgate["add_later"] == {"value": 9}
    assert pushgate["count"] == {"value": [0, 1, 2]}
    assert pushgate["held"] == {"value": 42}
    assert pushgate["subsegment"] == {"value": "inside"}
    assert pushgate["patch"] == {"value": None}
