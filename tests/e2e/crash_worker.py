"""A deliver_push worker that is killed mid-job: run by ``test_delivery_crash.py`` in its own process.

It reads ``{"environment", "event", "kill_at"}`` on stdin, then runs the real handler of
``functions/deliver_push`` with that environment. The write named by ``kill_at`` (``"complete"``,
or ``"checkpoint:<n>"`` for the n-th checkpoint) is made to announce ``ACCEPTED`` on stdout and
block instead, so the test can kill the process after the provider accepted what was sent so far
and before that write: the stored state is whatever the earlier writes left. ``"window:<n>"``
kills it in the middle of the n-th window instead: the first half of the window's requests reach
the provider and are answered, the rest never leave.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pushgate.adapters.dynamodb.sends import DynamoSendRepository
from pushgate.models.push import PushRequest
from pushgate.providers.apns import ApnsClient
from pushgate.providers.fcm import FcmClient
from pushgate_local.invoker import LocalLambdaContext

HANDLER_DIR = Path(__file__).resolve().parents[2] / "functions" / "deliver_push"


def _announce_and_block() -> None:
    sys.stdout.write("ACCEPTED\n")
    sys.stdout.flush()
    sys.stdin.read()  # the test kills this process; stdin stays open until then
    raise SystemExit("the test let the crashed worker go")


def _kill_mid_window(target: int) -> None:
    calls = 0
    for client in (ApnsClient, FcmClient):
        send_batch = client.send_batch

        def half_then_die(self: Any, requests: Sequence[PushRequest], *, _send: Any = send_batch) -> Any:
            nonlocal calls
            calls += 1
            if calls == target:
                _send(self, requests[: len(requests) // 2])
                _announce_and_block()
            return _send(self, requests)

        client.send_batch = half_then_die  # type: ignore[method-assign]


def _kill_at(write: str) -> None:
    if write.startswith("window:"):
        _kill_mid_window(int(write.removeprefix("window:")))
        return
    if write == "complete":

        def complete(*_: Any, **__: Any) -> bool:
            _announce_and_block()
            return False

        DynamoSendRepository.complete = complete  # type: ignore[method-assign]
        return
    target = int(write.removeprefix("checkpoint:"))
    checkpoint = DynamoSendRepository.checkpoint
    calls = 0

    def counted(self: DynamoSendRepository, *args: Any, **kwargs: Any) -> bool:
        nonlocal calls
        calls += 1
        if calls == target:
            _announce_and_block()
        return checkpoint(self, *args, **kwargs)

    DynamoSendRepository.checkpoint = counted  # type: ignore[method-assign]


def main() -> None:
    request = json.loads(sys.stdin.readline())
    os.environ.clear()
    os.environ.update(request["environment"])
    _kill_at(request["kill_at"])
    sys.path.insert(0, str(HANDLER_DIR))
    handler = importlib.import_module("app").lambda_handler
    context = LocalLambdaContext(
        function_name="DeliverPushFunction",
        memory_limit_in_mb=1024,
        invoked_function_arn="arn:aws:lambda:us-east-1:000000000000:function:DeliverPushFunction",
        aws_request_id="crash-test",
        deadline_epoch_ms=int(time.time() * 1000) + 60_000,
    )
    handler(request["event"], context)


if __name__ == "__main__":
    main()
