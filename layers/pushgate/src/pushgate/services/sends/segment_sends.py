"""Segment sends: a send to the people a filter over the directory selects, expanded page by page.

Accepting one checks the filter (the same parser as ``GET .../contacts?$filter=`` and saved
segments), the timing and the message, records the send with one page chain pending and puts its
first page in the audience queue. The audience worker reads a page of the org's people of the
segment's kind (eventually consistent, ``SEGMENT_PAGE_PEOPLE`` people), enqueues the
next page at once (so pages are read in parallel by several workers while this one works), keeps
the people that match, and hands them to the send's per-recipient fan-out
(:func:`~pushgate.services.sends.send_fanout.fan_out_people`: consent, devices, quiet hours in each
person's zone, rendering from their attributes, tracked links, frequency caps in the jobs). When
they are many of the page, their devices are one range of the app's devices in user order (every
device between the first and the last of them, the others' dropped), otherwise read person by person
(:func:`~pushgate.services.sends.send_fanout.read_devices_of_page`). It stores the jobs' tracking
keys, enqueues (or holds) the jobs, then counts the page: its marker, the ledger item of its outcomes
decided without a device and its totals, in one transaction.

Each person is sent once per send even when a page is read twice (a redelivered page message, or a
worker that died mid-page): a page is the people after one id up to a page size, so it holds the
same people when read again; they are packed in the same order into jobs with the same ids
(``<page>-<n>``), and the delivery worker's claim on a job id sends it once. A page already counted
is skipped at once (its next page was enqueued before it was counted). A person whose devices or
attributes change between two reads of one page may be packed differently, and is then sent by
whichever job is claimed first, the others' claims refusing the ids already done; a person added
in between falls in the page whose range holds their id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from pushgate.errors import InvalidRequestError
from pushgate.ids import new_id
from pushgate.models.send import SegmentPage, SendRecord, segment_job_id
from pushgate.services.directory.person_filters import parse_person_filter
from pushgate.services.directory.ports import PersonRepository
from pushgate.services.messages.message_rendering import CompiledMessage
from pushgate.services.messages.ports import AppFinder
from pushgate.services.segments.ports import SegmentRepository
from pushgate.services.segments.segments import AudienceFilter, audience_person_filter
from pushgate.services.sends.ports import (
    AudienceQueue,
    DeliveryQueue,
    HeldJobs,
    RecipientDevices,
    SegmentPageCount,
    SegmentProgress,
)
from pushgate.services.sends.send_fanout import (
    AcceptedSend,
    SendStores,
    SendTiming,
    app_delivery_policy,
    check_timing,
    fan_out_people,
    find_send_parts,
    find_sendable_app,
    job_template,
)

#: People read per page. A page's matching people make its jobs, each of which costs its fixed writes,
#: ``PUT`` and requests whatever its size, so a page is big enough that a filter matching half of them
#: fills most of a job (``JOB_MAX_DEVICES`` at 1.5 devices a person, 2,850 devices); a page sized to
#: fill it exactly would spill a small second job whenever it matched a few more (W6: 73 jobs for 51
#: pages). People are about 1 KB, so the page is read in a few ``Query`` calls of 1 MB. Its device
#: reads (16 ranges at once, or 50 matching people a statement) stay well within the audience
#: worker's timeout.
SEGMENT_PAGE_PEOPLE: Final = 3800


@dataclass(frozen=True)
class SegmentPorts:
    """What the audience worker works with for segment pages.

    Attributes:
        people: The directory (pages of one kind of people).
        apps: The app (its platforms).
        devices: Each matched person's devices.
        progress: Tracking keys and page counts.
        pages: The audience queue (the next page).
        jobs: The delivery queue.
        held: Jobs due later (scheduled sends, quiet hours).
    """

    people: PersonRepository
    apps: AppFinder
    devices: RecipientDevices
    progress: SegmentProgress
    pages: AudienceQueue
    jobs: DeliveryQueue
    held: HeldJobs | None


def _now() -> datetime:
    return datetime.now(UTC)


def accept_segment_send(
    org_id: str,
    *,
    app_id: str,
    message_id: str,
    audience: AudienceFilter,
    journey_id: str | None,
    timing: SendTiming | None,
    stores: SendStores,
    segments: SegmentRepository,
    pages: AudienceQueue,
    now: Callable[[], datetime] = _now,
    make_id: Callable[[], str] = new_id,
) -> AcceptedSend:
    """Validates a segment send, records it and queues its first page.

    Returns:
        The send id; nobody is named yet, so none is accepted or rejected (``RecipientsAccepted``
        grows as the pages are read).

    Raises:
        InvalidRequestError: Malformed ids, a filter that does not parse (``Audience.Filter``, with
            the position), bad timing, or an expired message (names the field).
        NotFoundError: No such org, app, message or segment.
        ConflictError: The message is not ``Active``.
        DependencyError: DynamoDB or SQS failed.
    """
    parts = find_send_parts(org_id, app_id, message_id, journey_id, stores=stores)
    org, app, message, journey_id = parts
    person_filter, segment_id = audience_person_filter(org.org_id, audience, segments=segments)
    started = now()
    check_timing(timing, started)
    scheduled = timing is not None and (timing.send_at is not None or timing.local_time is not None)
    if scheduled and stores.held is None:
        raise InvalidRequestError.for_field("SendAt", "scheduled delivery is not configured in this deployment")
    content = message.content
    if content.expires_at is not None and content.expires_at <= started:
        raise InvalidRequestError.for_field("MessageId", "the message has expired; the send would deliver nothing")
    policy = app_delivery_policy(org.org_id, app.app_id, stores)
    send_id = make_id()
    compiled = CompiledMessage(content)
    template = job_template(
        parts, compiled, send_id=send_id, link_base=stores.link_base, policy=policy, started=started
    )
    local_time = timing.local_time.strip() if timing and timing.local_time else None
    send_at = timing.send_at.astimezone(UTC) if timing and timing.send_at else None
    record = SendRecord.accepted(
        template,
        created_at=started,
        send_at=send_at,
        send_at_local_time=local_time,
        audience_shards_pending=1,
        audience_filter=person_filter.text,
        audience_kind=person_filter.entity_type,
        segment_id=segment_id,
    )
    stores.sends.create(record, [], {})
    first = SegmentPage(
        template=template,
        content=content,
        kind=person_filter.entity_type,
        filter=person_filter.text,
        policy=policy,
        send_at=send_at,
        send_at_local_time=local_time,
        accepted_at=started,
    )
    pages.send([first])
    return AcceptedSend(send_id, 0, [])


def expand_segment_page(
    page: SegmentPage,
    ports: SegmentPorts,
    *,
    now: Callable[[], datetime] = _now,
    page_size: int = SEGMENT_PAGE_PEOPLE,
) -> int:
    """Reads one page of a segment send's people, fans the matching ones out and counts the page.

    Returns:
        The devices put into jobs (0 when the page had been counted before).

    Raises:
        DependencyError: DynamoDB or SQS failed; SQS delivers the page again.
    """
    template = page.template
    if ports.progress.segment_page_counted(template.org_id, template.send_id, page.page):
        return 0
    person_filter = parse_person_filter(page.filter, page.kind)
    people, next_after = ports.people.read_page(template.org_id, page.kind, after_id=page.after_id, limit=page_size)
    if next_after is not None:
        # Enqueued before this page's work, so the next page is read in parallel with it.
        ports.pages.send([page.model_copy(update={"page": page.page + 1, "after_id": next_after})])
    matched = [person for person in people if person_filter.matches(person)]
    at = now()
    app = find_sendable_app(template.org_id, template.app_id, apps=ports.apps)
    fanout = fan_out_people(
        app,
        matched,
        content=page.content,
        template=template,
        devices=ports.devices,
        policy=page.policy,
        timing=SendTiming(send_at=page.send_at, local_time=page.send_at_local_time),
        accepted_at=page.accepted_at,
        at=at,
        job_ids=lambda number: segment_job_id(page.page, number),
        page_ids=[person.person_id for person in people],
    )
    # Tracking keys first: every tracking id a device can receive resolves.
    if fanout.tracking_keys:
        ports.progress.store_tracking_keys(template, fanout.tracking_keys, at=at)
    if fanout.held and ports.held is not None:
        ports.held.hold(fanout.held)
    if fanout.jobs:
        ports.jobs.send(fanout.jobs)
    counted = ports.progress.count_segment_page(
        template,
        SegmentPageCount(
            page=page.page,
            people=len(matched),
            devices=fanout.devices,
            jobs=len(fanout.jobs) + len(fanout.held),
            entries=fanout.entries,
            scheduled=fanout.scheduled,
            scheduled_recipients=fanout.scheduled_recipients,
            deferred=fanout.deferred,
            last=next_after is None,
        ),
        at=at,
    )
    return fanout.devices if counted else 0
