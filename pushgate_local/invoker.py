"""Runs a function's real handler the way Lambda does: one process per function, reused warm.

Each function gets its own worker process with the function's own environment, so module-level
caches, settings and clients behave as in a Lambda execution environment and functions cannot see
each other's state. A worker handles one invocation at a time; it starts on the first invocation
(a cold start) and is replaced when an invocation times out.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pushgate_local.template import FunctionSpec


@dataclass
class LocalLambdaContext:
    """The parts of the Lambda context object handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline_epoch_ms: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, self.deadline_epoch_ms - int(time.time() * 1000))


def _worker_main(
    connection: Connection,
    spec: FunctionSpec,
    environment: dict[str, str],
    log_path: str,
    preload: tuple[str, ...] = (),
) -> None:
    # The parent owns Ctrl-C; the worker ends when the parent closes the pipe or terminates it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log = open(log_path, "ab", buffering=0)  # noqa: SIM115 - lives as long as the process
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    os.environ.clear()
    os.environ.update(environment)
    sys.path.insert(0, str(spec.code_uri))
    # Modules a tool asks for before the handler loads (the benchmark's meters); none by default.
    for name in preload:
        importlib.import_module(name)
    module_name, function_name = spec.handler.rsplit(".", 1)
    started = time.perf_counter()
    handler = getattr(importlib.import_module(module_name), function_name)
    connection.send(("ready", round((time.perf_counter() - started) * 1000, 1)))
    arn = f"arn:aws:lambda:{environment.get('AWS_REGION', 'us-east-1')}:000000000000:function:{spec.logical_id}"
    while True:
        try:
            message = connection.recv()
        except EOFError:
            return
        event, request_id = message
        context = LocalLambdaContext(
            function_name=spec.logical_id,
            memory_limit_in_mb=spec.memory_size,
            invoked_function_arn=arn,
            aws_request_id=request_id,
            deadline_epoch_ms=int(time.time() * 1000) + spec.timeout * 1000,
        )
        cpu_started = time.process_time()
        try:
            result = handler(event, context)
        except Exception as error:
            traceback.print_exc()
            cpu_ms = (time.process_time() - cpu_started) * 1000
            connection.send(("error", {"errorType": type(error).__name__, "errorMessage": str(error)}, cpu_ms))
        else:
            connection.send(("ok", result, (time.process_time() - cpu_started) * 1000))


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation."""

    ok: bool
    payload: Any
    duration_ms: float
    cold_start_ms: float | None
    #: CPU time the worker process spent in the handler (``None`` when it never answered).
    cpu_ms: float | None = None


class FunctionWorker:
    """The execution environment of one function."""

    def __init__(
        self,
        spec: FunctionSpec,
        environment: dict[str, str],
        log_dir: Path,
        *,
        preload: tuple[str, ...] = (),
        name_suffix: str = "",
    ) -> None:
        """Prepares (does not start) the worker.

        Args:
            spec: The function.
            environment: Its full environment (template variables resolved, local endpoints).
            log_dir: Where its stdout and stderr go (``<LogicalId><name_suffix>.log``).
            preload: Modules imported in the worker before the handler (tools' instrumentation).
            name_suffix: Tells apart the log files of several workers of one function.
        """
        self._preload = preload
        self.spec = spec
        self._environment = {
            **environment,
            "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "LAMBDA_TASK_ROOT": str(spec.code_uri),
            "_HANDLER": spec.handler,
        }
        self.log_path = log_dir / f"{spec.logical_id}{name_suffix}.log"
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Connection | None = None

    def _start(self) -> float:
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=_worker_main,
            args=(child_end, self.spec, self._environment, str(self.log_path), self._preload),
            name=f"lambda-{self.spec.logical_id}",
            daemon=True,
        )
        process.start()
        child_end.close()
        self._process, self._connection = process, parent_end
        if not parent_end.poll(60):
            self._discard()
            raise RuntimeError(f"{self.spec.logical_id} did not initialise within 60 s; see {self.log_path}")
        try:
            _, init_ms = parent_end.recv()
        except EOFError:
            self._discard()
            raise RuntimeError(f"{self.spec.logical_id} failed to initialise; see {self.log_path}") from None
        return float(init_ms)

    def _discard(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self._process, self._connection = None, None

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """Invokes the handler with an event and waits for its result or its timeout.

        Args:
            event: The event, as the AWS service would send it.

        Returns:
            The handler's return value, or an error payload shaped like Lambda's.
        """
        with self._lock:
            cold_start_ms = None
            if self._process is None or not self._process.is_alive():
                self._discard()
                try:
                    cold_start_ms = self._start()
                except RuntimeError as error:
                    return Invocation(False, {"errorType": "InitError", "errorMessage": str(error)}, 0.0, None)
            assert self._connection is not None  # noqa: S101 - set by _start
            started = time.perf_counter()
            self._connection.send((event, str(uuid.uuid4())))
            if not self._connection.poll(self.spec.timeout):
                self._discard()
                message = f"Task timed out after {self.spec.timeout} seconds"
                return Invocation(
                    False, {"errorType": "Timeout", "errorMessage": message}, self.spec.timeout * 1000.0, cold_start_ms
                )
            cpu_ms: float | None = None
            try:
                status, payload, cpu_ms = self._connection.recv()
            except EOFError:
                self._discard()
                payload = {"errorType": "Runtime.ExitError", "errorMessage": f"worker exited; see {self.log_path}"}
                status = "error"
            duration_ms = (time.perf_counter() - started) * 1000
            return Invocation(status == "ok", payload, duration_ms, cold_start_ms, cpu_ms)

    def stop(self) -> None:
        """Ends the worker process, letting it exit on its own first (so it can flush what it holds)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if self._process is not None:
                self._process.join(5)
            self._discard()
