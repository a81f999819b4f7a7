"""W5: dollars per million notifications and per million registrations at AWS list prices.

The formula is section 2.1 of the performance anchors (us-east-1 list prices, free tiers ignored):

    $/M = 1000·m·p·d + 0.20·i + 0.625·w + 0.125·r + 0.40·q + 0.00009·g + 0.0005·L + k·m·p·I/1000

with ``m`` the function's memory in GB, ``p`` the price per GB-second, ``d`` billed Lambda ms per
notification, ``i`` invocations, ``w``/``r`` DynamoDB write/read units, ``q`` SQS requests,
``g`` egress bytes and ``L`` log bytes per notification, ``k`` cold starts per million
notifications and ``I`` init ms. Every input is either measured by the benchmark or a stated
assumption (:class:`DeliveryAssumptions`); the report prints both.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: Lambda duration, $ per GB-second (first tier).
ARM64_GB_S = 0.0000133334
X86_GB_S = 0.0000166667
#: $ per million, list prices.
LAMBDA_REQUESTS_PER_M = 0.20
DYNAMODB_WRU_PER_M = 0.625
DYNAMODB_RRU_PER_M = 0.125
SQS_REQUESTS_PER_M = 0.40
HTTP_API_REQUESTS_PER_M = 1.00
EGRESS_PER_GB = 0.09
LOG_INGESTION_PER_GB = 0.50
#: S3 Standard requests, $ per million: PUT, COPY, POST and LIST requests ($0.005 per 1,000), and
#: GET, SELECT and every other request ($0.0004 per 1,000); DELETE requests are free.
S3_PUT_CLASS_REQUESTS_PER_M = 5.00
S3_GET_CLASS_REQUESTS_PER_M = 0.40
#: DynamoDB Standard table storage and S3 Standard storage, $ per GB-month (GB of 2^30 bytes), and
#: the days of a month.
DYNAMODB_STORAGE_GB_MONTH = 0.25
S3_STORAGE_GB_MONTH = 0.023
DAYS_PER_MONTH = 30.44
SNS_MOBILE_PUSH_PER_M = 0.50
PINPOINT_PUSH_PER_M = 1.00
#: Lambda gives a function one full vCPU at this memory size and a proportional share below it.
FULL_VCPU_MB = 1769
#: W6's phases, in the order they run and are reported.
W6_PHASES = ("broadcast", "per_recipient", "personal", "segment")
#: Issue 28's targets, $ per million notifications, W5 measured from W6: a per-recipient send of a
#: message without contact placeholders, the same sends of a message with them (W6's personal
#: phase), a broadcast, a segment send.
PLACEHOLDERS_TARGET_PER_M = 0.14
COST_TARGETS_PER_M = {"per_recipient": 0.10, "personal": PLACEHOLDERS_TARGET_PER_M, "broadcast": 0.06, "segment": 0.06}


@dataclass(frozen=True)
class CostInputs:
    """Per-unit inputs of the formula (one unit = one notification, or one registration).

    Attributes:
        memory_mb: Lambda memory size.
        price_gb_s: $ per GB-second (``ARM64_GB_S`` or ``X86_GB_S``).
        billed_ms: Billed Lambda ms per unit, summed over stages (``d``).
        invocations: Lambda invocations per unit (``i``).
        write_units: DynamoDB write request units per unit (``w``).
        read_units: DynamoDB read request units per unit (``r``).
        sqs_requests: Billable SQS requests per unit (``q``).
        egress_bytes: Bytes leaving AWS per unit (``g``).
        log_bytes: CloudWatch log bytes per unit (``L``).
        cold_starts_per_m: Cold starts per million units (``k``).
        init_ms: Init duration of one cold start (``I``).
        api_requests: API Gateway HTTP API requests per unit (registrations only).
    """

    memory_mb: int
    price_gb_s: float
    billed_ms: float
    invocations: float
    write_units: float = 0.0
    read_units: float = 0.0
    sqs_requests: float = 0.0
    egress_bytes: float = 0.0
    log_bytes: float = 0.0
    cold_starts_per_m: float = 0.0
    init_ms: float = 0.0
    api_requests: float = 0.0


def cost_lines(inputs: CostInputs) -> dict[str, float]:
    """Splits the cost per million units into the formula's terms.

    Args:
        inputs: The per-unit inputs.

    Returns:
        Dollars per million units for each term, in the formula's order (zero terms included).
    """
    gb = inputs.memory_mb / 1024
    return {
        "Lambda duration": 1000 * gb * inputs.price_gb_s * inputs.billed_ms,
        "Lambda requests": LAMBDA_REQUESTS_PER_M * inputs.invocations,
        "API Gateway (HTTP API)": HTTP_API_REQUESTS_PER_M * inputs.api_requests,
        "DynamoDB writes": DYNAMODB_WRU_PER_M * inputs.write_units,
        "DynamoDB reads": DYNAMODB_RRU_PER_M * inputs.read_units,
        "SQS": SQS_REQUESTS_PER_M * inputs.sqs_requests,
        "Egress": EGRESS_PER_GB / 1e9 * 1e6 * inputs.egress_bytes,
        "Logs": LOG_INGESTION_PER_GB / 1e9 * 1e6 * inputs.log_bytes,
        "Lambda INIT": inputs.cold_starts_per_m * gb * inputs.price_gb_s * inputs.init_ms / 1000,
    }


def cost_per_million(inputs: CostInputs) -> float:
    """Dollars per million units: the sum of :func:`cost_lines`."""
    return sum(cost_lines(inputs).values())


def lambda_billed_ms(wall_ms: float, cpu_ms: float, memory_mb: int) -> float:
    """Billed ms of work measured on a full core, on a Lambda function of ``memory_mb``.

    Below 1,769 MB a function gets that fraction of a vCPU, so its CPU time stretches by the inverse;
    the work can finish no sooner than its measured wall time (the provider latency it waits on).

    Args:
        wall_ms: Wall time measured locally.
        cpu_ms: CPU time measured locally.
        memory_mb: The function's memory size.
    """
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    return max(wall_ms, cpu_ms / share)


def dynamodb_write_units(item_bytes: float) -> int:
    """Write request units of one standard write of an item this size (1 per started KB)."""
    return max(1, math.ceil(item_bytes / 1024))


@dataclass(frozen=True)
class DeliveryAssumptions:
    """How the delivery path batches work; the design's choices, until send_fanout and deliver_push measure them.

    Attributes:
        devices_per_user: Valid devices per recipient (one fan-out Query each).
        query_read_units: Read units of one per-user Query (eventually consistent, ≤4 KB).
        devices_per_message: Device jobs packed into one SQS message (≤64 KB, one billed chunk).
        messages_per_invocation: SQS batch size of the sender (messages per invocation).
        recipients_per_send: Recipients of one send request (fan-out invocations are amortised over them).
        ledger_bytes_per_outcome: Bytes one (send, user, device) outcome adds to the ledger item written
            per SQS message.
        idempotency_writes_per_message: Writes of the idempotency record per SQS message (before and after).
        checkpoint_writes_per_message: Checkpoint writes of a job's claim (one per window of 25 devices
            after the first, 1 WRU each as measured by ``tests/integration/test_delivery_checkpoints.py``).
        counter_writes_per_invocation: Insight counter updates per sender invocation.
        invalid_token_rate: Share of tokens the provider reports gone (one conditional write each).
        egress_overhead_bytes: HTTP/2 frame, HPACK-compressed header and TLS bytes around each payload.
        log_bytes_per_invocation: Log and EMF bytes one sender invocation writes (no per-notification lines).
        cold_start_share: Share of sender invocations that are cold starts.
    """

    devices_per_user: float = 1.5
    query_read_units: float = 0.5
    devices_per_message: int = 100
    messages_per_invocation: int = 1
    recipients_per_send: int = 1000
    ledger_bytes_per_outcome: int = 60
    idempotency_writes_per_message: int = 2
    checkpoint_writes_per_message: int = 3
    counter_writes_per_invocation: int = 1
    invalid_token_rate: float = 0.02
    egress_overhead_bytes: int = 120
    log_bytes_per_invocation: int = 1500
    cold_start_share: float = 0.01

    @property
    def notifications_per_invocation(self) -> int:
        """Notifications one sender invocation delivers."""
        return self.devices_per_message * self.messages_per_invocation


def delivery_inputs(
    assumptions: DeliveryAssumptions,
    *,
    memory_mb: int,
    wall_ms_per_notification: float,
    cpu_ms_per_notification: float,
    payload_bytes: int,
    init_ms: float,
) -> CostInputs:
    """Builds the per-notification inputs of the delivery path from measured figures and assumptions.

    Args:
        assumptions: Batching and sizes.
        memory_mb: The sender's memory size (from template.yaml).
        wall_ms_per_notification: Sender wall ms per notification, measured locally on a full core.
        cpu_ms_per_notification: Sender CPU ms per notification, measured locally.
        payload_bytes: Size of one encoded APNs payload.
        init_ms: The sender's measured init (process start to first accepted notification).
    """
    per_invocation = assumptions.notifications_per_invocation
    ledger_item_wru = dynamodb_write_units(assumptions.ledger_bytes_per_outcome * assumptions.devices_per_message)
    writes = (
        (ledger_item_wru + assumptions.idempotency_writes_per_message + assumptions.checkpoint_writes_per_message)
        / assumptions.devices_per_message
        + assumptions.counter_writes_per_invocation / per_invocation
        + assumptions.invalid_token_rate
    )
    # Each SQS message (≤64 KB) is one billed chunk when sent and again when received, even in batches
    # of ten (billing counts 64 KB chunks); one delete per invocation (the sender takes one job at a time).
    sqs = (2 + 1 / assumptions.messages_per_invocation) / assumptions.devices_per_message
    fanout_invocations = 1 / (assumptions.recipients_per_send * assumptions.devices_per_user)
    invocations_per_m = 1e6 / per_invocation
    return CostInputs(
        memory_mb=memory_mb,
        price_gb_s=ARM64_GB_S,
        billed_ms=lambda_billed_ms(wall_ms_per_notification, cpu_ms_per_notification, memory_mb),
        invocations=1 / per_invocation + fanout_invocations,
        write_units=writes,
        read_units=assumptions.query_read_units / assumptions.devices_per_user,
        sqs_requests=sqs,
        egress_bytes=payload_bytes + assumptions.egress_overhead_bytes,
        log_bytes=assumptions.log_bytes_per_invocation / per_invocation,
        cold_starts_per_m=invocations_per_m * assumptions.cold_start_share,
        init_ms=init_ms,
    )


def registration_inputs(
    *,
    memory_mb: int,
    wall_ms: float | None,
    cpu_ms: float | None,
    write_units: float | None,
    read_units: float | None,
    log_bytes: float = 300,
    sqs_requests: float = 0.0,
    worker_invocations: float = 0.0,
) -> CostInputs:
    """Per-registration inputs: one HTTP API request and one invocation, plus what W1 measured.

    Unmeasured figures count as zero, so the result is then a floor (API Gateway and Lambda requests).
    A v2 registration adds the registration queue's requests and a share of a worker invocation;
    ``wall_ms``/``cpu_ms`` then include the worker's time.
    """
    billed = lambda_billed_ms(wall_ms, cpu_ms or 0.0, memory_mb) if wall_ms is not None else 0.0
    return CostInputs(
        memory_mb=memory_mb,
        price_gb_s=ARM64_GB_S,
        billed_ms=billed,
        invocations=1 + worker_invocations,
        api_requests=1,
        write_units=write_units or 0.0,
        read_units=read_units or 0.0,
        sqs_requests=sqs_requests,
        log_bytes=log_bytes,
    )


#: Bytes around each APNs payload, an estimate: the HEADERS frame (9 B) with HPACK's Huffman-coded
#: ``:path`` (the 64-digit token, never in the header table: about 55 B) and ``apns-id`` (about 27 B)
#: and the indexed rest (about 8 B), the DATA frame header (9 B), a TLS record's header and tag
#: (21 B) and a share of TCP/IP headers (about 10 B, several requests a segment).
EGRESS_OVERHEAD_BYTES = 140
#: Lambda's own START / END / REPORT lines (JSON log format) per invocation.
PLATFORM_LOG_BYTES_PER_INVOCATION = 350
#: Functions whose local log files are their CloudWatch log groups (the rest are local services).
LOGGED_FUNCTIONS = ("SendFanoutFunction", "ExpandAudienceFunction", "DeliverPushFunction")


def _per_million(amount: float, notifications: int) -> float:
    return amount / notifications * 1e6 if notifications else 0.0


def measured_delivery_cost(
    phase: dict[str, Any],
    memory_mb: dict[str, int],
    *,
    payload_bytes: int,
    logical_ids: dict[str, str],
    retention_days: int | None = None,
) -> dict[str, Any]:
    """Dollars per million notifications from a metered W6 phase (every input measured, but egress).

    Args:
        phase: A W6 phase (``bench.w6.Phase.as_json``): meters, invocations, log bytes, notifications.
        memory_mb: Memory of each function by code directory (template.yaml).
        payload_bytes: The APNs payload of the notification sent.
        logical_ids: Function logical id → code directory.
        retention_days: How long the send's ledger stays stored (``InteractionRetentionDays``); with
            the phase's measured ``stored`` bytes (DynamoDB items and S3 objects), it prices the ledger's
            storage (``storage``, kept apart from the per-request terms and their ``total``).

    Returns:
        ``lines`` ($/M by term), ``total``, ``dynamodb`` (units and $/M per notification by function
        and operation), ``sqs`` (billed requests per notification by queue and operation), ``s3``
        (requests per notification by function and operation; empty when no function made one) and
        the idle polling seen (empty receives, not charged to notifications).
    """
    notifications = int(phase["notifications"])
    lambda_duration = 0.0
    cpu_bound_duration = 0.0
    lambda_requests = 0
    for logical, figures in phase["invocations"].items():
        memory = memory_mb[logical_ids.get(logical, logical)]
        gb = memory / 1024
        lambda_duration += figures["billed_ms"] / 1000 * gb * ARM64_GB_S
        # What the work would bill if every service answered at once: its CPU time, stretched by
        # the share of a vCPU the memory size buys (a lower bound; the measured one is the upper).
        cpu_bound_duration += figures["cpu_ms"] / min(1.0, memory / FULL_VCPU_MB) / 1000 * gb * ARM64_GB_S
        lambda_requests += figures["invocations"]
    dynamodb: list[dict[str, Any]] = []
    reads = writes = 0.0
    for function, operation, figures in _operations(phase["meter_by_function"], "dynamodb", logical_ids):
        read, write = figures["read_units"], figures["write_units"]
        reads += read
        writes += write
        dynamodb.append(
            {
                "function": function,
                "operation": operation,
                "calls_per_1k": figures["calls"] / notifications * 1000,
                "rru": read / notifications,
                "wru": write / notifications,
                "usd_per_m": _per_million(
                    (read * DYNAMODB_RRU_PER_M + write * DYNAMODB_WRU_PER_M) / 1e6, notifications
                ),
            }
        )
    s3_rows, s3_put_class, s3_get_class = _s3_requests(phase["meter_by_function"], logical_ids, notifications)
    sqs_rows: list[dict[str, Any]] = []
    sqs_billed = 0.0
    idle = 0.0
    for queue, operations in phase["meter"]["sqs"].items():
        for operation, figures in operations.items():
            empty = figures.get("empty_receives", 0)
            billed = figures["billed_requests"] - empty
            idle += empty
            sqs_billed += billed
            if billed:
                sqs_rows.append(
                    {"queue": queue.rsplit("-", 1)[-1], "operation": operation, "requests": billed / notifications}
                )
    log_bytes = sum(
        size for name, size in phase["log_bytes"].items() if name.split(".")[0].split("-")[0] in LOGGED_FUNCTIONS
    )
    log_bytes += PLATFORM_LOG_BYTES_PER_INVOCATION * lambda_requests
    api_requests = int(phase.get("sends", 0))
    lines = {
        "Lambda duration": _per_million(lambda_duration, notifications),
        "Lambda requests": _per_million(lambda_requests * LAMBDA_REQUESTS_PER_M / 1e6, notifications),
        "API Gateway (HTTP API)": _per_million(api_requests * HTTP_API_REQUESTS_PER_M / 1e6, notifications),
        "DynamoDB writes": _per_million(writes * DYNAMODB_WRU_PER_M / 1e6, notifications),
        "DynamoDB reads": _per_million(reads * DYNAMODB_RRU_PER_M / 1e6, notifications),
        "SQS": _per_million(sqs_billed * SQS_REQUESTS_PER_M / 1e6, notifications),
        "S3 requests": _per_million(s3_requests_usd(s3_put_class, s3_get_class), notifications),
        "Egress": egress_per_million(payload_bytes),
        "Logs": _per_million(log_bytes * LOG_INGESTION_PER_GB / 1e9, notifications),
    }
    return {
        "lines": lines,
        "total": sum(lines.values()),
        "per_notification": {
            "rru": reads / notifications,
            "wru": writes / notifications,
            "sqs_requests": sqs_billed / notifications,
            "s3_requests": (s3_put_class + s3_get_class) / notifications,
            "lambda_invocations": lambda_requests / notifications,
            "lambda_billed_ms": sum(f["billed_ms"] for f in phase["invocations"].values()) / notifications,
            "egress_bytes": payload_bytes + EGRESS_OVERHEAD_BYTES,
            "log_bytes": log_bytes / notifications,
        },
        "lambda_duration_cpu_bound": _per_million(cpu_bound_duration, notifications),
        "storage": ledger_storage(phase.get("stored") or {}, notifications, retention_days),
        "dynamodb": sorted(dynamodb, key=lambda row: -row["usd_per_m"]),
        "sqs": sqs_rows,
        "s3": s3_rows,
        "idle_receives": idle,
    }


def _s3_requests(
    meter_by_function: dict[str, dict[str, Any]], logical_ids: dict[str, str], notifications: int
) -> tuple[list[dict[str, Any]], float, float]:
    """A phase's S3 requests by function and operation (per notification, with their $/M), and its
    PUT-class and GET-class request counts."""
    rows: list[dict[str, Any]] = []
    put_total = get_total = 0.0
    for function, operation, figures in _operations(meter_by_function, "s3", logical_ids):
        put_class, get_class = figures["put_class_requests"], figures["get_class_requests"]
        put_total += put_class
        get_total += get_class
        rows.append(
            {
                "function": function,
                "operation": operation,
                "requests": figures["calls"] / notifications,
                "error_responses": figures["error_responses"] / notifications,
                "usd_per_m": _per_million(s3_requests_usd(put_class, get_class), notifications),
            }
        )
    return sorted(rows, key=lambda row: -row["usd_per_m"]), put_total, get_total


def _operations(
    meter_by_function: dict[str, dict[str, Any]], service: str, logical_ids: dict[str, str]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Each metered operation of one service (``dynamodb``, ``s3``) as (function, operation, figures),
    over every table or bucket. A phase metered before the ledger moved to S3 has no ``s3`` meters: no
    S3 request was made."""
    for logical, meter in meter_by_function.items():
        for resource_operations in meter.get(service, {}).values():
            for operation, figures in resource_operations.items():
                yield logical_ids.get(logical, logical), operation, figures


def s3_requests_usd(put_class: float, get_class: float) -> float:
    """Dollars of S3 Standard requests: ``put_class`` PUT, COPY, POST or LIST requests and ``get_class``
    GET, SELECT or other requests (``bench.metering`` sorts them)."""
    return (put_class * S3_PUT_CLASS_REQUESTS_PER_M + get_class * S3_GET_CLASS_REQUESTS_PER_M) / 1e6


def ledger_storage(stored: dict[str, int], notifications: int, retention_days: int | None) -> dict[str, Any] | None:
    """What keeping a send's ledger for its retention costs per million notifications, from the
    DynamoDB items and S3 objects it left stored and their bytes (``bench.storage``); ``None`` when
    no bytes were measured or the retention is unknown.

    ``usd_per_m`` and ``bytes_per_notification`` are DynamoDB's (as in results recorded before the
    ledger had S3 objects), the ``s3_`` figures S3 Standard's; ``s3_bytes`` is 0 for a stack without
    a ledger bucket.
    """
    dynamodb_bytes, s3_bytes = stored.get("bytes", 0), stored.get("s3_bytes", 0)
    if not (dynamodb_bytes or s3_bytes) or not retention_days:
        return None
    months = retention_days / DAYS_PER_MONTH

    def gb_months(size: float) -> float:
        return size / notifications * 1e6 / 2**30 * months

    return {
        "bytes_per_notification": dynamodb_bytes / notifications,
        "items_per_notification": stored.get("items", 0) / notifications,
        "retention_days": retention_days,
        "usd_per_m": gb_months(dynamodb_bytes) * DYNAMODB_STORAGE_GB_MONTH,
        "s3_bytes_per_notification": s3_bytes / notifications,
        "s3_objects_per_notification": stored.get("s3_objects", 0) / notifications,
        "s3_usd_per_m": gb_months(s3_bytes) * S3_STORAGE_GB_MONTH,
    }


def egress_per_million(payload_bytes: int) -> float:
    """$ per million notifications of ``payload_bytes`` and ``EGRESS_OVERHEAD_BYTES`` each, sent to the internet."""
    return (payload_bytes + EGRESS_OVERHEAD_BYTES) * EGRESS_PER_GB / 1e9 * 1e6


def _floor(payload_bytes: int, reads_label: str, read_units: float) -> dict[str, float]:
    """A floor's terms: egress and the device reads no send can skip, with their total."""
    lines = {"Egress": egress_per_million(payload_bytes), reads_label: read_units * DYNAMODB_RRU_PER_M}
    return lines | {"total": sum(lines.values())}


def per_recipient_floor(devices_per_recipient: float, payload_bytes: int) -> dict[str, float]:
    """The floor of a per-recipient send: egress, and one eventually consistent device ``Query``
    (≤ 4 KB: 0.5 RRU) per recipient, shared by the recipient's devices."""
    return _floor(payload_bytes, "DynamoDB reads (one device Query per recipient)", 0.5 / devices_per_recipient)


def broadcast_floor(device_read_rru: float, payload_bytes: int) -> dict[str, float]:
    """The floor of a broadcast: egress, and each device read once in bulk from the device index
    (``device_read_rru`` per device, as the broadcast's own index reads measured it)."""
    return _floor(payload_bytes, "DynamoDB reads (each device once from the index)", device_read_rru)
