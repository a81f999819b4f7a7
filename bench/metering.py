"""Counts what a run costs on AWS's meters: DynamoDB units, SQS and S3 billed requests, per call.

Installed in a process before any botocore session exists (:func:`install`), it adds two handlers
to botocore's built-in list, so every session (boto3's default one, or a bare botocore one) gets
them: ``before-parameter-build.dynamodb.*`` sets ``ReturnConsumedCapacity=TOTAL`` and
``after-call.*`` adds what came back. Nothing in ``pushgate`` changes.

* DynamoDB: the ``ConsumedCapacity`` DynamoDB (Local) returns, by table and operation. A response
  without it is counted in ``unmetered_calls`` (the report says so if that is ever non-zero).
  DynamoDB Local reports none for a PartiQL ``SELECT ... WHERE pk IN [...]``: such a statement is
  priced as a ``Query`` of each partition it names (half a unit per started 4 KB of the partition's
  items, eventually consistent; one a 4 KB consistent; at least one 4 KB per partition, found or
  not), summed over its pages, which is what it would cost as one ``Query`` per partition.
* SQS: billed requests as AWS bills them, one per started 64 KiB of payload (the bodies and
  attributes sent or received), at least one per call; empty receives count too.
* S3: every request, by bucket and operation, in the class AWS prices it at: PUT, COPY, POST and LIST
  requests, or GET, SELECT and the rest; DELETE requests are free. An error response is billed as
  well (a conditional ``PutObject`` that finds the object answers 412): botocore emits ``after-call``
  for it before raising, so it is counted, and ``error_responses`` says how many there were.

Each process writes its totals to ``<directory>/<pid>.json`` (``PUSHGATE_METER_DIR``) at most every
half second while it works, from a background thread, and at exit; :func:`collect` adds the files up.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import pathlib
import re
import threading
import time
from collections import defaultdict
from typing import Any

from bench.storage import ITEM_OVERHEAD_BYTES, item_bytes

METER_DIR_VARIABLE = "PUSHGATE_METER_DIR"
SQS_CHUNK_BYTES = 64 * 1024
#: DynamoDB's data operations, each of which reports the capacity it consumed when asked.
DYNAMODB_OPERATIONS = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
    "ExecuteStatement",
)
#: Those of them that consume read units.
READ_OPERATIONS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
#: A PartiQL read of many partitions, as Pushgate writes it: the table, and the partition key named.
_PARTITIONS_SELECT = re.compile(r'^SELECT .+? FROM "(?P<table>[^"]+)" WHERE "(?P<key>[^"]+)" IN \[')
#: The size a read unit (eventually consistent: half a unit) covers.
READ_UNIT_BYTES = 4096
#: S3 requests AWS bills as GET requests although they are sent as ``POST`` (a select is priced as a GET).
S3_GET_CLASS_POSTS = frozenset({"SelectObjectContent"})
_DUMP_INTERVAL_S = 0.5


def _reads(operation: str, params: dict[str, Any]) -> bool:
    """Whether a call consumes read units: a read operation, or a PartiQL ``SELECT``."""
    if operation == "ExecuteStatement":
        return str(params.get("Statement", "")).lstrip().upper().startswith("SELECT")
    return operation in READ_OPERATIONS


class Meter:
    """Totals of one process by operation: ``dynamodb[table][operation]``, ``sqs[queue]...``, ``s3[bucket]...``."""

    def __init__(self, directory: pathlib.Path | None) -> None:
        """Counts into memory; writes to ``directory`` when one is given."""
        self.directory = directory
        self._lock = threading.Lock()
        self._dirty = False
        self.dynamodb: dict[str, dict[str, dict[str, float]]] = defaultdict(
            lambda: defaultdict(lambda: {"calls": 0, "read_units": 0.0, "write_units": 0.0})
        )
        self.sqs: dict[str, dict[str, dict[str, float]]] = defaultdict(
            lambda: defaultdict(
                lambda: {"calls": 0, "billed_requests": 0, "messages": 0, "bytes": 0, "empty_receives": 0}
            )
        )
        self.s3: dict[str, dict[str, dict[str, float]]] = defaultdict(
            lambda: defaultdict(
                lambda: {"calls": 0, "put_class_requests": 0, "get_class_requests": 0, "error_responses": 0}
            )
        )
        self.unmetered_calls = 0
        # A paged PartiQL read's partitions and their bytes so far, by the NextToken its next page sends.
        self._statements: dict[str, tuple[list[str], dict[str, int]]] = {}

    # ------------------------------------------------------------------ handlers
    @staticmethod
    def ask_for_capacity(params: dict[str, Any], **_: Any) -> None:
        """``before-parameter-build``: every DynamoDB call returns its consumed capacity."""
        params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def after_call(self, http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        """``after-call``: adds one call's units (DynamoDB) or billed requests (SQS, S3)."""
        service = model.service_model.service_name if hasattr(model, "service_model") else ""
        params = (kwargs.get("context") or {}).get("pushgate_params") or {}
        with self._lock:
            if service == "dynamodb":
                self._count_dynamodb(model.name, params, parsed)
            elif service == "sqs":
                self._count_sqs(model.name, params, parsed)
            elif service == "s3":
                self._count_s3(model, params, parsed)
            else:
                return
            self._dirty = True

    @staticmethod
    def remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """``before-parameter-build`` (SQS, S3): keeps the request so ``after_call`` can size what was sent
        and tell which queue or bucket it went to."""
        context["pushgate_params"] = params

    def _count_dynamodb(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        consumed = parsed.get("ConsumedCapacity")
        if consumed is None and operation == "ExecuteStatement" and self._count_partitions_select(params, parsed):
            return
        if consumed is None:
            # Control-plane calls (CreateTable, DescribeTable) have no units to report.
            if operation in DYNAMODB_OPERATIONS:
                self.unmetered_calls += 1
            return
        entries = consumed if isinstance(consumed, list) else [consumed]
        for entry in entries:
            table = str(entry.get("TableName", "?"))
            totals = self.dynamodb[table][operation]
            totals["calls"] += 1
            read = entry.get("ReadCapacityUnits")
            write = entry.get("WriteCapacityUnits")
            if read is None and write is None:
                # Only CapacityUnits: reads and writes are told apart by the operation (a PartiQL
                # statement's by its verb).
                units = float(entry.get("CapacityUnits", 0.0))
                key = "read_units" if _reads(operation, params) else "write_units"
                totals[key] += units
            else:
                totals["read_units"] += float(read or 0.0)
                totals["write_units"] += float(write or 0.0)

    def _count_partitions_select(self, params: dict[str, Any], parsed: dict[str, Any]) -> bool:
        """Prices one page of a ``SELECT ... WHERE pk IN [...]`` as a ``Query`` of each partition it
        names, once its last page is in; ``False`` for any other statement."""
        shape = _PARTITIONS_SELECT.match(str(params.get("Statement", "")))
        if shape is None:
            return False
        totals = self.dynamodb[shape["table"]]["ExecuteStatement"]
        totals["calls"] += 1
        earlier = self._statements.pop(str(params["NextToken"]), None) if params.get("NextToken") else None
        partitions, sizes = earlier or ([str(value.get("S")) for value in params.get("Parameters", [])], {})
        for item in parsed.get("Items", []):
            partition = str(item[shape["key"]].get("S"))
            sizes[partition] = sizes.get(partition, 0) + item_bytes(item) - ITEM_OVERHEAD_BYTES
        if parsed.get("NextToken"):
            self._statements[str(parsed["NextToken"])] = (partitions, sizes)
            return True
        unit = 1.0 if params.get("ConsistentRead") else 0.5
        totals["read_units"] += sum(
            unit * max(1, math.ceil(sizes.get(partition, 0) / READ_UNIT_BYTES)) for partition in partitions
        )
        return True

    def _count_sqs(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        queue = str(params.get("QueueUrl", "?")).rsplit("/", 1)[-1]
        if operation == "SendMessage":
            sizes = [_message_bytes(params)]
        elif operation == "SendMessageBatch":
            sizes = [_message_bytes(entry) for entry in params.get("Entries", [])]
        elif operation == "ReceiveMessage":
            sizes = [_message_bytes(message) for message in parsed.get("Messages", [])]
        else:
            sizes = []
        payload = sum(sizes)
        totals = self.sqs[queue][operation]
        totals["calls"] += 1
        totals["messages"] += len(sizes) if operation != "DeleteMessageBatch" else len(params.get("Entries", []))
        totals["bytes"] += payload
        totals["billed_requests"] += max(1, math.ceil(payload / SQS_CHUNK_BYTES))
        if operation == "ReceiveMessage" and not sizes:
            # Idle polling: billed, but by the hour of polling, not by the notifications sent.
            totals["empty_receives"] += 1

    def _count_s3(self, model: Any, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        totals = self.s3[str(params.get("Bucket", "?"))][model.name]
        totals["calls"] += 1
        billed_as = s3_request_class(model.name, str((getattr(model, "http", None) or {}).get("method", "GET")))
        if billed_as:
            totals[f"{billed_as}_class_requests"] += 1
        if int((parsed.get("ResponseMetadata") or {}).get("HTTPStatusCode", 200)) >= 300:
            totals["error_responses"] += 1

    # ------------------------------------------------------------------ persistence
    def snapshot(self) -> dict[str, Any]:
        """The totals as plain JSON."""
        with self._lock:
            return {
                "dynamodb": {table: dict(ops) for table, ops in self.dynamodb.items()},
                "sqs": {queue: dict(ops) for queue, ops in self.sqs.items()},
                "s3": {bucket: dict(ops) for bucket, ops in self.s3.items()},
                "unmetered_calls": self.unmetered_calls,
            }

    def dump(self) -> None:
        """Writes the totals beside and renames them into place (a reader never sees half a file)."""
        if self.directory is None or not self.directory.is_dir():
            return  # not metering, or the run that read the meters has already removed them
        self._dirty = False
        # Named by function (Lambda's variable, set in every local worker) so units can be told apart.
        function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
        path = self.directory / f"{function}.{os.getpid()}.json"
        staged = path.with_suffix(".tmp")
        staged.write_text(json.dumps(self.snapshot()))
        staged.replace(path)

    def _keep_dumping(self) -> None:
        while True:
            time.sleep(_DUMP_INTERVAL_S)
            if self._dirty:
                self.dump()


def s3_request_class(operation: str, http_method: str) -> str | None:
    """The price class of an S3 request (S3 Standard): ``"put"`` for PUT, COPY, POST and LIST requests,
    ``"get"`` for GET, SELECT and every other request, ``None`` for the free DELETE requests."""
    if http_method == "DELETE":
        return None
    if operation in S3_GET_CLASS_POSTS:
        return "get"
    # Listings are GETs on the wire but priced with the writes.
    return "put" if http_method in {"PUT", "POST"} or operation.startswith("List") else "get"


def _message_bytes(message: dict[str, Any]) -> int:
    size = len(str(message.get("MessageBody", message.get("Body", ""))).encode())
    for name, attribute in (message.get("MessageAttributes") or {}).items():
        size += len(name.encode()) + len(str(attribute.get("DataType", "")).encode())
        size += len(str(attribute.get("StringValue", "")).encode()) + len(attribute.get("BinaryValue", b"") or b"")
    return size


_installed: Meter | None = None


def install(directory: pathlib.Path | str | None = None) -> Meter:
    """Registers the handlers for every botocore session made from now on; returns the process's meter.

    Args:
        directory: Where to write the totals; ``PUSHGATE_METER_DIR`` when omitted, nowhere if unset.
    """
    global _installed  # noqa: PLW0603 - one meter per process, like the sessions it hooks
    if _installed is not None:
        return _installed
    from botocore import handlers  # noqa: PLC0415 - only in processes being metered

    where = directory if directory is not None else os.environ.get(METER_DIR_VARIABLE)
    meter = Meter(pathlib.Path(where) if where else None)
    for operation in DYNAMODB_OPERATIONS:
        handlers.BUILTIN_HANDLERS.append((f"before-parameter-build.dynamodb.{operation}", meter.ask_for_capacity))
    handlers.BUILTIN_HANDLERS.append(("before-parameter-build.dynamodb.ExecuteStatement", meter.remember_params))
    handlers.BUILTIN_HANDLERS.append(("before-parameter-build.sqs", meter.remember_params))
    handlers.BUILTIN_HANDLERS.append(("before-parameter-build.s3", meter.remember_params))
    handlers.BUILTIN_HANDLERS.append(("after-call", meter.after_call))
    if meter.directory is not None:
        meter.directory.mkdir(parents=True, exist_ok=True)
        atexit.register(meter.dump)
        threading.Thread(target=meter._keep_dumping, name="meter-dump", daemon=True).start()
    _installed = meter
    return meter


def collect(directory: pathlib.Path, function: str | None = None) -> dict[str, Any]:
    """Adds up every process's totals in ``directory`` (only one function's, when named)."""
    dynamodb: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    sqs: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    s3: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    unmetered = 0
    for path in sorted(directory.glob(f"{function}.*.json" if function else "*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        unmetered += int(data.get("unmetered_calls", 0))
        # A process metered before S3 was has no ``s3`` totals: it made no S3 request anyone counted.
        sources = ((dynamodb, data.get("dynamodb", {})), (sqs, data.get("sqs", {})), (s3, data.get("s3", {})))
        for target, source in sources:
            for resource, operations in source.items():
                for operation, figures in operations.items():
                    for name, value in figures.items():
                        target[resource][operation][name] += value
    return {
        "dynamodb": {t: {o: dict(f) for o, f in ops.items()} for t, ops in dynamodb.items()},
        "sqs": {q: {o: dict(f) for o, f in ops.items()} for q, ops in sqs.items()},
        "s3": {b: {o: dict(f) for o, f in ops.items()} for b, ops in s3.items()},
        "unmetered_calls": unmetered,
    }


def difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """``after - before`` of two :func:`collect` results (what one phase of a run consumed)."""
    result: dict[str, Any] = {"unmetered_calls": after["unmetered_calls"] - before["unmetered_calls"]}
    for service in ("dynamodb", "sqs", "s3"):
        result[service] = {}
        for resource, operations in after.get(service, {}).items():
            for operation, figures in operations.items():
                earlier = before.get(service, {}).get(resource, {}).get(operation, {})
                delta = {name: value - earlier.get(name, 0) for name, value in figures.items()}
                if any(delta.values()):
                    result[service].setdefault(resource, {})[operation] = delta
    return result
