"""Broadcasts: a send to every ``Active`` device of an app, read in bulk instead of per recipient.

Accepting a broadcast checks that the message renders (no directory record, no trigger data:
placeholders take their defaults), records the send with its audience's shards pending and puts one
page message per shard of the app's device index in the audience queue. The audience worker reads
one page of a shard (a ``Query`` on ``GSI3``, which projects each device's copy of its person's
consent, zone and locale: see ``pushgate.adapters.dynamodb.device_audience``), decides each
person of the page as a per-recipient send does (``send_fanout.plan_recipient``: no push consent →
``NotSent``, quiet hours in their zone → held until they end, links tracked only with tracking
consent), packs the devices into delivery jobs of up to ``JOB_MAX_DEVICES``, enqueues (or
holds) them and the shard's next page, and only then counts the page (a marker item, the page's
``NotSent`` outcomes and the send's totals in one transaction). A message that is not personal is
rendered once for everyone; one that reads ``{{contact.*}}`` or has localizations reads the page's
people (one ``BatchGetItem`` per 100) and renders per person.

A page message delivered twice is safe: its jobs get the same ids (``<shard>-<page>-<n>``), so the
delivery claims send each once, and the marker counts the page once. A page expanded twice after
devices changed in between may pack a job differently; the first of the two to be claimed is sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from pushgate.errors import DependencyError, InvalidRequestError
from pushgate.ids import new_id
from pushgate.models.delivery_timing import DEFAULT_DELIVERY_POLICY
from pushgate.models.directory import EntityType, Person
from pushgate.models.payloads import NotificationTooLargeError
from pushgate.models.push import PushMessage
from pushgate.models.send import (
    Audience,
    AudienceMember,
    AudiencePage,
    JobDevice,
    SendRecord,
)
from pushgate.services.directory.ports import PersonRepository
from pushgate.services.messages.message_rendering import CompiledMessage, Recipient
from pushgate.services.messages.ports import MessageTemplateRepository
from pushgate.services.sends.ports import (
    AudiencePageCount,
    AudienceProgress,
    AudienceQueue,
    AudienceReader,
    DeliveryQueue,
    HeldJobs,
)
from pushgate.services.sends.send_fanout import (
    JOB_MAX_DEVICES,
    AcceptedSend,
    JobLimits,
    JobPacking,
    RecipientProfile,
    RecipientTiming,
    SendPlan,
    SendStores,
    app_delivery_policy,
    find_send_parts,
    job_notification,
    job_template,
    people_by_precedence,
    plan_recipient,
)

#: Devices read per page of a shard: one delivery job's worth, so a page leaves no small remainder
#: jobs, each of which would cost a whole job's fixed writes. Index entries are about 520 bytes, so a
#: page passes a ``Query``'s 1 MB and is read in four (DynamoDB Local counts whole device items,
#: about 1 KB, so it reads 1,000 a call); the read units are the same whatever the calls.
AUDIENCE_PAGE_DEVICES: Final = JOB_MAX_DEVICES


@dataclass(frozen=True)
class AudiencePorts:
    """What the audience worker works with.

    Attributes:
        reader: The app's device index.
        progress: Counts expanded pages into the send.
        pages: The audience queue (the shard's next page).
        jobs: The delivery queue.
        messages: Push messages (the version a page renders).
        people: The directory (a personal message's people, and devices without their person's copy).
        held: Jobs held until quiet hours end.
    """

    reader: AudienceReader
    progress: AudienceProgress
    pages: AudienceQueue
    jobs: DeliveryQueue
    messages: MessageTemplateRepository
    people: PersonRepository
    held: HeldJobs


def _now() -> datetime:
    return datetime.now(UTC)


def accept_broadcast(
    org_id: str,
    *,
    app_id: str,
    message_id: str,
    audience: Audience,
    journey_id: str | None,
    stores: SendStores,
    pages: AudienceQueue,
    shards: int,
    now: Callable[[], datetime] = _now,
    make_id: Callable[[], str] = new_id,
) -> AcceptedSend:
    """Validates a broadcast, renders it once, records it and queues the first page of every shard.

    Returns:
        The send id; no recipient is named, so none is accepted or rejected yet (the send's
        ``DevicesTargeted`` grows as the pages are read).

    Raises:
        InvalidRequestError: Malformed ids, or a message too large to send (names the field).
        NotFoundError: No such org, app or message.
        ConflictError: The message is not ``Active``.
        DependencyError: DynamoDB or SQS failed.
    """
    parts = find_send_parts(org_id, app_id, message_id, journey_id, stores=stores)
    org, app, message, journey_id = parts
    started = now()
    content = message.content
    compiled = CompiledMessage(content)
    if content.expires_at is not None and content.expires_at <= started:
        raise InvalidRequestError.for_field("MessageId", "the message has expired; a broadcast would send nothing")
    try:
        rendered = compiled.render(Recipient())
    except NotificationTooLargeError as error:
        raise InvalidRequestError.for_field("MessageId", f"the notification is too large: {error}") from error
    if rendered.url_problem is not None:
        raise InvalidRequestError.for_field("MessageId", f"OnClick.Url {rendered.url_problem}")
    notification = job_notification(compiled, rendered)
    send_id = make_id()
    policy = app_delivery_policy(org.org_id, app.app_id, stores)
    # Links are tracked for the people with tracking consent (the page knows who they are). The
    # app's caps hold for an announcement as for a campaign (the worker admits each person). The
    # notification rendered here is everyone's unless the message is personal.
    template = job_template(
        parts,
        compiled,
        send_id=send_id,
        link_base=stores.link_base,
        policy=policy,
        started=started,
        messages=[notification],
    )
    record = SendRecord.accepted(template, created_at=started, audience=audience, audience_shards_pending=shards)
    stores.sends.create(record, [], {})
    pages.send(
        [
            AudiencePage(
                template=template,
                shard=shard,
                policy=policy,
                quiet_exempt=content.time_sensitive is True,
                personal=compiled.is_personal,
            )
            for shard in range(shards)
        ]
    )
    return AcceptedSend(send_id, 0, [])


def broadcast_job_id(shard: int, page: int, number: int) -> str:
    """The id of the ``number``-th job of a page (``03-000012-02``): the same whenever the page is read."""
    return f"{shard:02d}-{page:06d}-{number:02d}"


_COMPILED: dict[tuple[str, str, int], CompiledMessage] = {}
_COMPILED_LOCK = threading.Lock()


def _compiled(page: AudiencePage, messages: MessageTemplateRepository) -> CompiledMessage:
    """The message version the send renders, compiled once per process (versions never change)."""
    template = page.template
    key = (template.org_id, template.message_id, template.message_version)
    with _COMPILED_LOCK:
        found = _COMPILED.get(key)
    if found is not None:
        return found
    version = messages.get_version(*key)
    if version is None:
        # Deleted with its history while the send was running: the page is read again later and
        # counted once the message is back, or dropped with the queue's retention.
        raise DependencyError(message=f"message {template.message_id} version {template.message_version} is gone")
    compiled = CompiledMessage(version.content)
    with _COMPILED_LOCK:
        _COMPILED[key] = compiled
    return compiled


def _profiles(
    org_id: str, members: Sequence[AudienceMember], people: PersonRepository, *, personal: bool
) -> dict[str, RecipientProfile]:
    """Each user of the page as the broadcast decides them.

    The device items' copy of the person decides consent, zone and locale; the directory is read
    only for a personal message (its attributes) and for devices stored before the copy existed.
    """
    profiles: dict[str, RecipientProfile] = {}
    to_read: dict[str, str | None] = {}
    for member in members:
        if member.user_id in profiles or member.user_id in to_read:
            continue
        if member.stamped and not (personal and member.profile_type is not None and member.pushconsent):
            profiles[member.user_id] = RecipientProfile(
                user_id=member.user_id,
                profile_type=member.profile_type,
                pushconsent=member.pushconsent,
                trackingconsent=member.trackingconsent,
                timezone=member.timezone,
                locale=member.locale,
            )
        else:
            to_read[member.user_id] = member.profile_type if member.stamped else None
    known = {user_id: kind for user_id, kind in to_read.items() if kind is not None}
    found: dict[str, Person] = {}
    if known:
        # The copy names the record's kind: one key per person.
        refs = [(EntityType(kind), user_id) for user_id, kind in known.items()]
        found.update({person.person_id: person for person in people.get_many(org_id, refs)})
    unknown = [user_id for user_id in to_read if user_id not in known]
    if unknown:
        found.update(people_by_precedence(org_id, unknown, people))
    for user_id in to_read:
        person = found.get(user_id)
        # No record: an anonymous device, which gets the defaults as it always did.
        profiles[user_id] = RecipientProfile.of(person) if person is not None else RecipientProfile(user_id=user_id)
    return profiles


def _job_device(member: AudienceMember) -> JobDevice:
    return JobDevice(
        user_id=member.user_id,
        platform=member.platform,
        token=member.token,
        token_sha256=member.token_sha256,
        tracking_id="",
        message=0,
    )


def plan_page(
    page: AudiencePage,
    members: Sequence[AudienceMember],
    *,
    compiled: CompiledMessage,
    people: PersonRepository,
    at: datetime,
    job_size: int = JOB_MAX_DEVICES,
) -> SendPlan:
    """Decides a page of a broadcast person by person (``send_fanout.plan_recipient``), packing the
    devices into the page's jobs (ids ``<shard>-<page>-<n>``, the same whenever the page is read).

    Devices of a platform the app has no credentials for go into the jobs anyway: the delivery
    worker records them ``NotSent``.
    """
    template = page.template
    plan = SendPlan()
    limits = JobLimits(max_devices=job_size, job_id=lambda number: broadcast_job_id(page.shard, page.page, number))
    packing = JobPacking(template, plan, at, limits)
    timing = RecipientTiming(page.policy or DEFAULT_DELIVERY_POLICY, quiet_exempt=page.quiet_exempt)
    profiles = _profiles(template.org_id, members, people, personal=page.personal)
    devices: dict[str, list[JobDevice]] = {}
    for member in members:
        devices.setdefault(member.user_id, []).append(_job_device(member))
    shared: PushMessage | None = None if page.personal else template.messages[0]
    for user_id, user_devices in devices.items():
        plan_recipient(
            profiles[user_id],
            user_devices,
            compiled=compiled,
            timing=timing,
            packing=packing,
            plan=plan,
            at=at,
            shared=shared,
        )
    packing.finish()
    return plan


def expand_page(
    page: AudiencePage,
    ports: AudiencePorts,
    *,
    now: Callable[[], datetime] = _now,
    page_size: int = AUDIENCE_PAGE_DEVICES,
    job_size: int = JOB_MAX_DEVICES,
) -> int:
    """Reads one page of a shard, enqueues (or holds) its delivery jobs and the next page, then counts it.

    ``page_size`` and ``job_size`` are the module's limits unless a test wants smaller ones.

    Returns:
        The devices put into jobs (0 when the page had been counted before).

    Raises:
        DependencyError: DynamoDB or SQS failed; SQS delivers the page again.
    """
    template = page.template
    members, next_key = ports.reader.audience_page(
        template.org_id, template.app_id, page.shard, limit=page_size, start_key=page.start_key
    )
    at = now()
    plan = plan_page(
        page, members, compiled=_compiled(page, ports.messages), people=ports.people, at=at, job_size=job_size
    )
    if plan.jobs:
        ports.jobs.send(plan.jobs)
    if plan.held:
        ports.held.hold(plan.held)
    if next_key is not None:
        ports.pages.send([page.model_copy(update={"page": page.page + 1, "start_key": next_key})])
    count = AudiencePageCount(
        shard=page.shard,
        page=page.page,
        devices=plan.devices,
        jobs=len(plan.jobs) + len(plan.held),
        last=next_key is None,
        tracking_keys=plan.tracking_keys,
        entries=plan.entries,
        scheduled=plan.scheduled,
        scheduled_recipients=plan.scheduled_recipients,
        deferred=plan.deferred,
    )
    counted = ports.progress.count_audience_page(template, count, at=at)
    return plan.devices if counted else 0
