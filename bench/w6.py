"""W6: a 100,000-device send through the real handlers, and W5's cost measured from it.

The local runtime runs the real ``template.yaml``: the send goes in as ``POST /admin/v1/orgs/{orgId}/sends``
over HTTP to the ``send_fanout`` handler, its pages and jobs travel through SQS (moto server) to the
``expand_audience`` and ``deliver_push`` handlers, which the runtime polls into their own worker
processes as Lambda's event source mappings would (``QUEUE_WORKERS`` execution environments each),
and the provider simulator answers every notification after 20 ms.

Seeding is not part of what is measured: the org, the app and the message are created over the API,
the people and devices are written straight into DynamoDB Local with ``BatchWriteItem`` (the items
the repositories would write, device index entries included, without the token-owner items a send
never reads).

Two phases, each metered on its own:

* **Broadcast** (W6): one send with ``"Audience": "AllActiveDevices"`` to every seeded device.
* **Per-recipient**: sends naming ``PER_RECIPIENT_SEND`` recipients each (1 or 2 devices a person),
  until ``per_recipient_users`` people are covered.
* **Segment**: a second org of ``segment_people`` directory contacts (1 or 2 devices each, as
  above), every other pair of them with the custom attribute ``tier`` ``'gold'`` and the rest
  ``'silver'``, gets one send with ``"Audience": {"Filter": SEGMENT_FILTER, "Kind": "contacts"}``:
  the audience worker reads every contact of the org page by page and sends to the half that match.
  It is seeded after the other phases, in an org of its own, so the broadcast's population and
  figures are the same with or without it.

After each phase the simulator's record (notifications per token) and the ledger (every page of
``GET .../recipients``) are compared with the expected devices: lost and duplicated must be 0 / 0,
and nobody else may be reached (a segment's non-matching people included).

Metering (``bench.metering``) is installed in the bench process and, through the runtime's worker
preload, in every function worker: DynamoDB's ``ConsumedCapacity`` of every call, SQS billed
requests, S3 requests, and each invocation's duration and CPU time as the runtime measured them.
After each phase the bench sizes what its sends left stored (``bench.storage``): the items of their
partitions and tracking keys, and their jobs' outcome objects in the ledger bucket.
"""

from __future__ import annotations

import hashlib
import json
import math
import pathlib
import shutil
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import boto3

from bench import cost, environments, metering, storage
from bench.common import device_token
from bench.local_stack import admin_client, create_ios_app
from pushgate_local.invoker import Invocation
from pushgate_local.runtime import LocalRuntime, RuntimeConfig

if TYPE_CHECKING:
    from pushgate.models.send import SendRecord

LATENCY_MS = 20
#: Execution environments per SQS event source (Lambda would run up to 1,000; two cores run few).
QUEUE_WORKERS = 3
#: Recipients per per-recipient send: well inside the API's 10,000, so the synchronous fan-out
#: finishes inside the function's 30 s timeout on a loaded 2-core machine.
PER_RECIPIENT_SEND = 2000
SEED_PARALLELISM = 8
SEEDED_AT = datetime.now(UTC) - timedelta(days=1)
COMPLETION_TIMEOUT_S = 3600.0
#: The segment phase's filter: a custom attribute about half of its people have.
SEGMENT_FILTER = "customattributes/tier eq 'gold'"
#: People of the segment phase's org (``--w6-segment-people``); the filter matches half of them.
SEGMENT_PEOPLE = 200_000
#: Where the segment population's device tokens start (apart from the broadcast population's).
SEGMENT_TOKEN_BASE = 10**12
TITLE = "Flash sale"
#: The personal phase's message: a contact placeholder, so the send needs every recipient's record.
PERSONAL_TITLE = "Flash sale, {{contact.firstname}}"
BODY = "Everything is 20% off until midnight."
FUNCTION_NAMES = {
    "SendFanoutFunction": "send_fanout",
    "ExpandAudienceFunction": "expand_audience",
    "DeliverPushFunction": "deliver_push",
}
#: The template's bucket of the jobs' outcome objects (``LEDGER_BUCKET``).
LEDGER_BUCKET = "LedgerBucket"


@dataclass
class Population:
    """What was seeded: user ids in order, each user's device tokens, who matches the segment filter."""

    org_id: str = ""
    app_id: str = ""
    message_id: str = ""
    users: list[str] = field(default_factory=list)
    devices: dict[str, list[str]] = field(default_factory=dict)
    matching: list[str] = field(default_factory=list)

    def tokens(self, users: list[str] | None = None) -> list[str]:
        """The tokens of the given users (all when omitted)."""
        chosen = self.users if users is None else users
        return [token for user in chosen for token in self.devices[user]]


@dataclass
class InvocationLog:
    """Every invocation the runtime made, by function (duration and CPU ms)."""

    records: dict[str, list[tuple[float, float | None, bool]]] = field(default_factory=lambda: defaultdict(list))

    def __call__(self, logical_id: str, invocation: Invocation) -> None:
        self.records[logical_id].append(
            (invocation.duration_ms, invocation.cpu_ms, invocation.cold_start_ms is not None)
        )

    def marks(self) -> dict[str, int]:
        """Where each function's record stands now (to take a phase's share later)."""
        return {name: len(values) for name, values in self.records.items()}

    def since(self, marks: dict[str, int]) -> dict[str, list[tuple[float, float | None, bool]]]:
        """The invocations made after ``marks``."""
        return {name: values[marks.get(name, 0) :] for name, values in self.records.items()}


def _unmetered_client(service: str, endpoint_url: str, region: str) -> Any:
    """A client of a local service the meters ignore (the harness's own reads are not the send's cost)."""
    import botocore.session  # noqa: PLC0415

    session = botocore.session.Session()
    meter = metering.install()
    # botocore calls handlers with keywords only; the stubs' handler protocol cannot say that the
    # meter's also accept them by position.
    session.unregister("after-call", cast("Any", meter.after_call))
    for operation in ("GetItem", "Query", "BatchWriteItem"):
        session.unregister(f"before-parameter-build.dynamodb.{operation}", cast("Any", meter.ask_for_capacity))
    return session.create_client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local and moto accept any credentials
    )


def _unmetered_dynamodb(runtime: LocalRuntime) -> Any:
    """The harness's DynamoDB client (status reads, the ledger's items)."""
    return _unmetered_client("dynamodb", runtime.dynamodb_url, runtime.config.region)


def _stored_outcome_objects(runtime: LocalRuntime, org_id: str, send_ids: list[str]) -> dict[str, int]:
    """The objects and bytes of the sends' jobs' outcomes in the ledger bucket; none for a template
    without ``LedgerBucket``."""
    assert runtime.resources is not None  # noqa: S101 - a started runtime has its resources
    bucket = runtime.resources.bucket_names.get(LEDGER_BUCKET)
    if not bucket:
        return {"objects": 0, "bytes": 0}
    from pushgate.adapters.s3_outcomes import send_outcomes_prefix  # noqa: PLC0415 - as the seeding's imports

    prefixes = [send_outcomes_prefix(org_id, send_id) for send_id in send_ids]
    # moto server answers on a loopback address, so botocore addresses the bucket by path.
    return storage.stored_objects(_unmetered_client("s3", runtime.aws_url, runtime.config.region), bucket, prefixes)


def _create_message(admin: Any, org_id: str, title: str) -> str:
    created = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages", json={"Name": title, "Title": title, "Body": BODY})
    created.raise_for_status()
    message_id = str(created.json()["MessageId"])
    admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate").raise_for_status()
    return message_id


def _create_app_and_message(runtime: LocalRuntime, org_name: str) -> tuple[str, str, str]:
    with admin_client(runtime) as admin:
        org_id, app_id = create_ios_app(admin, org_name=org_name, app_name="W6 app")
        return org_id, app_id, _create_message(admin, org_id, TITLE)


def seed(
    runtime: LocalRuntime, devices: int, advance: Callable[[int], None], *, segment_people: int | None = None
) -> tuple[Population, float]:
    """Writes people (1 or 2 devices each, 1.5 on average) and their iOS devices; returns the seconds it took.

    Args:
        runtime: The local runtime.
        devices: Devices to write (the broadcast's population), ignored with ``segment_people``.
        advance: Moves the progress bar by the devices written.
        segment_people: Seed the segment's population instead: this many people in an org of
            their own, half with ``tier`` ``'gold'`` (``Population.matching``), half ``'silver'``.
    """
    from pushgate.adapters.dynamodb.device_audience import person_stamp  # noqa: PLC0415
    from pushgate.adapters.dynamodb.directory import _person_item  # noqa: PLC0415 - the stored shape
    from pushgate.adapters.dynamodb.keys import device_key  # noqa: PLC0415
    from pushgate.adapters.dynamodb.table import MainTable  # noqa: PLC0415
    from pushgate.adapters.dynamodb.token_policies import device_index_attributes  # noqa: PLC0415
    from pushgate.models.device import Device, DevicePlatform  # noqa: PLC0415
    from pushgate.models.directory import EntityType, Person, PersonAttributes  # noqa: PLC0415
    from pushgate.models.token_lifecycle import DEFAULT_TOKEN_POLICY  # noqa: PLC0415

    started = time.perf_counter()
    population = Population()
    segment = segment_people is not None
    org_name, namespace = ("W6 segment org", "pushgate-w6-segment") if segment else ("W6 org", "pushgate-w6")
    population.org_id, population.app_id, population.message_id = _create_app_and_message(runtime, org_name)
    table = MainTable(_unmetered_dynamodb(runtime), runtime.resources.table_names["MainTable"])
    serial = 0
    batch: list[tuple[Any, dict[str, Any]]] = []
    batches: list[list[tuple[Any, dict[str, Any]]]] = []
    number = 0
    while (number < segment_people) if segment_people is not None else (serial < devices):
        # Directory ids are GUIDs (as CI-J's are): they do not compress in the ledger as a counter would.
        user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}/{number}"))
        # Gold in pairs (0, 1 gold; 2, 3 silver): the matching half has the same 1-or-2 device mix.
        gold = number % 4 < 2
        number += 1
        person = Person(
            org_id=population.org_id,
            entity_type=EntityType.CONTACT,
            person_id=user_id,
            attributes=PersonAttributes(
                firstname="Ana",
                pushconsent=True,
                customattributes={"tier": "gold" if gold else "silver"} if segment else {},
            ),
            created_at=SEEDED_AT,
            modified_at=SEEDED_AT,
        )
        item = _person_item(person)
        batch.append((None, item))
        tokens = []
        for _ in range(1 + number % 2 if segment else min(1 + number % 2, devices - serial)):
            token = device_token((SEGMENT_TOKEN_BASE if segment else 0) + serial + 1)
            serial += 1
            device = Device(
                org_id=population.org_id,
                app_id=population.app_id,
                user_id=user_id,
                platform=DevicePlatform.IOS,
                token=token,
                token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                registered_at=SEEDED_AT,
                last_registered_at=SEEDED_AT,
                status_changed_at=SEEDED_AT,
            )
            key = device_key(device.org_id, device.app_id, user_id, "ios", device.token_sha256)
            attributes = {
                "type": "Device",
                **device.model_dump(mode="json"),
                **device_index_attributes(device, DEFAULT_TOKEN_POLICY),
                # The copy of the person a registration writes (consent, zone, locale).
                **person_stamp(person),
            }
            batch.append((key, attributes))
            tokens.append(token)
        population.users.append(user_id)
        population.devices[user_id] = tokens
        if segment and gold:
            population.matching.append(user_id)
        if len(batch) >= 500:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)

    def write(chunk: list[tuple[Any, dict[str, Any]]]) -> None:
        from pushgate.adapters.dynamodb.keys import ItemKey  # noqa: PLC0415

        items = [
            (ItemKey(values["pk"], values["sk"]), {k: v for k, v in values.items() if k not in {"pk", "sk"}})
            if key is None
            else (key, values)
            for key, values in chunk
        ]
        table.put_many(items)
        advance(sum(1 for key, _ in chunk if key is not None))

    with ThreadPoolExecutor(max_workers=SEED_PARALLELISM) as pool:
        list(pool.map(write, batches))
    return population, time.perf_counter() - started


def _send_status(client: Any, table_name: str, org_id: str, send_id: str) -> SendRecord | None:
    from pushgate.adapters.dynamodb.sends import DynamoSendRepository  # noqa: PLC0415
    from pushgate.adapters.dynamodb.table import MainTable  # noqa: PLC0415

    return DynamoSendRepository(MainTable(client, table_name)).get(org_id, send_id)


def sends_complete(records: Sequence[SendRecord | None]) -> bool:
    """Whether every send is complete as its record says (a segment's every page counted too: the
    last page can be counted before an earlier one, and the counts alone would look complete)."""
    return all(record is not None and record.completed for record in records)


def _wait(
    runtime: LocalRuntime,
    status_client: Any,
    *,
    population: Population,
    send_ids: list[str],
    expected: int,
    advance: Callable[[int, str], None],
) -> None:
    """Waits until every send is complete, moving the bar with the simulator's count."""
    assert runtime.simulator is not None  # noqa: S101 - the runtime starts one
    table_name = runtime.resources.table_names["MainTable"]
    start_count = runtime.simulator.stats()["recorded"]
    deadline = time.monotonic() + COMPLETION_TIMEOUT_S
    while time.monotonic() < deadline:
        received = runtime.simulator.stats()["recorded"] - start_count
        states = [_send_status(status_client, table_name, population.org_id, send_id) for send_id in send_ids]
        advance(min(received, expected), f"{sum(s.jobs_done for s in states if s is not None)} jobs done")
        if sends_complete(states):
            return
        time.sleep(0.25)
    raise RuntimeError(f"W6: the sends were not complete after {COMPLETION_TIMEOUT_S:.0f} s")


def _ledger(runtime: LocalRuntime, org_id: str, send_id: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    token: str | None = None
    with admin_client(runtime, timeout_s=120) as admin:
        while True:
            params = {"Limit": "1000", **({"NextToken": token} if token else {})}
            page = admin.get(f"/admin/v1/orgs/{org_id}/sends/{send_id}/recipients", params=params)
            page.raise_for_status()
            entries.extend(page.json()["Recipients"])
            token = page.json()["NextToken"]
            if token is None:
                return entries


def _check(
    runtime: LocalRuntime,
    population: Population,
    send_ids: list[str],
    tokens: list[str],
    before: dict[str, int],
) -> tuple[dict[str, Any], set[str]]:
    """Lost and duplicated notifications, by the simulator's record and by the ledger; and the
    tracking keys the ledger's tracking ids begin with (one per job, for the storage measurement)."""
    from pushgate.models.send import tracking_key_of  # noqa: PLC0415 - as the seeding's imports

    assert runtime.simulator is not None  # noqa: S101
    after = runtime.simulator.token_counts()
    expected = Counter(tokens)
    received = Counter({token: count - before.get(token, 0) for token, count in after.items()})
    received = +received
    simulator_lost = sum(1 for token in expected if received.get(token, 0) == 0)
    simulator_duplicated = sum(max(0, received.get(token, 0) - 1) for token in expected)
    unexpected = sum(count for token, count in received.items() if token not in expected)
    hashes = {hashlib.sha256(token.encode()).hexdigest() for token in tokens}
    ledger_hashes: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    ledger_unexpected = 0
    tracking_keys: set[str] = set()
    for send_id in send_ids:
        for entry in _ledger(runtime, population.org_id, send_id):
            if entry.get("TrackingId") and (key := tracking_key_of(entry["TrackingId"])) is not None:
                tracking_keys.add(key)
            outcomes[entry["Outcome"] if entry["Outcome"] == "Sent" else f"NotSent:{entry['Reason']}"] += 1
            if entry["DeviceTokenSha256"]:
                ledger_hashes[entry["DeviceTokenSha256"]] += 1
            if entry["DeviceTokenSha256"] not in hashes:
                # A device (or a device-less person) the send should not have reached.
                ledger_unexpected += 1
    check = {
        "devices": len(tokens),
        "simulator_received": sum(received.values()),
        "simulator_lost": simulator_lost,
        "simulator_duplicated": simulator_duplicated,
        "simulator_unexpected": unexpected,
        "ledger_entries": sum(outcomes.values()),
        "ledger_outcomes": dict(outcomes),
        "ledger_lost": sum(1 for digest in hashes if ledger_hashes.get(digest, 0) == 0),
        "ledger_duplicated": sum(max(0, ledger_hashes.get(digest, 0) - 1) for digest in hashes),
        "ledger_unexpected": ledger_unexpected,
        "unexpected": max(unexpected, ledger_unexpected),
        "lost": max(simulator_lost, sum(1 for digest in hashes if ledger_hashes.get(digest, 0) == 0)),
        "duplicated": max(simulator_duplicated, sum(max(0, ledger_hashes.get(d, 0) - 1) for d in hashes)),
    }
    return check, tracking_keys


def phases_not_exact(figures: dict[str, Any]) -> dict[str, str]:
    """The phases of a W6 result that lost, duplicated or reached anyone else, with their counts."""
    found = {}
    for name in cost.W6_PHASES:
        check = (figures.get(name) or {}).get("check") or {}
        counts = {what: int(check.get(what, 0)) for what in ("lost", "duplicated", "unexpected")}
        if any(counts.values()):
            found[name] = ", ".join(f"{count} {what}" for what, count in counts.items())
    return found


def _log_bytes(log_dir: pathlib.Path) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in log_dir.glob("*.log")}


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    notifications: int
    wall_s: float
    meter: dict[str, Any]
    meter_by_function: dict[str, dict[str, Any]]
    invocations: dict[str, list[tuple[float, float | None, bool]]]
    log_bytes: dict[str, int]
    check: dict[str, Any]
    sends: int
    #: What the sends left stored for the retention (``bench.storage``): DynamoDB ``items`` and
    #: ``bytes``, S3 ``s3_objects`` and ``s3_bytes``.
    stored: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The phase in the results file (invocations summarised, not listed)."""
        summary = {}
        for function, records in self.invocations.items():
            if not records:
                continue
            summary[function] = {
                "invocations": len(records),
                "cold_starts": sum(1 for _, _, cold in records if cold),
                "billed_ms": sum(math.ceil(duration) for duration, _, _ in records),
                "duration_ms": sum(duration for duration, _, _ in records),
                "cpu_ms": sum(cpu or 0.0 for _, cpu, _ in records),
                "durations_ms": [round(d, 2) for d, _, _ in records] if len(records) <= 20 else None,
            }
        return {
            "name": self.name,
            "notifications": self.notifications,
            "sends": self.sends,
            "wall_s": self.wall_s,
            "notifications_per_s": self.notifications / self.wall_s if self.wall_s else 0.0,
            "meter": self.meter,
            "meter_by_function": self.meter_by_function,
            "invocations": summary,
            "log_bytes": self.log_bytes,
            "check": self.check,
            "stored": self.stored,
        }


def _run_phase(
    name: str,
    runtime: LocalRuntime,
    *,
    population: Population,
    meter_dir: pathlib.Path,
    log: InvocationLog,
    status_client: Any,
    bodies: list[dict[str, Any]],
    tokens: list[str],
    advance: Callable[[int, str], None],
) -> Phase:
    assert runtime.simulator is not None  # noqa: S101
    before_counts = runtime.simulator.token_counts()
    time.sleep(1.0)  # the meters' last dumps of the phase before
    meter_before = metering.collect(meter_dir)
    by_function_before = {f: metering.collect(meter_dir, f) for f in FUNCTION_NAMES}
    logs_before = _log_bytes(runtime.log_dir)
    marks = log.marks()
    started = time.perf_counter()
    send_ids = []
    with admin_client(runtime, timeout_s=120) as admin:
        for body in bodies:
            response = admin.post(f"/admin/v1/orgs/{population.org_id}/sends", json=body)
            if response.status_code != 202:
                raise RuntimeError(f"W6 {name}: the send answered {response.status_code}: {response.text[:300]}")
            send_ids.append(response.json()["SendId"])
    _wait(runtime, status_client, population=population, send_ids=send_ids, expected=len(tokens), advance=advance)
    wall = time.perf_counter() - started
    # The send path's functions only: the stack's one-minute release schedule fires on the local
    # clock during a long phase too, a fixed cost of the stack (43,200 runs a month), not of a send.
    invocations = {function: records for function, records in log.since(marks).items() if function in FUNCTION_NAMES}
    time.sleep(1.5)  # every worker's meter dumps what it counted last
    meter = metering.difference(metering.collect(meter_dir), meter_before)
    by_function = {
        f: metering.difference(metering.collect(meter_dir, f), by_function_before[f]) for f in FUNCTION_NAMES
    }
    logs_after = _log_bytes(runtime.log_dir)
    logs = {n: size - logs_before.get(n, 0) for n, size in logs_after.items() if size - logs_before.get(n, 0)}
    from pushgate.adapters.dynamodb.keys import send_partition  # noqa: PLC0415 - as the seeding's imports

    check, tracking_keys = _check(runtime, population, send_ids, tokens, before_counts)
    stored = storage.stored_by_sends(
        status_client,
        runtime.resources.table_names["MainTable"],
        [send_partition(population.org_id, send_id) for send_id in send_ids],
        tracking_keys,
    )
    objects = _stored_outcome_objects(runtime, population.org_id, send_ids)
    stored |= {"s3_objects": objects["objects"], "s3_bytes": objects["bytes"]}
    return Phase(name, len(tokens), wall, meter, by_function, invocations, logs, check, len(send_ids), stored)


def run_w6(
    devices: int,
    per_recipient_users: int,
    state_dir: pathlib.Path,
    console: Any,
    *,
    segment_people: int = 0,
    queue_workers: int = QUEUE_WORKERS,
) -> dict[str, Any]:
    """Seeds ``devices`` devices, runs the broadcast and the per-recipient phases, then (when
    ``segment_people`` > 0) seeds the segment's population and runs its send; returns the figures."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415

    meter_dir = state_dir / "meter"
    shutil.rmtree(meter_dir, ignore_errors=True)
    metering.install(meter_dir)
    boto3.DEFAULT_SESSION = None  # sessions made before the meters existed are not metered
    log = InvocationLog()
    config = RuntimeConfig(
        project_root=environments.PROJECT_ROOT,
        template_path=environments.PROJECT_ROOT / "template.yaml",
        state_dir=state_dir,
        queue_workers=queue_workers,
        worker_preload=("bench.meter_worker",),
        on_invocation=log,
        extra_environment={
            metering.METER_DIR_VARIABLE: str(meter_dir),
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "PYTHONWARNINGS": "ignore",
        },
    )
    results: dict[str, Any] = {"devices": devices, "queue_workers": queue_workers, "latency_ms": LATENCY_MS}
    # The segment population's devices: 1 or 2 a person, as the broadcast's.
    segment_devices = segment_people * 3 // 2 + 1
    columns = (
        TextColumn("{task.description:<30}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with LocalRuntime(config) as runtime, Progress(*columns, console=console) as progress:
        assert runtime.simulator is not None  # noqa: S101
        runtime.simulator.configure(
            latency_ms=LATENCY_MS,
            max_recorded=devices * 2 + per_recipient_users * 2 + segment_devices + 1000,
            record_payloads=False,
        )
        status_client = _unmetered_dynamodb(runtime)
        seeding = progress.add_task("W6 seeding devices", total=devices, note="BatchWriteItem to DynamoDB Local")
        population, seed_s = seed(runtime, devices, lambda n: progress.advance(seeding, n))
        results["seed_s"] = seed_s
        results["users"] = len(population.users)

        def bar(label: str, total: int) -> Callable[[int, str], None]:
            task = progress.add_task(label, total=total, note="")
            return lambda done, note: progress.update(task, completed=done, note=note)

        broadcast_body = {
            "MobileAppId": population.app_id,
            "MessageId": population.message_id,
            "Audience": "AllActiveDevices",
        }
        tokens = population.tokens()
        broadcast = _run_phase(
            "broadcast", runtime, population=population, meter_dir=meter_dir, log=log, status_client=status_client,
            bodies=[broadcast_body], tokens=tokens,
            advance=bar(f"W6 broadcast to {len(tokens):,} devices", len(tokens)),
        )  # fmt: skip
        results["broadcast"] = broadcast.as_json()
        users = population.users[:per_recipient_users]
        bodies = [
            {
                "MobileAppId": population.app_id,
                "MessageId": population.message_id,
                "Recipients": [{"UserId": user} for user in users[start : start + PER_RECIPIENT_SEND]],
            }
            for start in range(0, len(users), PER_RECIPIENT_SEND)
        ]
        chosen = population.tokens(users)
        per_recipient = _run_phase(
            "per_recipient", runtime, population=population, meter_dir=meter_dir, log=log,
            status_client=status_client, bodies=bodies, tokens=chosen,
            advance=bar(f"W6 per-recipient, {len(users):,} people", len(chosen)),
        )  # fmt: skip
        results["per_recipient"] = per_recipient.as_json() | {"recipients": len(users)}
        # The same sends of a message that reads the person: every recipient's record is needed.
        with admin_client(runtime) as admin:
            personal_message = _create_message(admin, population.org_id, PERSONAL_TITLE)
        personal = _run_phase(
            "personal", runtime, population=population, meter_dir=meter_dir, log=log,
            status_client=status_client, bodies=[body | {"MessageId": personal_message} for body in bodies],
            tokens=chosen, advance=bar(f"W6 personal, {len(users):,} people", len(chosen)),
        )  # fmt: skip
        results["personal"] = personal.as_json() | {"recipients": len(users), "title": PERSONAL_TITLE}
        if segment_people > 0:
            results["segment"] = _run_segment(
                runtime, segment_people, meter_dir=meter_dir, log=log, status_client=status_client, progress=progress
            )
        results["memory_mb"] = {
            name: runtime.stack.function(logical).memory_size for logical, name in FUNCTION_NAMES.items()
        }
        results["unmetered_calls"] = metering.collect(meter_dir)["unmetered_calls"]
    return results


def _run_segment(
    runtime: LocalRuntime,
    people: int,
    *,
    meter_dir: pathlib.Path,
    log: InvocationLog,
    status_client: Any,
    progress: Any,
) -> dict[str, Any]:
    """Seeds the segment's population and sends to the half its filter matches; returns the phase."""
    seeding = progress.add_task(
        "W6 seeding segment people", total=people * 3 // 2 + 1, note="BatchWriteItem to DynamoDB Local"
    )
    population, seed_s = seed(runtime, 0, lambda n: progress.advance(seeding, n), segment_people=people)
    progress.update(seeding, total=len(population.tokens()), completed=len(population.tokens()))
    tokens = population.tokens(population.matching)
    task = progress.add_task(f"W6 segment, {len(population.matching):,} of {people:,}", total=len(tokens), note="")
    body = {
        "MobileAppId": population.app_id,
        "MessageId": population.message_id,
        "Audience": {"Filter": SEGMENT_FILTER, "Kind": "contacts"},
    }
    phase = _run_phase(
        "segment", runtime, population=population, meter_dir=meter_dir, log=log, status_client=status_client,
        bodies=[body], tokens=tokens,
        advance=lambda done, note: progress.update(task, completed=done, note=note),
    )  # fmt: skip
    from pushgate.services.sends.segment_sends import SEGMENT_PAGE_PEOPLE  # noqa: PLC0415 - as the seeding's imports

    return phase.as_json() | {
        "people": people,
        "page_people": SEGMENT_PAGE_PEOPLE,
        "recipients": len(population.matching),
        "segment_devices": len(population.tokens()),
        "filter": SEGMENT_FILTER,
        "seed_s": seed_s,
    }


def main() -> None:
    """``python -m bench.w6 [devices] [per-recipient users] [segment people]``: W6 alone, the figures as JSON."""
    import sys  # noqa: PLC0415

    environments.add_tools_to_path()
    from rich.console import Console  # noqa: PLC0415

    devices = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    segment_people = int(sys.argv[3]) if len(sys.argv) > 3 else SEGMENT_PEOPLE
    state = pathlib.Path(".pushgate") / "w6"
    result = run_w6(devices, users, state, Console(stderr=True), segment_people=segment_people)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
