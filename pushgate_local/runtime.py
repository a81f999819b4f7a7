"""The local runtime: DynamoDB Local + moto server + the dev server, all driven by ``template.yaml``.

The dev server serves every HTTP API route by invoking the function's real handler with an API
Gateway v2 event, polls each SQS event source into its function with SQS-shaped batches (deleting
only what the function did not report in ``batchItemFailures``), and fires scheduled functions on
demand at ``POST /_local/schedules/<FunctionLogicalId>[/<Schedule>]`` (``GET /_local/schedules`` lists them).

Schedules with a ``rate(...)`` expression also fire by themselves, on the local clock: the one clock
every function reads (``PUSHGATE_LOCAL_CLOCK_FILE``: sends, quiet hours, caps, registrations, verdicts,
the token cleanup). Tests and
the demo move it with ``POST /_local/clock`` (``{"AdvanceSeconds": 3600}`` or ``{"Now": "..."}``),
which then fires every rate schedule that came due, before answering. Cron schedules fire on demand only.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hmac
import json
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3

from pushgate_local.console import console_response
from pushgate_local.events import (
    RouteTable,
    http_api_event,
    iam_authorizer_context,
    scheduled_event,
    sqs_event,
)
from pushgate_local.invoker import FunctionWorker, Invocation
from pushgate_local.openapi import document_in_subprocess, swagger_asset, swagger_page, swagger_policy
from pushgate_local.processes import (
    LOOPBACK,
    ChildProcess,
    local_aws_environment,
    start_dynamodb_local,
    start_moto_server,
)
from pushgate_local.provision import ProvisionedResources, provision
from pushgate_local.sigv4 import SCHEME as SIGV4_SCHEME
from pushgate_local.sigv4 import signature_problem
from pushgate_local.simulator import RunningSimulator, start_simulator
from pushgate_local.template import FunctionSpec, Resolver, Schedule, SqsSource, StackSpec, read_stack

LOCAL_ROUTES_PREFIX = "/_local/"
OPENAPI_PATH = "/openapi.json"
CONSOLE_PATH = "/console/"
DOCS_PATH = "/docs"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
#: Connections the kernel queues before the server accepts them (socketserver's default is 5, which
#: resets connections under a load test); the kernel caps it at net.core.somaxconn.
LISTEN_BACKLOG = 1024
#: Held (``flock``) by the stack that uses a state folder, for as long as it runs.
STATE_LOCK = ".lock"
#: How often the local scheduler looks for rate schedules that came due.
SCHEDULER_TICK_S = 1.0
_DIGITS = re.compile(r"[0-9]+")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


class StateDirInUseError(RuntimeError):
    """Another running stack holds the state folder."""


def rate_seconds(expression: str) -> int | None:
    """The period of a ``rate(N unit)`` schedule expression, or ``None`` for any other expression."""
    match = _RATE.fullmatch(expression.strip())
    return int(match.group(1)) * _RATE_UNITS[match.group(2)] if match else None


class LocalClock:
    """The local runtime's movable clock: the real time plus an offset the functions read from a file."""

    def __init__(self, path: Path) -> None:
        """Starts at the real time and writes the file the functions read."""
        self.path = path
        self.offset_seconds = 0.0
        self._write()

    def _write(self) -> None:
        staged = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        staged.write_text(json.dumps({"offset_seconds": self.offset_seconds}), encoding="utf-8")
        staged.replace(self.path)

    def now(self) -> datetime:
        """The local time, in UTC."""
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)

    def advance(self, seconds: float) -> datetime:
        """Moves the clock forward (never back: schedules already fired stay fired)."""
        if seconds < 0:
            raise ValueError("AdvanceSeconds must not be negative")
        self.offset_seconds += seconds
        self._write()
        return self.now()

    def set_to(self, instant: datetime) -> datetime:
        """Moves the clock to an instant (later than the local now)."""
        return self.advance(max(0.0, (instant - self.now()).total_seconds()))

    def reset(self) -> None:
        """Back to the real time (tests that moved it put it back)."""
        self.offset_seconds = 0.0
        self._write()


@dataclass
class RuntimeConfig:
    """How to run the local stack; ports of 0 mean a free port."""

    project_root: Path
    template_path: Path
    state_dir: Path
    api_port: int = 0
    dynamodb_port: int = 0
    aws_port: int = 0
    simulator_port: int = 0
    admin_key: str = field(default_factory=lambda: "pgadmin_" + secrets.token_urlsafe(24))
    region: str = "us-east-1"
    prefix: str = "pushgate-local"
    poll_queues: bool = True
    #: Fire ``rate(...)`` schedules by themselves on the local clock (cron ones fire on demand only).
    run_schedules: bool = True
    access_log: bool = False
    #: Let registration webhooks call loopback addresses (over http too); off unless asked for.
    allow_loopback_webhooks: bool = False
    extra_environment: dict[str, str] = field(default_factory=dict)
    #: Workers (execution environments) per SQS event source, each with its own poller; Lambda
    #: scales these out, so a load run may ask for several. HTTP routes always use the first.
    queue_workers: int = 1
    #: Modules every worker imports before its handler (a benchmark's meters).
    worker_preload: tuple[str, ...] = ()
    #: Called after every invocation with the function's logical id (a benchmark's billing record).
    on_invocation: Callable[[str, Invocation], None] | None = None

    @classmethod
    def from_environment(cls, project_root: Path) -> RuntimeConfig:
        """Defaults for ``make dev``/``make demo``, overridable by ``PUSHGATE_*`` variables."""
        config = cls(
            project_root=project_root,
            template_path=project_root / "template.yaml",
            state_dir=Path(os.environ.get("PUSHGATE_STATE_DIR") or project_root / ".pushgate"),
            api_port=int(os.environ.get("PUSHGATE_API_PORT", "0")),
            dynamodb_port=int(os.environ.get("PUSHGATE_DYNAMODB_PORT", "0")),
            aws_port=int(os.environ.get("PUSHGATE_AWS_PORT", "0")),
            simulator_port=int(os.environ.get("PUSHGATE_SIMULATOR_PORT", "0")),
        )
        if os.environ.get("PUSHGATE_ADMIN_KEY"):
            config.admin_key = os.environ["PUSHGATE_ADMIN_KEY"]
        return config


def content_length(values: Sequence[str]) -> int:
    """The request body's length from its ``Content-Length`` headers (0 when there is none).

    Framing a request on a header it cannot trust lets the rest of the connection be read wrongly
    (request smuggling), so, as RFC 9112 section 6.3 asks of a server and as API Gateway answers, a
    value that is not a whole number of bytes, or several values that differ (in repeated headers or
    one comma-separated list), is an error; repeated equal values are accepted.

    Args:
        values: Every ``Content-Length`` header of the request, as received.

    Raises:
        ValueError: The problem, in words for the error body.
    """
    lengths = {part.strip() for value in values for part in value.split(",")}
    if any(not _DIGITS.fullmatch(length) for length in lengths):
        raise ValueError("must be a whole number of bytes (digits only)")
    distinct = {int(length) for length in lengths}
    if len(distinct) > 1:
        raise ValueError(f"is sent with different values ({', '.join(map(str, sorted(distinct)))})")
    return distinct.pop() if distinct else 0


class _Handler(BaseHTTPRequestHandler):
    server: _DevHttpServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.runtime.config.access_log:
            super().log_message(format, *args)

    def _dispatch(self) -> None:
        try:
            length = content_length(self.headers.get_all("content-length") or [])
        except ValueError as error:
            problem = str(error)
            refusal = _error_body("InvalidRequest", f"Content-Length: {problem}")
            refusal["Error"]["Details"] = [{"Field": "Content-Length", "Problem": problem}]
            self._send_json(HTTPStatus.BAD_REQUEST, refusal, close=True)
            return
        if length > MAX_BODY_BYTES:
            self._send_json(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                _error_body("PayloadTooLarge", f"the body is {length} bytes; at most {MAX_BODY_BYTES} are accepted"),
                close=True,  # the body stays unread, so nothing after it on this connection can be framed
            )
            return
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.runtime.handle_http(
            method=self.command,
            target=self.path,
            headers=dict(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            host=self.headers.get("host", ""),
        )
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _send_json(self, status: int, body: dict[str, Any], *, close: bool = False) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        if close:
            # send_header("connection", "close") also makes the server end the connection after this answer.
            self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


class _DevHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], runtime: LocalRuntime) -> None:
        super().__init__(address, _Handler)
        self.runtime = runtime


def _json_response(status: int, body: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("content-type", "application/json")], json.dumps(body).encode()


def _error_body(code: str, message: str) -> dict[str, Any]:
    # The same shape the handlers use, so clients see one error format whoever answered.
    return {"Error": {"Code": code, "Message": message, "Details": []}}


def _refusal(headers: dict[str, str], problem: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """The answer to a caller the operator routes refuse: 403 ``InvalidSignature`` to a SigV4
    signature, as API Gateway's IAM authorizer answers (InvalidSignatureException; the console
    renews its credentials on it), and 401 to anything else (the local admin key)."""
    signed = any(name.lower() == "authorization" and value.startswith(SIGV4_SCHEME) for name, value in headers.items())
    if signed:
        return _json_response(HTTPStatus.FORBIDDEN, _error_body("InvalidSignature", problem))
    return _json_response(HTTPStatus.UNAUTHORIZED, _error_body("Unauthorized", problem))


def lambda_result_to_http(invocation: Invocation) -> tuple[int, list[tuple[str, str]], bytes]:
    """Turns a handler's result into an HTTP response as API Gateway (payload 2.0) does."""
    if not invocation.ok:
        if invocation.payload.get("errorType") == "Timeout":
            return _json_response(HTTPStatus.SERVICE_UNAVAILABLE, {"message": "Service Unavailable"})
        return _json_response(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "Internal Server Error"})
    result = invocation.payload
    if not isinstance(result, dict) or "statusCode" not in result:
        # Payload 2.0 lets a function return any JSON value; API Gateway answers 200 with it.
        return _json_response(HTTPStatus.OK, result)
    headers = [(name, str(value)) for name, value in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(value)) for value in values)
    headers.extend(("set-cookie", cookie) for cookie in result.get("cookies") or [])
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return int(result["statusCode"]), headers, payload


class LocalRuntime:
    """Starts, serves and stops the whole local stack."""

    def __init__(self, config: RuntimeConfig) -> None:
        """Prepares the runtime; ``start()`` brings it up."""
        self.config = config
        self.stack: StackSpec = read_stack(config.template_path)
        self.log_dir = config.state_dir / "logs"
        self.resources = ProvisionedResources()
        #: Resolves the template's ``!Ref``/``!GetAtt``/``!Sub`` against this stack's resources (set by ``start()``).
        self.resolver: Resolver | None = None
        self._children: list[ChildProcess] = []
        self._workers: dict[str, FunctionWorker] = {}
        #: Each function's resolved environment (for one-off invocations with overrides).
        self._environments: dict[str, dict[str, str]] = {}
        #: Further workers of functions with SQS event sources (``queue_workers`` > 1).
        self._queue_workers: dict[str, list[FunctionWorker]] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._http: _DevHttpServer | None = None
        self.simulator: RunningSimulator | None = None
        self.routes = RouteTable([(route, spec.logical_id) for spec in self.stack.functions for route in spec.routes])
        self.dynamodb_url = ""
        self.aws_url = ""
        self.api_url = ""
        self._openapi: bytes | None = None
        self._openapi_lock = threading.Lock()
        self.clock: LocalClock | None = None
        # Re-entrant: moving the clock and firing what came due happen under one hold of it.
        self._schedule_lock = threading.RLock()
        self._next_fire: dict[tuple[str, str], datetime] = {}
        self._state_lock: int | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalRuntime:
        """Starts DynamoDB Local and moto, creates the template's resources, serves the API."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _lock_state_dir(self) -> None:
        """Takes the state folder for this stack alone, or says which stack holds it.

        Two stacks on one folder would overwrite each other's ``local.json``, clock and logs (the
        CLI would then call the wrong one). The lock is the kernel's: it goes with the process,
        even a killed one, so it never needs clearing by hand.
        """
        state_dir = self.config.state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(state_dir / STATE_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise StateDirInUseError(
                f"another local stack is running with the state folder {state_dir} (see its local.json): "
                "stop it first, or give this one its own folder with PUSHGATE_STATE_DIR"
            ) from None
        self._state_lock = descriptor

    def _release_state_dir(self) -> None:
        if self._state_lock is None:
            return
        # What pointed at this stack goes with it: a tool that finds no local.json knows it stopped.
        for name in ("local.json", "clock.json"):
            with contextlib.suppress(FileNotFoundError):
                (self.config.state_dir / name).unlink()
        os.close(self._state_lock)  # closing releases the flock
        self._state_lock = None

    def _start(self) -> None:
        self._lock_state_dir()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        dynamodb = start_dynamodb_local(self.config.project_root, self.log_dir, self.config.dynamodb_port)
        self._children.append(dynamodb)
        moto = start_moto_server(self.log_dir, self.config.aws_port)
        self._children.append(moto)
        self.dynamodb_url, self.aws_url = dynamodb.url, moto.url
        self.simulator = start_simulator(self.config.state_dir / "simulator", port=self.config.simulator_port)
        resolver = Resolver(
            parameters=dict(self.stack.parameters),
            refs={},
            attributes={},
            pseudo={
                "AWS::Region": self.config.region,
                "AWS::AccountId": "000000000000",
                "AWS::StackName": self.config.prefix,
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::Partition": "aws",
            },
        )
        self.resolver = resolver
        self.resources = provision(
            self.stack,
            resolver,
            prefix=self.config.prefix,
            dynamodb_url=self.dynamodb_url,
            aws_url=self.aws_url,
            region=self.config.region,
        )
        self.clock = LocalClock(self.config.state_dir / "clock.json")
        self._http = _DevHttpServer((LOOPBACK, self.config.api_port), self)
        self.api_url = f"http://{LOOPBACK}:{self._http.server_address[1]}"
        aws_environment = local_aws_environment(self.dynamodb_url, self.aws_url, self.config.region)
        base_environment = {
            "PATH": os.environ.get("PATH", ""),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "POWERTOOLS_TRACE_DISABLED": "true",
            **aws_environment,
            # The provider clients talk to the simulator (and trust its test CA) instead of Apple and Google.
            **self.simulator.provider_environment(),
            # Delivery timing reads the local clock, which tests and the demo can move.
            "PUSHGATE_LOCAL_CLOCK_FILE": str(self.clock.path),
        }
        for spec in self.stack.functions:
            variables = {name: str(resolver.resolve(value)) for name, value in spec.environment.items()}
            # Locally the public endpoint is the dev server itself, whatever the template's default says.
            local_overrides = {"PUBLIC_ENDPOINT": self.api_url} if "PUBLIC_ENDPOINT" in variables else {}
            if self.config.allow_loopback_webhooks:
                # Opt-in (`make dev ARGS=--allow-loopback-webhooks`): webhooks may call receivers on this machine.
                local_overrides["PUSHGATE_ALLOW_LOOPBACK_WEBHOOKS"] = "true"
            environment = {**base_environment, **variables, **local_overrides, **self.config.extra_environment}
            preload = self.config.worker_preload
            self._environments[spec.logical_id] = environment
            first = FunctionWorker(spec, environment, self.log_dir, preload=preload)
            self._workers[spec.logical_id] = first
            if spec.sqs_sources:
                self._queue_workers[spec.logical_id] = [first] + [
                    FunctionWorker(spec, environment, self.log_dir, preload=preload, name_suffix=f"-{number}")
                    for number in range(1, max(1, self.config.queue_workers))
                ]
        self._spawn(self._http.serve_forever, "dev-http")
        if self.config.poll_queues:
            for spec in self.stack.functions:
                for source in spec.sqs_sources:
                    for worker in self._queue_workers[spec.logical_id]:
                        self._spawn(
                            lambda spec=spec, source=source, worker=worker: self._poll(spec, source, worker),
                            f"poll-{spec.logical_id}",
                        )
        started = self.clock.now()
        for spec, schedule, period in self._rate_schedules():
            self._next_fire[(spec.logical_id, schedule.name)] = started + timedelta(seconds=period)
        if self.config.run_schedules and self._next_fire:
            self._spawn(self._run_scheduler, "local-scheduler")
        self.write_local_json()

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Stops polling and serving, ends every worker and child process."""
        self._stop.set()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        for worker in self._workers.values():
            worker.stop()
        for workers in self._queue_workers.values():
            for worker in workers[1:]:
                worker.stop()
        if self.simulator is not None:
            self.simulator.stop()
        for child in reversed(self._children):
            child.stop()
        self._children.clear()
        self._release_state_dir()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def local_settings(self) -> dict[str, Any]:
        """What ``.pushgate/local.json`` holds (removed when the stack stops): endpoints, the admin key, resources."""
        return {
            "api_url": self.api_url,
            "admin_key": self.config.admin_key,
            "dynamodb_url": self.dynamodb_url,
            "aws_url": self.aws_url,
            "simulator_url": self.simulator.url if self.simulator else "",
            "simulator_ca": str(self.simulator.ca_path) if self.simulator else "",
            "region": self.config.region,
            "tables": self.resources.table_names,
            "queues": self.resources.queue_urls,
            "schedules_url": f"{self.api_url}{LOCAL_ROUTES_PREFIX}schedules/",
            "clock_url": f"{self.api_url}{LOCAL_ROUTES_PREFIX}clock",
            "openapi_url": f"{self.api_url}{OPENAPI_PATH}",
            "docs_url": f"{self.api_url}{DOCS_PATH}",
            "console_url": f"{self.api_url}{CONSOLE_PATH}",
            "loopback_webhooks": self.config.allow_loopback_webhooks,
            "log_dir": str(self.log_dir),
        }

    def console_settings(self) -> dict[str, Any]:
        """The console's ``config.json`` here: same-origin API, signed in with the admin key."""
        return {"ApiUrl": "", "SignIn": "AdminKey", "Environment": "local"}

    def write_local_json(self) -> Path:
        """Writes the settings where tools and people find them (readable by the owner only)."""
        path = self.config.state_dir / "local.json"
        # Written beside and renamed into place: a reader never sees the file empty or half written.
        staged = path.with_name(f".{path.name}.{os.getpid()}")
        staged.write_text(json.dumps(self.local_settings(), indent=2) + "\n", encoding="utf-8")
        staged.chmod(0o600)
        staged.replace(path)
        return path

    # ------------------------------------------------------------------ invocation
    def invoke(self, logical_id: str, event: dict[str, Any]) -> Invocation:
        """Invokes a function's handler in its (first) worker."""
        return self._invoke_in(self._workers[logical_id], event)

    def _invoke_in(self, worker: FunctionWorker, event: dict[str, Any]) -> Invocation:
        invocation = worker.invoke(event)
        if self.config.on_invocation is not None:
            self.config.on_invocation(worker.spec.logical_id, invocation)
        return invocation

    def invoke_once(
        self, logical_id: str, event: Any, overrides: dict[str, str] | None = None
    ) -> tuple[Invocation, str]:
        """Invokes a function as ``sam local invoke`` does: a fresh execution environment (a cold start)
        with the template's environment resolved against this stack, plus ``overrides``; then ends it.

        Returns:
            The invocation, and what the handler logged (its stdout and stderr).

        Raises:
            KeyError: No such function.
        """
        spec = self.stack.function(logical_id)
        environment = {**self._environments[spec.logical_id], **(overrides or {})}
        worker = FunctionWorker(
            spec,
            environment,
            self.log_dir,
            preload=self.config.worker_preload,
            name_suffix=f"-invoke-{uuid.uuid4().hex[:8]}",
        )
        try:
            invocation = worker.invoke(event)
        finally:
            worker.stop()
        try:
            logs = worker.log_path.read_text(encoding="utf-8", errors="replace")
            worker.log_path.unlink()
        except OSError:
            logs = ""
        return invocation, logs

    def function_arn(self, spec: FunctionSpec) -> str:
        """The local ARN of a function."""
        return f"arn:aws:lambda:{self.config.region}:000000000000:function:{spec.logical_id}"

    def fire_schedule(self, logical_id: str, schedule_name: str | None = None, payload: Any = None) -> Invocation:
        """Invokes a scheduled function as its schedule would.

        Args:
            logical_id: The function.
            schedule_name: Which of its schedules (the first when omitted).
            payload: An input that replaces the schedule's own (``{"DryRun": true}``, say).

        Returns:
            The invocation.

        Raises:
            KeyError: The function has no such schedule.
        """
        spec = self.stack.function(logical_id)
        schedules = [s for s in spec.schedules if schedule_name in {None, s.name}]
        if not schedules:
            raise KeyError(f"{logical_id} has no schedule {schedule_name or ''}".strip())
        schedule = schedules[0]
        if payload is not None:
            event = payload
        elif schedule.input is not None:
            event = json.loads(schedule.input)
        else:
            event = scheduled_event(self.function_arn(spec), schedule.name, self.config.region)
        return self.invoke(logical_id, event)

    def schedule_list(self) -> list[dict[str, Any]]:
        """Every schedule of the template, with where to fire it now (``GET /_local/schedules``)."""
        assert self.clock is not None  # noqa: S101 - started
        listed = []
        for spec in self.stack.functions:
            for schedule in spec.schedules:
                next_fire = self._next_fire.get((spec.logical_id, schedule.name))
                listed.append(
                    {
                        "FunctionLogicalId": spec.logical_id,
                        "Schedule": schedule.name,
                        "Expression": schedule.expression,
                        "Input": schedule.input,
                        # rate(...) schedules fire by themselves on the local clock; cron ones only when fired.
                        "FiresBySelf": rate_seconds(schedule.expression) is not None and self.config.run_schedules,
                        "NextFireAt": next_fire.isoformat() if next_fire else None,
                        "FireUrl": f"{self.api_url}{LOCAL_ROUTES_PREFIX}schedules/{spec.logical_id}/{schedule.name}",
                    }
                )
        return listed

    def _rate_schedules(self) -> list[tuple[FunctionSpec, Schedule, int]]:
        found = []
        for spec in self.stack.functions:
            for schedule in spec.schedules:
                period = rate_seconds(schedule.expression)
                if period is not None:
                    found.append((spec, schedule, period))
        return found

    def run_due_schedules(self) -> list[dict[str, Any]]:
        """Fires every rate schedule whose time came on the local clock (once, however late); says which."""
        assert self.clock is not None  # noqa: S101 - started
        fired: list[dict[str, Any]] = []
        with self._schedule_lock:
            for spec, schedule, period in self._rate_schedules():
                key = (spec.logical_id, schedule.name)
                now = self.clock.now()
                if now < self._next_fire.get(key, now):
                    continue
                invocation = self.fire_schedule(spec.logical_id, schedule.name)
                self._next_fire[key] = now + timedelta(seconds=period)
                fired.append({"function": spec.logical_id, "schedule": schedule.name, "ok": invocation.ok})
        return fired

    def advance_clock(self, *, seconds: float | None = None, to: datetime | None = None) -> list[dict[str, Any]]:
        """Moves the local clock forward, then fires what came due (see :meth:`run_due_schedules`)."""
        assert self.clock is not None  # noqa: S101 - started
        with self._schedule_lock:  # the scheduler thread must not fire in between: the caller sees what fired
            if to is not None:
                self.clock.set_to(to)
            if seconds:
                self.clock.advance(seconds)
            return self.run_due_schedules()

    def reset_clock(self) -> None:
        """Puts the local clock back to the real time, and every rate schedule one period after it."""
        assert self.clock is not None  # noqa: S101 - started
        with self._schedule_lock:
            self.clock.reset()
            now = self.clock.now()
            for spec, schedule, period in self._rate_schedules():
                self._next_fire[(spec.logical_id, schedule.name)] = now + timedelta(seconds=period)

    def _run_scheduler(self) -> None:
        while not self._stop.wait(SCHEDULER_TICK_S):
            try:
                self.run_due_schedules()
            except Exception:
                if self._stop.is_set():
                    return

    def _poll(self, spec: FunctionSpec, source: SqsSource, worker: FunctionWorker) -> None:
        sqs = boto3.client(
            "sqs",
            endpoint_url=self.aws_url,
            region_name=self.config.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto accepts any credentials
        )
        queue_url = self.resources.queue_urls[source.queue_logical_id]
        while not self._stop.is_set():
            try:
                received = sqs.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=min(source.batch_size, 10),
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            except Exception:  # moto going away under us at shutdown is not an error; anything else is retried
                if self._stop.is_set():
                    return
                time.sleep(0.5)
                continue
            messages = received.get("Messages") or []
            if messages:
                self._deliver_batch(sqs, worker, source, messages)

    def _deliver_batch(
        self, sqs: Any, worker: FunctionWorker, source: SqsSource, messages: Sequence[Mapping[str, Any]]
    ) -> None:
        queue_url = self.resources.queue_urls[source.queue_logical_id]
        queue_arn = self.resources.queue_arns[source.queue_logical_id]
        invocation = self._invoke_in(worker, sqs_event(messages, queue_arn, self.config.region))
        if not invocation.ok:
            return  # the whole batch becomes visible again after the visibility timeout, as in AWS
        failed: set[str] = set()
        if source.report_batch_item_failures and isinstance(invocation.payload, dict):
            failed = {item["itemIdentifier"] for item in invocation.payload.get("batchItemFailures") or []}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(done)],
            )

    # ------------------------------------------------------------------ HTTP
    def _authorize(
        self, auth: str, headers: dict[str, str], request: tuple[str, str, bytes] | None = None
    ) -> tuple[bool, str | None, dict[str, Any] | None]:
        """Whether the request (method, target, body) may reach the route, why not, and the authorizer context."""
        if auth == "NONE":
            return True, None, None
        # Locally the dev server plays API Gateway's IAM authorizer: it takes the admin key as a
        # bearer token, or a SigV4 signature made with the local credentials (pushgate_local/sigv4.py),
        # which is how the deployed console calls (with its identity pool's credentials).
        supplied = ""
        for name, value in headers.items():
            if name.lower() == "authorization":
                supplied = value
        scheme, _, token = supplied.partition(" ")
        if scheme == SIGV4_SCHEME and request is not None:
            method, target, body = request
            problem = signature_problem(
                method=method,
                target=target,
                headers=headers,
                body=body,
                secret_key=self.config.admin_key,
                region=self.config.region,
            )
            if problem is not None:
                return False, problem, None
        elif scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self.config.admin_key.encode()
        ):
            return False, "operator routes need 'Authorization: Bearer <admin_key>' (see .pushgate/local.json)", None
        return True, None, iam_authorizer_context("local-admin")

    def handle_http(
        self, *, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str, host: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Serves one HTTP request the way API Gateway would."""
        raw_path, _, raw_query = target.partition("?")
        if raw_path.startswith(LOCAL_ROUTES_PREFIX):
            return self._handle_local_route(method, raw_path, headers, body)
        if method in {"GET", "HEAD"} and (raw_path == OPENAPI_PATH or raw_path.startswith(DOCS_PATH)):
            return self._handle_docs(raw_path)
        if method in {"GET", "HEAD"} and (raw_path == CONSOLE_PATH.rstrip("/") or raw_path.startswith(CONSOLE_PATH)):
            return console_response(self.config.project_root / "console", raw_path, self.console_settings())
        matched = self.routes.match(method, raw_path)
        if matched is None:
            # API Gateway answers {"message": "Not Found"} itself; locally the answer has the one error shape.
            return _json_response(HTTPStatus.NOT_FOUND, _error_body("NotFound", f"no route for {method} {raw_path}"))
        route, logical_id, path_parameters = matched
        allowed, problem, authorizer = self._authorize(route.auth, headers, (method, target, body))
        if not allowed:
            return _refusal(headers, str(problem))
        event = http_api_event(
            route=route,
            method=method,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=headers,
            body=body,
            path_parameters=path_parameters,
            source_ip=source_ip,
            domain_name=host,
            authorizer=authorizer,
        )
        return lambda_result_to_http(self.invoke(logical_id, event))

    def openapi_document(self) -> bytes:
        """The OpenAPI document of every route (built once, in a child process, on first use)."""
        with self._openapi_lock:
            if self._openapi is None:
                environment = {"POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": self.config.region}
                self._openapi = document_in_subprocess(self.config.template_path, environment)
            return self._openapi

    def _handle_docs(self, raw_path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        if raw_path == OPENAPI_PATH:
            return HTTPStatus.OK, [("content-type", "application/json")], self.openapi_document()
        if raw_path in {DOCS_PATH, f"{DOCS_PATH}/"}:
            headers = [
                ("content-type", "text/html; charset=utf-8"),
                ("cache-control", "no-cache"),
                ("content-security-policy", swagger_policy(OPENAPI_PATH)),
                ("x-content-type-options", "nosniff"),
                ("referrer-policy", "no-referrer"),
            ]
            return HTTPStatus.OK, headers, swagger_page(OPENAPI_PATH, DOCS_PATH)
        asset = swagger_asset(raw_path.removeprefix(f"{DOCS_PATH}/"))
        if asset is None:
            return _json_response(HTTPStatus.NOT_FOUND, _error_body("NotFound", f"no route for GET {raw_path}"))
        headers = [("content-type", asset[1]), ("cache-control", "max-age=3600"), ("x-content-type-options", "nosniff")]
        return HTTPStatus.OK, headers, asset[0]

    def _handle_clock(self, method: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """``GET /_local/clock``: the local time; ``POST``: move it (``AdvanceSeconds``, ``Now``), fire what is due."""
        assert self.clock is not None  # noqa: S101 - started
        fired: list[dict[str, Any]] = []
        if method == "POST":
            try:
                request = json.loads(body) if body else {}
                if not isinstance(request, dict) or not request.keys() <= {"AdvanceSeconds", "Now"}:
                    raise ValueError('body: send {"AdvanceSeconds": n} or {"Now": "<ISO 8601 instant>"}')
                target = datetime.fromisoformat(request["Now"]) if "Now" in request else None
                if target is not None and target.tzinfo is None:
                    raise ValueError("Now: needs a UTC offset")
                seconds = float(request.get("AdvanceSeconds", 0))
                if seconds < 0:
                    raise ValueError("AdvanceSeconds: must not be negative")
            except (ValueError, TypeError) as error:
                return _json_response(HTTPStatus.BAD_REQUEST, _error_body("InvalidRequest", str(error)))
            fired = self.advance_clock(seconds=seconds, to=target)
        now = self.clock.now()
        return _json_response(
            HTTPStatus.OK,
            {"Now": now.isoformat(), "OffsetSeconds": round(self.clock.offset_seconds, 3), "Fired": fired},
        )

    def _handle_schedules(
        self, method: str, raw_path: str, parts: list[str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """``GET /_local/schedules``: every schedule; ``POST /_local/schedules/<Function>[/<Schedule>]``: fire one."""
        if method == "GET" and parts in (["schedules"], ["schedules", ""]):
            return _json_response(HTTPStatus.OK, {"Schedules": self.schedule_list()})
        if method == "POST" and parts[0] == "schedules" and len(parts) in {2, 3}:
            try:
                payload = json.loads(body) if body else None
                invocation = self.fire_schedule(parts[1], parts[2] if len(parts) == 3 else None, payload)
            except json.JSONDecodeError:
                return _json_response(HTTPStatus.BAD_REQUEST, _error_body("InvalidRequest", "body: is not valid JSON"))
            except KeyError as error:
                return _json_response(HTTPStatus.NOT_FOUND, _error_body("NotFound", str(error.args[0])))
            return _json_response(
                HTTPStatus.OK,
                {"ok": invocation.ok, "result": invocation.payload, "durationMs": round(invocation.duration_ms, 1)},
            )
        return _json_response(HTTPStatus.NOT_FOUND, _error_body("NotFound", f"no local route {method} {raw_path}"))

    def _handle_invoke(self, logical_id: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """``POST /_local/invoke/<LogicalId>`` ``{"Event": ..., "Environment": {...}}``: ``sam local invoke`` here."""
        try:
            request = json.loads(body) if body else {}
            if not isinstance(request, dict) or not request.keys() <= {"Event", "Environment"}:
                raise ValueError('body: send {"Event": <the event>, "Environment": {"NAME": "value"}}')
            overrides = request.get("Environment") or {}
            if not isinstance(overrides, dict) or not all(isinstance(v, str) for v in overrides.values()):
                raise ValueError("Environment: must map names to strings")
        except ValueError as error:
            return _json_response(HTTPStatus.BAD_REQUEST, _error_body("InvalidRequest", str(error)))
        try:
            invocation, logs = self.invoke_once(logical_id, request.get("Event", {}), overrides)
        except KeyError:
            names = ", ".join(spec.logical_id for spec in self.stack.functions)
            return _json_response(
                HTTPStatus.NOT_FOUND, _error_body("NotFound", f"no function {logical_id}; one of {names}")
            )
        return _json_response(
            HTTPStatus.OK,
            {
                "ok": invocation.ok,
                "result": invocation.payload,
                "logs": logs,
                "durationMs": round(invocation.duration_ms, 1),
            },
        )

    def _handle_local_route(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if not self._authorize("AWS_IAM", headers)[0]:
            return _json_response(
                HTTPStatus.UNAUTHORIZED, _error_body("Unauthorized", "local routes need the admin key")
            )
        parts = raw_path[len(LOCAL_ROUTES_PREFIX) :].strip("/").split("/")
        if parts == ["clock"] and method in {"GET", "POST"}:
            return self._handle_clock(method, body)
        if parts[0] == "schedules":
            return self._handle_schedules(method, raw_path, parts, body)
        if parts[0] == "invoke" and len(parts) == 2 and method == "POST":
            return self._handle_invoke(parts[1], body)
        return _json_response(HTTPStatus.NOT_FOUND, _error_body("NotFound", f"no local route {method} {raw_path}"))
