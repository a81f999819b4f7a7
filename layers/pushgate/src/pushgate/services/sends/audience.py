"""Broadcasts: a send to every ``Active`` device of an app, read in bulk instead of per recipient.

Accepting a broadcast renders the message once (no directory record, no trigger data: placeholders
take their defaults), records the send with its audience's shards pending and puts one page message
per shard of the app's device index in the audience queue. The audience worker reads one page of a
shard (a ``Query`` on ``GSI2``), packs its devices into delivery jobs of up to
``BROADCAST_JOB_MAX_DEVICES``, enqueues them and the shard's next page, and only then counts the
page (a marker item and the send's totals in one transaction).

A page message delivered twice is safe: its jobs get the same ids (``<shard>-<page>-<n>``), so the
delivery claims send each once, and the marker counts the page once. A page expanded twice after
devices changed in between may pack a job differently; the first of the two to be claimed is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from pushgate.errors import InvalidRequestError
from pushgate.ids import new_id
from pushgate.models.send import (
    Audience,
    AudienceMember,
    AudiencePage,
    DeliveryJob,
    JobDevice,
    SendRecord,
    new_tracking_id,
    new_tracking_key,
)
from pushgate.providers import NotificationTooLargeError
from pushgate.repositories.send_ports import AudienceProgress, AudienceQueue, AudienceReader, DeliveryQueue
from pushgate.services.messages.message_rendering import CompiledMessage, Recipient
from pushgate.services.sends.send_fanout import (
    AcceptedSend,
    SendStores,
    app_delivery_policy,
    find_send_parts,
    job_template,
)

#: Devices read per page of a shard: one delivery job's worth. A page must stay under a Query's
#: 1 MB (index entries are about 520 bytes; DynamoDB Local counts whole device items, about 1 KB),
#: and a page of exactly one full job leaves no small remainder jobs, each of which would cost a
#: whole job's fixed writes.
AUDIENCE_PAGE_DEVICES: Final = 800
#: Devices per broadcast delivery job: the notification is shared, so a job is about 250 bytes a
#: device (about 200 KB, four of SQS's 64 KiB billing chunks, under its 256 KiB limit); big jobs
#: spread each job's fixed writes (claim, checkpoints, completion, counters), its SQS requests and
#: its provider round trips (at most four windows a job) over more notifications.
BROADCAST_JOB_MAX_DEVICES: Final = 800


@dataclass(frozen=True)
class AudiencePorts:
    """What the audience worker works with.

    Attributes:
        reader: The app's device index.
        progress: Counts expanded pages into the send.
        pages: The audience queue (the shard's next page).
        jobs: The delivery queue.
    """

    reader: AudienceReader
    progress: AudienceProgress
    pages: AudienceQueue
    jobs: DeliveryQueue


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
    org, app, message, journey_id = find_send_parts(org_id, app_id, message_id, journey_id, stores=stores)
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
    notification = replace(compiled.push_message(rendered, tracking_id=""), link="")
    send_id = make_id()
    # Without a directory record there is no tracking consent: links stay untracked. The app's caps
    # hold for an announcement as for a campaign (the worker admits each person).
    template = job_template(
        message,
        compiled,
        send_id=send_id,
        app_id=app.app_id,
        journey_id=journey_id,
        link_base="",
        policy=app_delivery_policy(org.org_id, app.app_id, stores),
        started=started,
        messages=[notification],
    )
    record = SendRecord(
        org_id=org.org_id,
        send_id=send_id,
        app_id=app.app_id,
        message_id=message.message_id,
        message_version=message.version,
        journey_id=journey_id,
        created_at=started,
        recipients_accepted=0,
        recipients_rejected=0,
        devices_targeted=0,
        recipient_outcomes=0,
        jobs_total=0,
        audience=audience,
        audience_shards_pending=shards,
    )
    stores.sends.create(record, [], {})
    pages.send([AudiencePage(template=template, shard=shard) for shard in range(shards)])
    return AcceptedSend(send_id, 0, [])


def broadcast_job_id(shard: int, page: int, number: int) -> str:
    """The id of the ``number``-th job of a page (``03-000012-02``): the same whenever the page is read."""
    return f"{shard:02d}-{page:06d}-{number:02d}"


def _job_devices(members: list[AudienceMember]) -> list[JobDevice]:
    # Devices of a platform the app has no credentials for are recorded NotSent by the worker.
    return [
        JobDevice(
            user_id=member.user_id,
            platform=member.platform,
            token=member.token,
            token_sha256=member.token_sha256,
            tracking_id="",
            message=0,
        )
        for member in members
    ]


def expand_page(
    page: AudiencePage,
    ports: AudiencePorts,
    *,
    now: Callable[[], datetime] = _now,
    page_size: int = AUDIENCE_PAGE_DEVICES,
    job_size: int = BROADCAST_JOB_MAX_DEVICES,
) -> int:
    """Reads one page of a shard, enqueues its delivery jobs and the next page, then counts it.

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
    devices = _job_devices(members)
    jobs: list[DeliveryJob] = []
    tracking_keys: dict[str, str] = {}
    for start in range(0, len(devices), job_size):
        tracking_key = new_tracking_key()
        job_id = broadcast_job_id(page.shard, page.page, len(jobs))
        tracking_keys[tracking_key] = job_id
        chunk = [
            device.model_copy(update={"tracking_id": new_tracking_id(tracking_key)})
            for device in devices[start : start + job_size]
        ]
        jobs.append(template.model_copy(update={"job_id": job_id, "devices": chunk}))
    if jobs:
        ports.jobs.send(jobs)
    if next_key is not None:
        ports.pages.send([page.model_copy(update={"page": page.page + 1, "start_key": next_key})])
    counted = ports.progress.count_audience_page(
        template,
        shard=page.shard,
        page=page.page,
        devices=len(devices),
        jobs=len(jobs),
        last=next_key is None,
        tracking_keys=tracking_keys,
        at=now(),
    )
    return len(devices) if counted else 0
