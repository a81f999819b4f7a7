"""Sends: validate, resolve every recipient's devices, render once per recipient, enqueue delivery jobs.

Everything a client can get wrong is checked before anything is written or enqueued. Then each
recipient's devices are read (in a bounded thread pool) with the copy of their person the devices
carry (consent, zone, locale, the whole record), their directory records only where that copy
cannot answer (in ``BatchGetItem`` chunks, contacts before leads before profiles), each recipient's
notification is rendered once with the message compiled once, and the devices are packed into
delivery jobs that carry tokens and rendered content, so the delivery worker reads nothing per
device. The send record and the outcomes decided here go in one transaction before the jobs are
enqueued (a worker may finish a job before this function returns).
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from pushgate.errors import ConflictError, FieldProblem, InvalidRequestError, NotFoundError
from pushgate.ids import new_id, parse_uuid
from pushgate.models.delivery_timing import (
    DEFAULT_DELIVERY_POLICY,
    DeliveryPolicy,
    LocalSendTime,
    check_send_at,
    hour_bucket,
)
from pushgate.models.device import DevicePlatform
from pushgate.models.directory import ENTITY_TYPE_PRECEDENCE, EntityType, Person, PersonAttributes
from pushgate.models.job_wire import JOB_COMPRESSION_LEVEL, WireSize, job_message
from pushgate.models.message_status import MessageStatus
from pushgate.models.message_template import AndroidPriority, MessageContent, MessageTemplate
from pushgate.models.mobile_app import MobileApp
from pushgate.models.org import Org
from pushgate.models.payloads import NotificationTooLargeError
from pushgate.models.push import NOW_OR_NEVER, PushMessage, has_expired
from pushgate.models.send import (
    MAX_RECIPIENTS,
    AudienceMember,
    DeliveryJob,
    JobDevice,
    LedgerEntry,
    NotSentReason,
    Outcome,
    SendRecord,
    fanout_job_id,
    new_tracking_id,
    new_tracking_key,
)
from pushgate.services.apps.orgs import find_in_org, get_org
from pushgate.services.directory.person_attributes import canonical_client_id
from pushgate.services.directory.ports import PersonRepository
from pushgate.services.messages.message_rendering import CompiledMessage, Recipient, RenderedMessage
from pushgate.services.messages.ports import AppFinder, MessageTemplateRepository
from pushgate.services.messages.recipient_directory import record_data
from pushgate.services.ports import OrgRepository
from pushgate.services.sends.parked_jobs import requeue_parked_jobs
from pushgate.services.sends.ports import (
    DeliveryPolicies,
    DeliveryQueue,
    HeldJobs,
    InsightCounters,
    LedgerPage,
    ParkedJobs,
    RecipientDevices,
    SendRepository,
)
from pushgate.time_zones import resolve_zone

#: Devices per delivery job. A job's fixed cost (its claim, three checkpoints, the completion
#: transaction, the insight counters, its tracking key, the S3 object of its outcomes, an invocation)
#: is the same whatever its size, so bigger jobs are cheaper per notification; the delivery worker
#: hands a job over in at most four windows, so its round trips do not grow, and its checkpoints are
#: bitmaps, so they stay under 1 KB. A job travels column by column (``pushgate.models.job_wire``): an
#: APNs device of a UUID user is about 75 bytes of it, so 6,000 fit the byte bound; bigger tokens and
#: user ids, small fields that differ between devices, or long personal notifications make the byte
#: bound bind first.
JOB_MAX_DEVICES: Final = 6000
#: A job's SQS body at most, as ``WireSize`` bounds it. SQS takes 1 MiB (the template sets the delivery
#: queue's ``MaximumMessageSize``); the bound is DynamoDB's: a held or parked job is an item whose
#: ``job`` is this body before Base64 (375,000 bytes), under the 400 KB item limit with its keys.
JOB_MAX_BYTES: Final = 500_000
#: FCM devices per job. An FCM device's outcome keeps its message name (about 70 bytes of the job's
#: outcomes, where an APNs device's apns-id is derived and not kept), and a stack that keeps outcomes
#: in the main table (no ``LEDGER_BUCKET``) stores a job's outcomes as one item, under 400 KB.
JOB_MAX_ANDROID_DEVICES: Final = 3000
#: Times the packer may encode a job before it closes, to learn how far its bound overstates the body
#: (each costs about what the job's own encoding does).
_ENCODINGS_PER_JOB: Final = 2
#: Device queries in flight at once (boto3 clients are thread-safe; DynamoDB absorbs this easily).
DEVICE_QUERY_PARALLELISM: Final = 16
#: Recipients whose devices one read asks for: DynamoDB reads 50 partitions in one PartiQL statement,
#: about 8 requests of 10 items where one ``Query`` a recipient made 50.
RECIPIENTS_PER_DEVICE_READ: Final = 50
#: Read units (eventually consistent) of a person's device partition (under 4 KB), read person by
#: person; of each part of a read of a range of users (a ``Query`` costs at least that); and of a
#: person between the range's first and last (1.5 devices, index entries of about 500 bytes).
PARTITION_READ_UNITS: Final = 0.5
RANGE_PART_READ_UNITS: Final = 0.5
RANGE_PERSON_READ_UNITS: Final = 0.09


@dataclass(frozen=True)
class SendStores:
    """The ports the send use cases work with.

    Attributes:
        orgs: Orgs.
        apps: Mobile app configurations.
        messages: Push messages.
        people: The directory.
        sends: Sends and their ledger.
        queue: The delivery queue.
        parked: Jobs parked after a credential failure.
        recipient_devices: Recipients' devices with their copy of the person.
        link_base: Base URL of tracked links (``<PUBLIC_ENDPOINT>/l/``); empty means no tracked links.
        held: Jobs held until they are due (scheduled sends, quiet hours).
        policies: Apps' delivery policies (quiet hours, caps, default zone).
        counters: Insight counters (the outcomes a cancel records).
    """

    orgs: OrgRepository
    apps: AppFinder
    messages: MessageTemplateRepository
    people: PersonRepository
    sends: SendRepository
    queue: DeliveryQueue
    parked: ParkedJobs
    recipient_devices: RecipientDevices
    link_base: str = ""
    held: HeldJobs | None = None
    policies: DeliveryPolicies | None = None
    counters: InsightCounters | None = None


@dataclass(frozen=True)
class SendTiming:
    """When a send should land: ``SendAt`` (one instant) or ``SendAtLocalTime`` (each recipient's wall clock).

    Attributes:
        send_at: The UTC instant.
        local_time: The text of ``SendAtLocalTime`` (``09:00`` or ``2026-12-24T09:00``).
    """

    send_at: datetime | None = None
    local_time: str | None = None


@dataclass(frozen=True)
class _Schedule:
    """The validated timing of a send."""

    send_at: datetime | None = None
    local: LocalSendTime | None = None
    #: When the send was accepted, if not now: a ``SendAtLocalTime`` is the next occurrence after it.
    anchor: datetime | None = None

    def intended(self, zone: Any, now: datetime) -> datetime:
        if self.send_at is not None:
            return self.send_at
        if self.local is not None:
            return self.local.instant_in(zone, now=self.anchor or now)
        return now


@dataclass(frozen=True)
class SendRecipient:
    """One recipient as the request names them.

    Attributes:
        user_id: The directory id (contact, lead or profile).
        trigger: Data for ``{{trigger.*}}``.
    """

    user_id: str
    trigger: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AcceptedSend:
    """The answer to a send request.

    Attributes:
        send_id: The send.
        accepted: Recipients taken on (their outcomes appear in the ledger).
        rejected: ``(user_id, reason)`` of recipients refused at once.
    """

    send_id: str
    accepted: int
    rejected: list[tuple[str, str]]


@dataclass
class SendPlan:
    """What planning a send (or a broadcast page) decided: outcomes, jobs now and held, totals."""

    entries: list[LedgerEntry] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    jobs: list[DeliveryJob] = field(default_factory=list)
    held: list[DeliveryJob] = field(default_factory=list)
    tracking_keys: dict[str, str] = field(default_factory=dict)
    devices: int = 0
    scheduled: dict[str, int] = field(default_factory=dict)
    scheduled_recipients: dict[str, int] = field(default_factory=dict)
    deferred: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


class SendParts(NamedTuple):
    """What every send names, found and checked (see :func:`find_send_parts`)."""

    org: Org
    app: MobileApp
    message: MessageTemplate
    journey_id: str | None


def find_send_parts(
    org_id: str, app_id: str, message_id: str, journey_id: str | None, *, stores: SendStores
) -> SendParts:
    """What every send names, checked: the org, its app and ``Active`` message, the canonical journey id.

    Raises:
        InvalidRequestError: A malformed id (names the field).
        NotFoundError: No such org, app or message.
        ConflictError: The message is not ``Active``.
    """
    org = get_org(org_id, orgs=stores.orgs)
    app = find_sendable_app(org.org_id, app_id, apps=stores.apps)
    message = find_sendable_message(org.org_id, message_id, messages=stores.messages)
    journey = canonical_client_id(journey_id, "JourneyId") if journey_id is not None else None
    return SendParts(org, app, message, journey)


def find_sendable_app(org_id: str, app_id: str, *, apps: AppFinder) -> MobileApp:
    """The app a send goes through.

    Raises:
        InvalidRequestError: ``MobileAppId`` is not a UUID.
        NotFoundError: No such app in the org (names ``MobileAppId``).
    """
    canonical = parse_uuid(app_id, "MobileAppId")
    app = apps.get(org_id, canonical)
    if app is None:
        problem = f"no mobile app {canonical} in this org"
        raise NotFoundError(message=f"MobileAppId: {problem}", problems=[FieldProblem("MobileAppId", problem)])
    return app


def find_sendable_message(org_id: str, message_id: str, *, messages: MessageTemplateRepository) -> MessageTemplate:
    """The message a send renders; only ``Active`` messages may be sent.

    Raises:
        InvalidRequestError: ``MessageId`` is not a UUID.
        NotFoundError: No such message in the org.
        ConflictError: The message is not ``Active``.
    """
    canonical = parse_uuid(message_id, "MessageId")
    message = messages.get(org_id, canonical)
    if message is None:
        problem = f"no push message {canonical} in this org"
        raise NotFoundError(message=f"MessageId: {problem}", problems=[FieldProblem("MessageId", problem)])
    if message.status is not MessageStatus.ACTIVE:
        problem = f"is {message.status.value}; only Active messages can be sent (activate it first)"
        raise ConflictError(message=f"MessageId: {problem}", problems=[FieldProblem("MessageId", problem)])
    return message


def _recipient_ids(recipients: Sequence[SendRecipient]) -> list[str]:
    if not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise InvalidRequestError.for_field("Recipients", f"must hold 1 to {MAX_RECIPIENTS} recipients")
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    ids: list[str] = []
    for index, recipient in enumerate(recipients):
        path = f"Recipients[{index}].UserId"
        try:
            user_id = canonical_client_id(recipient.user_id, path)
        except InvalidRequestError as error:
            problems.extend(error.problems)
            continue
        if user_id in seen:
            problems.append(FieldProblem(path, f"repeats Recipients[{seen[user_id]}].UserId; name each user once"))
            continue
        seen[user_id] = index
        ids.append(user_id)
    if problems:
        summary = "; ".join(f"{p.field}: {p.problem}" for p in problems[:5])
        raise InvalidRequestError(message=summary, problems=problems)
    return ids


def people_by_precedence(org_id: str, user_ids: Sequence[str], people: PersonRepository) -> dict[str, Person]:
    """The directory record each id names (contact, then lead, then profile), for the ids that have one."""
    # Entity type by entity type in order of precedence, asking only for the ids not found yet: a
    # contact wins over a lead or profile of the same id anyway, so most recipients cost one read
    # instead of three (every key asked for is billed, found or not).
    found: dict[str, Person] = {}
    missing = list(user_ids)
    for entity_type in ENTITY_TYPE_PRECEDENCE:
        if not missing:
            break
        for person in people.get_many(org_id, [(entity_type, user_id) for user_id in missing]):
            found.setdefault(person.person_id, person)
        missing = [user_id for user_id in missing if user_id not in found]
    return found


def _not_sent(user_id: str, reason: NotSentReason, at: datetime, profile_type: str | None = None) -> LedgerEntry:
    return LedgerEntry(user_id=user_id, outcome=Outcome.NOT_SENT, reason=reason.value, at=at, profile_type=profile_type)


@dataclass(frozen=True)
class JobLimits:
    """How a send packs its jobs.

    Attributes:
        max_devices: Devices per job.
        max_bytes: A job's SQS body at most (``WireSize``'s bound).
        max_android_devices: FCM devices per job.
        job_id: The id of the ``n``-th job.
    """

    max_devices: int = JOB_MAX_DEVICES
    max_bytes: int = JOB_MAX_BYTES
    max_android_devices: int = JOB_MAX_ANDROID_DEVICES
    job_id: Callable[[int], str] = fanout_job_id


class _JobPacker:
    """Packs recipients (never split) into jobs under the device and byte limits.

    Each device gets its tracking id here: the devices of one job share the job's tracking key. A
    notification shared by several recipients (one rendered for everyone) is carried once a job.

    Notifications of one message rendered for each recipient repeat its text, which the job's
    compression stores about once; counting each at its full size would fill a job at a few hundred
    devices. Each is counted at what it adds to a running compression of the job's notifications
    instead, and a job holding them is encoded when it closes: one whose body passes the limit is
    split in two between recipients (and again), so no body passes it whatever they hold.

    The bound counts ids, tokens and such notifications without the compression the body gets, so
    when it says a job is full the job is encoded (``_measured``) and goes on by what the bound
    overstated its body.
    """

    def __init__(
        self, template: DeliveryJob, numbers: Iterator[int] | None = None, limits: JobLimits = JobLimits()
    ) -> None:
        self._template = template
        self._limits = limits
        # Packers of one send (one per due time) share the numbering, so job ids stay unique.
        self._numbers = numbers if numbers is not None else itertools.count()
        self.jobs: list[DeliveryJob] = []
        #: Tracking key → the job whose devices' tracking ids begin with it.
        self.tracking_keys: dict[str, str] = {}
        self._start()

    def _start(self) -> None:
        self._messages: list[PushMessage] = []
        self._shared: dict[int, int] = {}
        self._devices: list[JobDevice] = []
        self._android_devices = 0
        self._size = WireSize(self._template)
        self._tracking_key = new_tracking_key()
        #: The job's notifications rendered for one recipient each, compressed as they are added.
        self._personal = zlib.compressobj(JOB_COMPRESSION_LEVEL)
        #: What the notifications counted by their compression would add at their estimated size: a
        #: job whose bound passes the limit with it is encoded and checked when it closes.
        self._uncounted = 0
        #: How far the bound overstated the job's body when it was last encoded (``_measured``).
        self._slack = 0
        self._encodings_left = _ENCODINGS_PER_JOB

    def add(self, message: PushMessage, devices: list[JobDevice], message_bytes: int, *, shared: bool = False) -> None:
        """Adds one recipient's devices with their notification (``message_bytes`` its estimated
        size); a ``shared`` notification is carried once a job, however many recipients get it."""
        limits = self._limits
        index, placed = self._placed(message, devices, shared)
        counted = self._counted_bytes(index, message, message_bytes, shared)
        android = sum(1 for device in devices if device.platform is DevicePlatform.ANDROID)
        room = (
            len(self._devices) + len(devices) <= limits.max_devices
            and self._android_devices + android <= limits.max_android_devices
        )
        fits = room and self._size.try_add(placed, counted, limits.max_bytes + self._slack)
        if room and not fits and self._measured():
            fits = self._size.try_add(placed, counted, limits.max_bytes + self._slack)
        if not fits:
            # A recipient is never split: one too big for an empty job gets a job of their own.
            self.flush()
            index, placed = self._placed(message, devices, shared)
            counted = self._counted_bytes(index, message, message_bytes, shared)
            self._size.add(placed, counted)
        if index == len(self._messages):
            self._messages.append(message)
            if shared:
                self._shared[id(message)] = index
            else:
                self._uncounted += message_bytes - counted
        self._devices.extend(placed)
        self._android_devices += android

    def _placed(self, message: PushMessage, devices: list[JobDevice], shared: bool) -> tuple[int, list[JobDevice]]:
        """The index the recipient's notification takes in the job, and their devices as the job holds them."""
        index = self._shared.get(id(message), len(self._messages)) if shared else len(self._messages)
        key = self._tracking_key
        return index, [
            device.model_copy(update={"message": index, "tracking_id": new_tracking_id(key)}) for device in devices
        ]

    def _measured(self) -> bool:
        """Encodes the job as it is and lets its bound go past the limit by what it overstates the
        body (the bound counts random ids and tokens, notifications and small fields that differ
        without their compression); ``False`` when the job was encoded as often as it may be.

        What is added after is still counted at its bound, and the job is encoded again when it
        closes: one whose body passes the limit is split (``flush``).
        """
        if not self._devices or not self._encodings_left:
            return False
        self._encodings_left -= 1
        job = self._template.model_copy(update={"messages": self._messages, "devices": self._devices})
        self._slack = max(0, self._size.bound() - _body_bytes(job))
        return True

    def _counted_bytes(self, index: int, message: PushMessage, message_bytes: int, shared: bool) -> int:
        """What the recipient's notification adds to the job: nothing when the job carries it already,
        its estimated size when it is shared, and what it adds to the compressed notifications when
        it is their own (with the few bytes of each flush, so never less than that)."""
        if index < len(self._messages):
            return 0
        if shared:
            return message_bytes
        # Its fields as text hold what its JSON does, and the compressor sees them as it would.
        compressed = self._personal.compress(repr(message).encode())
        return len(compressed) + len(self._personal.flush(zlib.Z_SYNC_FLUSH))

    def flush(self) -> None:
        if not self._devices:
            return
        parts = [(self._messages, self._devices, self._tracking_key)]
        check = self._size.bound(self._uncounted) > self._limits.max_bytes
        self._start()
        while parts:
            messages, devices, tracking_key = parts.pop(0)
            job = self._template.model_copy(update={"messages": messages, "devices": devices})
            halves = _halves(messages, devices) if check and _body_bytes(job) > self._limits.max_bytes else []
            if halves:
                parts[:0] = halves
                continue
            job_id = self._limits.job_id(next(self._numbers))
            self.tracking_keys[tracking_key] = job_id
            self.jobs.append(job.model_copy(update={"job_id": job_id}))


def _body_bytes(job: DeliveryJob) -> int:
    return len(job_message(job))


def _halves(
    messages: list[PushMessage], devices: list[JobDevice]
) -> list[tuple[list[PushMessage], list[JobDevice], str]]:
    """A job's recipients in two halves, each with its own tracking key and notifications, or none
    when the job is one recipient's."""
    boundaries = [n for n in range(1, len(devices)) if devices[n].user_id != devices[n - 1].user_id]
    if not boundaries:
        return []
    middle = min(boundaries, key=lambda n: abs(2 * n - len(devices)))
    halves = []
    for part in (devices[:middle], devices[middle:]):
        indexes: dict[int, int] = {}
        for device in part:
            indexes.setdefault(device.message, len(indexes))
        tracking_key = new_tracking_key()
        renumbered = [
            device.model_copy(update={"message": indexes[device.message], "tracking_id": new_tracking_id(tracking_key)})
            for device in part
        ]
        halves.append(([messages[index] for index in indexes], renumbered, tracking_key))
    return halves


def _schedule(timing: SendTiming | None, now: datetime) -> _Schedule:
    """The validated timing of a send (``SendAt`` or ``SendAtLocalTime``, never both).

    Raises:
        InvalidRequestError: Both given, a malformed local time (``25:00``), or a time in the past or
            more than 30 days ahead (names the field).
    """
    if timing is None or (timing.send_at is None and timing.local_time is None):
        return _Schedule()
    if timing.send_at is not None and timing.local_time is not None:
        raise InvalidRequestError.for_field("SendAtLocalTime", "send SendAt or SendAtLocalTime, not both")
    if timing.send_at is not None:
        problem = check_send_at(timing.send_at, now)
        if problem:
            raise InvalidRequestError.for_field("SendAt", problem)
        return _Schedule(send_at=timing.send_at.astimezone(UTC))
    assert timing.local_time is not None  # noqa: S101 - one of the two is set
    try:
        local = LocalSendTime.parse(timing.local_time)
    except ValueError as error:
        raise InvalidRequestError.for_field("SendAtLocalTime", str(error)) from None
    problem = local.check_range(now)
    if problem:
        raise InvalidRequestError.for_field("SendAtLocalTime", problem)
    return _Schedule(local=local)


def app_delivery_policy(org_id: str, app_id: str, stores: SendStores) -> DeliveryPolicy:
    """The app's delivery policy (quiet hours, caps, default zone), or the default when it set none."""
    found = stores.policies.get(org_id, app_id) if stores.policies is not None else None
    return found or DEFAULT_DELIVERY_POLICY


def job_template(
    parts: SendParts,
    compiled: CompiledMessage,
    *,
    send_id: str,
    link_base: str,
    policy: DeliveryPolicy,
    started: datetime,
    messages: Sequence[PushMessage] = (),
) -> DeliveryJob:
    """What every delivery job of a send shares; each job adds its id and devices.

    Args:
        messages: Notifications rendered once for every device (a broadcast's); a recipients'
            send renders per person and adds them job by job.
    """
    message = parts.message
    content = message.content
    android = content.android
    expires_at = compiled.expires_at(started)
    return DeliveryJob(
        job_id="template",
        org_id=message.org_id,
        app_id=parts.app.app_id,
        send_id=send_id,
        message_id=message.message_id,
        message_version=message.version,
        journey_id=parts.journey_id,
        link_base=link_base,
        expires_at=expires_at,
        collapse_id=content.collapse_id,
        android_high_priority=android is None or android.priority is AndroidPriority.HIGH,
        messages=list(messages),
        devices=[],
        # Caps hold for every send of the app, but a transactional message is exempt.
        caps=[] if content.transactional else policy.cap_rules(content.category),
        # Decided here, before any first send: a notification can be re-sent collapsed only if its
        # first copy carried the same collapse id.
        resend_uncertain=policy.resends_uncertain(content.collapse_id, expires_at),
    )


def accept_send(
    org_id: str,
    *,
    app_id: str,
    message_id: str,
    recipients: Sequence[SendRecipient],
    journey_id: str | None,
    stores: SendStores,
    timing: SendTiming | None = None,
    now: Callable[[], datetime] = _now,
    make_id: Callable[[], str] = new_id,
) -> AcceptedSend:
    """Validates a send, resolves and renders per recipient, records it and enqueues (or holds) its jobs.

    Each recipient's notification is due at the send's time (``SendAt``, their local
    ``SendAtLocalTime``, or now); when that falls in the app's quiet hours (in their zone) it is
    deferred to the end of them, or dropped ``ExpiredInQuietHours`` when its TTL ends first. Jobs
    due now go to the delivery queue; later ones are held until the release function hands them over.

    Args:
        org_id: The org.
        app_id: The ``MobileAppId``.
        message_id: The ``MessageId`` (must be ``Active``).
        recipients: 1 to 10,000 recipients with distinct ``UserId`` values.
        journey_id: The journey asking, if any (insights count per journey).
        stores: The ports.
        timing: ``SendAt`` / ``SendAtLocalTime``, if the send is scheduled.
        now: Clock.
        make_id: Id factory.

    Returns:
        The send id, how many recipients were taken on, and the refused ones with their reason.

    Raises:
        InvalidRequestError: Malformed ids or timing, too many or repeated recipients (nothing is written).
        NotFoundError: No such org, app or message.
        ConflictError: The message is not ``Active``.
        DependencyError: DynamoDB or SQS failed.
    """
    parts = find_send_parts(org_id, app_id, message_id, journey_id, stores=stores)
    org, app, message, journey_id = parts
    user_ids = _recipient_ids(recipients)
    started = now()
    schedule = _schedule(timing, started)
    triggers = {user_id: recipient.trigger for user_id, recipient in zip(user_ids, recipients, strict=True)}
    send_id = make_id()
    content = message.content
    compiled = CompiledMessage(content)
    policy = app_delivery_policy(org.org_id, app.app_id, stores)
    template = job_template(
        parts, compiled, send_id=send_id, link_base=stores.link_base, policy=policy, started=started
    )
    plan = SendPlan()
    if content.expires_at is not None and content.expires_at <= started:
        plan.entries = [_not_sent(user_id, NotSentReason.MESSAGE_EXPIRED, started) for user_id in user_ids]
    else:
        _plan_deliveries(
            org.org_id,
            app,
            user_ids=user_ids,
            triggers=triggers,
            compiled=compiled,
            template=template,
            stores=stores,
            plan=plan,
            at=started,
            timing=RecipientTiming(policy, quiet_exempt=content.time_sensitive is True, schedule=schedule),
        )
    record = SendRecord.accepted(
        template,
        created_at=started,
        recipients_accepted=len(user_ids) - len(plan.rejected),
        recipients_rejected=len(plan.rejected),
        devices_targeted=plan.devices,
        recipient_outcomes=len(plan.entries),
        jobs_total=len(plan.jobs) + len(plan.held),
        send_at=schedule.send_at,
        send_at_local_time=timing.local_time.strip() if timing and timing.local_time else None,
        scheduled=plan.scheduled,
        scheduled_recipients=plan.scheduled_recipients,
        deferred=plan.deferred,
    )
    if plan.held and stores.held is None:
        raise InvalidRequestError.for_field("SendAt", "scheduled delivery is not configured in this deployment")
    stores.sends.create(record, plan.entries, plan.tracking_keys)
    if plan.jobs:
        stores.queue.send(plan.jobs)
    if plan.held and stores.held is not None:
        stores.held.hold(plan.held)
    return AcceptedSend(send_id, record.recipients_accepted, plan.rejected)


@dataclass(frozen=True)
class RecipientTiming:
    """When a send means its notifications to land, and the app's quiet hours and default zone.

    Attributes:
        policy: The app's delivery policy.
        quiet_exempt: Whether the message ignores quiet hours (``TimeSensitive``).
        schedule: ``SendAt`` / ``SendAtLocalTime``; now when neither was given.
    """

    policy: DeliveryPolicy
    quiet_exempt: bool
    schedule: _Schedule = field(default_factory=_Schedule)


@dataclass(frozen=True)
class RecipientProfile:
    """What deciding, timing and rendering one person's notification needs, wherever it was read:
    the directory record (a per-recipient send) or the copy on the device items (a broadcast page).

    Attributes:
        user_id: The directory id the devices are registered under.
        profile_type: The record's entity type; ``None`` without a record (anonymous device).
        pushconsent: Push consent (an anonymous device has it: nothing says it was withdrawn).
        trackingconsent: Tracking consent (links are tracked only with it).
        timezone: The person's IANA zone; the app's default zone applies without one.
        locale: The person's locale, for localizations.
        attributes: The record's attributes for ``{{contact.*}}`` (empty when not read).
    """

    user_id: str
    profile_type: str | None = None
    pushconsent: bool = True
    trackingconsent: bool = False
    timezone: str | None = None
    locale: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, person: Person) -> RecipientProfile:
        """The profile of a directory record."""
        return cls.of_record(person.person_id, person.entity_type, person.attributes)

    @classmethod
    def of_record(cls, user_id: str, entity_type: EntityType, attributes: PersonAttributes) -> RecipientProfile:
        """The profile of a directory record known by its parts (a device's copy of its person)."""
        return cls(
            user_id=user_id,
            profile_type=entity_type.value,
            pushconsent=attributes.pushconsent,
            trackingconsent=attributes.trackingconsent,
            timezone=attributes.timezone,
            locale=attributes.locale,
            attributes=record_data(entity_type, user_id, attributes).attributes,
        )


@dataclass(frozen=True)
class _Landing:
    """When one recipient's notification goes out, and on what terms."""

    due: datetime
    expires_at: int | None
    deferred: bool


def _landing(
    profile: RecipientProfile, timing: RecipientTiming, compiled: CompiledMessage, at: datetime
) -> _Landing | NotSentReason:
    """Where a recipient's notification lands in time, or why it will not go out."""
    zone = resolve_zone(profile.timezone, timing.policy.default_time_zone)
    intended = timing.schedule.intended(zone, at)
    # A TTL counts from when the notification was meant to land, not from when the send was accepted.
    expires_at = compiled.expires_at(intended)
    if has_expired(expires_at, intended.timestamp()):
        return NotSentReason.MESSAGE_EXPIRED
    quiet = timing.policy.quiet_hours
    release = None if quiet is None or timing.quiet_exempt else quiet.release_after(intended, zone)
    if release is None:
        return _Landing(intended, expires_at, deferred=False)
    # Now or never cannot wait for quiet hours to end.
    if expires_at == NOW_OR_NEVER or has_expired(expires_at, release.timestamp()):
        return NotSentReason.EXPIRED_IN_QUIET_HOURS
    return _Landing(release, expires_at, deferred=True)


class JobPacking:
    """Packs each recipient into the jobs of their due time: now (the queue) or later (held)."""

    def __init__(self, template: DeliveryJob, plan: SendPlan, at: datetime, limits: JobLimits = JobLimits()) -> None:
        """Starts packing ``plan``'s jobs from ``template`` (``limits``: sizes and job ids)."""
        self._template = template
        self._plan = plan
        self._at = at
        self._limits = limits
        self._numbers = itertools.count()
        self._immediate = _JobPacker(template, self._numbers, limits)
        self._held: dict[tuple[int, int | None, bool], _JobPacker] = {}

    def add(self, landing: _Landing, message: PushMessage, devices: list[JobDevice], *, shared: bool = False) -> None:
        """Adds a recipient's devices to the jobs of their landing."""
        plan = self._plan
        plan.devices += len(devices)
        plan.deferred += int(landing.deferred)
        size = message_bytes(message)
        if landing.due <= self._at:
            self._immediate.add(message, devices, size, shared=shared)
            return
        due = math.ceil(landing.due.timestamp())
        group = (due, landing.expires_at, landing.deferred)
        packer = self._held.get(group)
        if packer is None:
            held_template = self._template.model_copy(
                update={"due_at": due, "expires_at": landing.expires_at, "deferred": landing.deferred}
            )
            packer = self._held[group] = _JobPacker(held_template, self._numbers, self._limits)
        packer.add(message, devices, size, shared=shared)
        hour = hour_bucket(landing.due)
        plan.scheduled[hour] = plan.scheduled.get(hour, 0) + len(devices)
        plan.scheduled_recipients[hour] = plan.scheduled_recipients.get(hour, 0) + 1

    def finish(self) -> None:
        """Closes the last jobs into the plan."""
        plan = self._plan
        self._immediate.flush()
        plan.jobs = self._immediate.jobs
        plan.tracking_keys = dict(self._immediate.tracking_keys)
        for packer in self._held.values():
            packer.flush()
            plan.held.extend(packer.jobs)
            plan.tracking_keys.update(packer.tracking_keys)


def shared_notification(compiled: CompiledMessage) -> PushMessage | None:
    """The one notification of a message that renders the same for everyone without trigger data
    (not personal: no localization, no directory placeholder), or ``None`` when each recipient's is
    rendered: a personal message, or one that cannot be rendered (each recipient's outcome then says why).

    Shared, a notification is carried once a job instead of once a recipient, so a job holds as
    many devices as the broadcast's do and the job's fixed costs are spread over them.
    """
    if compiled.is_personal:
        return None
    try:
        rendered = compiled.render(Recipient())
    except NotificationTooLargeError:
        return None
    if rendered.url_problem is not None:
        return None
    return job_notification(compiled, rendered)


def job_notification(compiled: CompiledMessage, rendered: RenderedMessage) -> PushMessage:
    """A rendered notification as a delivery job carries it: without the tracking id and the tracked
    link, which are per device (the packer and the worker fill them in)."""
    return replace(compiled.push_message(rendered, tracking_id=""), link="")


def plan_recipient(
    profile: RecipientProfile,
    devices: Sequence[JobDevice],
    *,
    compiled: CompiledMessage,
    timing: RecipientTiming,
    packing: JobPacking,
    plan: SendPlan,
    at: datetime,
    trigger: Mapping[str, Any] | None = None,
    shared: PushMessage | None = None,
) -> None:
    """Decides one person's notification, the same way on every path: no push consent, no device,
    expired or held past its TTL by quiet hours (in their zone) → a ``NotSent`` outcome in the plan;
    otherwise rendered for them (or ``shared``, one notification rendered for everyone) and packed
    into the jobs of its due time, links tracked only with tracking consent.

    Args:
        profile: The person (or an anonymous device's defaults).
        devices: Their devices on configured platforms (tracking ids and message index are filled in here).
        compiled: The message.
        timing: The send's timing and the app's policy.
        packing: Where the devices go.
        plan: Where outcomes and totals go.
        at: When the send was accepted (or the page read).
        trigger: ``{{trigger.*}}`` data.
        shared: The notification for everyone, when the message is not personal.
    """
    user_id = profile.user_id
    profile_type = profile.profile_type
    if not profile.pushconsent:
        plan.entries.append(_not_sent(user_id, NotSentReason.NO_PUSH_CONSENT, at, profile_type))
        return
    if not devices:
        plan.entries.append(_not_sent(user_id, NotSentReason.NO_VALID_DEVICE, at, profile_type))
        return
    landing = _landing(profile, timing, compiled, at)
    if isinstance(landing, NotSentReason):
        plan.entries.append(_not_sent(user_id, landing, at, profile_type))
        return
    message = shared
    if message is None:
        recipient = Recipient(attributes=dict(profile.attributes), locale=profile.locale, trigger=trigger or {})
        try:
            rendered = compiled.render(recipient)
        except NotificationTooLargeError:
            plan.entries.append(_not_sent(user_id, NotSentReason.PAYLOAD_TOO_LARGE, at, profile_type))
            return
        if rendered.url_problem is not None:
            plan.entries.append(_not_sent(user_id, NotSentReason.URL_ORIGIN_CHANGED, at, profile_type))
            return
        message = job_notification(compiled, rendered)
    tracked = profile.trackingconsent
    job_devices = [device.model_copy(update={"tracked": tracked}) for device in devices]
    packing.add(landing, message, job_devices, shared=shared is not None)


def read_active_devices(
    reader: RecipientDevices, org_id: str, app_id: str, user_ids: Sequence[str], *, with_record: bool = False
) -> dict[str, list[AudienceMember]]:
    """Each user's ``Active`` devices of the app: ``RECIPIENTS_PER_DEVICE_READ`` users a read,
    ``DEVICE_QUERY_PARALLELISM`` reads in flight (``with_record``: with the copy of the whole record)."""

    def of(group: Sequence[str]) -> dict[str, list[AudienceMember]]:
        return reader.active_devices(org_id, app_id, group, with_record=with_record)

    groups = [
        user_ids[start : start + RECIPIENTS_PER_DEVICE_READ]
        for start in range(0, len(user_ids), RECIPIENTS_PER_DEVICE_READ)
    ]
    if len(groups) <= 1:
        return of(user_ids)
    workers = min(DEVICE_QUERY_PARALLELISM, len(groups))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="devices") as pool:
        return {user_id: members for found in pool.map(of, groups) for user_id, members in found.items()}


def read_devices_of_page(
    reader: RecipientDevices, org_id: str, app_id: str, user_ids: Sequence[str], page_ids: Sequence[str]
) -> dict[str, list[AudienceMember]]:
    """Each user's ``Active`` devices of the app, for users picked out of a page of people: as one
    range of user ids (read in parallel parts, every device between the first and the last user)
    when that costs fewer read units than reading them person by person, which they are read by
    otherwise (and while the range cannot be read yet).

    Args:
        reader: The devices.
        org_id: The org.
        app_id: The app.
        user_ids: The users whose devices are wanted.
        page_ids: The ids of every person of the page they were picked from.
    """
    if user_ids:
        first, last = min(user_ids), max(user_ids)
        between = sum(1 for person_id in page_ids if first <= person_id <= last)
        by_range = reader.range_parts * RANGE_PART_READ_UNITS + between * RANGE_PERSON_READ_UNITS
        if by_range < len(user_ids) * PARTITION_READ_UNITS:
            found = _read_device_range(reader, org_id, app_id, first, last)
            if found is not None:
                wanted: dict[str, list[AudienceMember]] = {user_id: [] for user_id in user_ids}
                for member in found:
                    if member.user_id in wanted:
                        wanted[member.user_id].append(member)
                return wanted
    return read_active_devices(reader, org_id, app_id, user_ids)


def _read_device_range(
    reader: RecipientDevices, org_id: str, app_id: str, first: str, last: str
) -> list[AudienceMember] | None:
    def part(number: int) -> list[AudienceMember] | None:
        return reader.active_devices_between(org_id, app_id, first, last, part=number)

    with ThreadPoolExecutor(max_workers=min(DEVICE_QUERY_PARALLELISM, reader.range_parts)) as pool:
        parts = list(pool.map(part, range(reader.range_parts)))
    if any(found is None for found in parts):
        return None
    return [member for found in parts if found is not None for member in found]


def _plan_deliveries(
    org_id: str,
    app: MobileApp,
    *,
    user_ids: list[str],
    triggers: Mapping[str, Mapping[str, Any]],
    compiled: CompiledMessage,
    template: DeliveryJob,
    stores: SendStores,
    plan: SendPlan,
    at: datetime,
    timing: RecipientTiming,
) -> None:
    # Consent, zone, locale and the whole record travel with the devices (written in the directory's
    # transaction): the person is read only when their devices cannot answer for them. The record is
    # read (and parsed) only for a message that renders it.
    devices_by_user = read_active_devices(
        stores.recipient_devices, org_id, app.app_id, user_ids, with_record=compiled.reads_directory
    )
    profiles = {}
    unanswered = []
    for user_id in user_ids:
        profile = copied_profile(user_id, devices_by_user[user_id], personal=compiled.reads_directory)
        if profile is None:
            unanswered.append(user_id)
        else:
            profiles[user_id] = profile
    people = people_by_precedence(org_id, unanswered, stores.people) if unanswered else {}
    profiles.update({user_id: RecipientProfile.of(person) for user_id, person in people.items()})
    reachable = _reachable(user_ids, profiles, plan, at)

    packing = JobPacking(template, plan, at)
    shared = shared_notification(compiled)
    for user_id in reachable:
        profile = profiles[user_id]
        devices = [
            JobDevice(
                user_id=user_id,
                platform=device.platform,
                token=device.token,
                token_sha256=device.token_sha256,
                tracking_id="",
                message=0,
                profile_type=profile.profile_type,
            )
            for device in devices_by_user[user_id]
            if platform_configured(app, device.platform)
        ]
        plan_recipient(
            profile,
            devices,
            compiled=compiled,
            timing=timing,
            packing=packing,
            plan=plan,
            at=at,
            trigger=triggers.get(user_id, {}),
            # Trigger data may change the text: such a recipient's notification is their own.
            shared=None if triggers.get(user_id) else shared,
        )
    packing.finish()


def copied_profile(
    user_id: str, devices: Sequence[AudienceMember], *, personal: bool = False
) -> RecipientProfile | None:
    """The person as their devices' copy has them, or ``None`` when the person must be read: no
    device (the outcome tells an unknown recipient from one without consent or device), a device
    stored before the copy existed, copies at different revisions (a directory write settling), a
    copy naming no live record (no person when registered, or erased), or, for a ``personal``
    message, a copy taken before it carried the whole record."""
    if not devices:
        return None
    first = devices[0]
    if first.profile_type is None or first.revision is None:
        return None
    if any(device.revision != first.revision for device in devices):
        return None
    if first.record is not None:
        return RecipientProfile.of_record(user_id, EntityType(first.profile_type), first.record)
    if personal:
        return None
    return RecipientProfile(
        user_id=user_id,
        profile_type=first.profile_type,
        pushconsent=first.pushconsent,
        trackingconsent=first.trackingconsent,
        timezone=first.timezone,
        locale=first.locale,
    )


def _reachable(
    user_ids: list[str], profiles: Mapping[str, RecipientProfile], plan: SendPlan, at: datetime
) -> list[str]:
    """The recipients that exist and consented (as their profiles say); the others are refused (and recorded)."""
    reachable: list[str] = []
    for user_id in user_ids:
        profile = profiles.get(user_id)
        reason = None
        if profile is None:
            reason = NotSentReason.UNKNOWN_RECIPIENT
        elif not profile.pushconsent:
            reason = NotSentReason.NO_PUSH_CONSENT
        if reason is not None:
            plan.rejected.append((user_id, reason.value))
            plan.entries.append(_not_sent(user_id, reason, at, profile.profile_type if profile else None))
        else:
            reachable.append(user_id)
    return reachable


def platform_configured(app: MobileApp, platform: DevicePlatform) -> bool:
    return (app.ios if platform is DevicePlatform.IOS else app.android) is not None


def message_bytes(message: PushMessage) -> int:
    """The estimated JSON size of a notification in a job, in UTF-8 bytes; escapes and separators make
    the real size a little larger."""
    texts = [message.title, message.body, message.subtitle, message.original_link]
    texts += [part for pair in message.extra_data for part in pair]
    text = sum(len(str(value).encode()) for value in texts) + 8 * len(message.extra_data)
    return math.ceil((text + 360) * 1.1)


def get_send(org_id: str, send_id: str, *, stores: SendStores) -> SendRecord:
    """A send with its totals.

    Raises:
        InvalidRequestError: ``sendId`` is not a UUID.
        NotFoundError: No such org or send.
    """
    return find_in_org(org_id, send_id, orgs=stores.orgs, get=stores.sends.get, what="send", id_field="SendId")


def list_recipients(
    org_id: str,
    send_id: str,
    *,
    limit: int,
    next_token: str | None,
    outcome: Outcome | None,
    stores: SendStores,
) -> LedgerPage:
    """One page of a send's ledger (per user and device), optionally only one outcome."""
    send = get_send(org_id, send_id, stores=stores)
    return stores.sends.ledger_page(send.org_id, send.send_id, limit=limit, next_token=next_token, outcome=outcome)


def resume_parked(org_id: str, app_id: str, *, stores: SendStores) -> int:
    """Puts an app's parked delivery jobs back in the delivery queue (after its credentials were fixed).

    Each job goes back under a new job id, so its claim is fresh; it is removed from the parking
    only once it is enqueued.

    Returns:
        The number of devices put back.

    Raises:
        NotFoundError: No such org or app.
        DependencyError: DynamoDB or SQS failed (jobs not yet re-enqueued stay parked).
    """
    org = get_org(org_id, orgs=stores.orgs)
    app = find_sendable_app(org.org_id, app_id, apps=stores.apps)
    return requeue_parked_jobs(org.org_id, app.app_id, parked=stores.parked, queue=stores.queue)


# ---------------------------------------------------------------- people already read (segment sends)


@dataclass(frozen=True)
class PeopleFanout:
    """What a chunk of people already read (one page of a segment) became.

    Attributes:
        entries: Ledger entries decided without a device (no consent, no device, expired...).
        jobs: Delivery jobs due now.
        held: Delivery jobs due later (scheduled, or deferred by quiet hours).
        tracking_keys: Tracking key → job id, for every job.
        devices: Devices put into jobs.
        scheduled: Held devices by UTC hour.
        scheduled_recipients: Held recipients by UTC hour.
        deferred: Recipients quiet hours deferred.
    """

    entries: list[LedgerEntry]
    jobs: list[DeliveryJob]
    held: list[DeliveryJob]
    tracking_keys: dict[str, str]
    devices: int
    scheduled: dict[str, int]
    scheduled_recipients: dict[str, int]
    deferred: int


def check_timing(timing: SendTiming | None, now: datetime) -> None:
    """Checks ``SendAt`` / ``SendAtLocalTime`` as a recipients' send does.

    Raises:
        InvalidRequestError: Both given, malformed, in the past or too far ahead (names the field).
    """
    _schedule(timing, now)


def fan_out_people(
    app: MobileApp,
    people: Sequence[Person],
    *,
    content: MessageContent,
    template: DeliveryJob,
    devices: RecipientDevices,
    policy: DeliveryPolicy,
    timing: SendTiming | None,
    accepted_at: datetime,
    at: datetime,
    job_ids: Callable[[int], str],
    page_ids: Sequence[str],
) -> PeopleFanout:
    """The per-recipient fan-out (:func:`plan_recipient`: consent, devices, quiet hours in each zone,
    rendering from the person's attributes, tracked links, caps in the jobs) of people already read.

    Args:
        app: The app sent through.
        people: The people, each once.
        page_ids: The ids of every person of the page ``people`` were picked from (their devices
            are read as one range when they are many of it, see :func:`read_devices_of_page`).
        content: The message content as it was when the send was accepted.
        template: What every job of the send shares.
        devices: The devices of the people with consent (read many people at once).
        policy: The app's delivery policy when the send was accepted.
        timing: The send's ``SendAt`` / ``SendAtLocalTime`` (checked when it was accepted).
        accepted_at: When the send was accepted (a local time is its next occurrence after it).
        at: Now.
        job_ids: The id of the n-th job of these people (stable when the same people are read again).
    """
    schedule = _Schedule(
        send_at=timing.send_at.astimezone(UTC) if timing and timing.send_at else None,
        local=LocalSendTime.parse(timing.local_time) if timing and timing.local_time else None,
        anchor=accepted_at,
    )
    plan = SendPlan()
    compiled = CompiledMessage(content)
    consenting = [person.person_id for person in people if person.attributes.pushconsent]
    found = read_devices_of_page(devices, app.org_id, app.app_id, consenting, page_ids)
    packing = JobPacking(template, plan, at, JobLimits(job_id=job_ids))
    recipient_timing = RecipientTiming(policy, quiet_exempt=content.time_sensitive is True, schedule=schedule)
    shared = shared_notification(compiled)
    for person in people:
        job_devices = [
            JobDevice(
                user_id=person.person_id,
                platform=device.platform,
                token=device.token,
                token_sha256=device.token_sha256,
                tracking_id="",
                message=0,
                profile_type=person.entity_type.value,
            )
            for device in found.get(person.person_id, [])
            if platform_configured(app, device.platform)
        ]
        plan_recipient(
            RecipientProfile.of(person),
            job_devices,
            compiled=compiled,
            timing=recipient_timing,
            packing=packing,
            plan=plan,
            at=at,
            shared=shared,
        )
    packing.finish()
    return PeopleFanout(
        entries=plan.entries,
        jobs=plan.jobs,
        held=plan.held,
        tracking_keys=plan.tracking_keys,
        devices=plan.devices,
        scheduled=plan.scheduled,
        scheduled_recipients=plan.scheduled_recipients,
        deferred=plan.deferred,
    )
