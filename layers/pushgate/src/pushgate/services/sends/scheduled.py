"""Held delivery jobs: released to the delivery queue when due, or canceled with their send.

A scheduled send (``SendAt``, ``SendAtLocalTime``) and a notification deferred by quiet hours are
ordinary delivery jobs with a ``due_at``, held in DynamoDB instead of the queue. The release
function runs every minute (EventBridge Scheduler): it takes the jobs due within the next minute
and enqueues each with the SQS ``DelaySeconds`` that remains (under 60 s, far below SQS's 15-minute
limit), then forgets it. Enqueueing comes first, so a crash in between enqueues a job twice at
worst, and its delivery claim makes the second copy a no-op.

A cancel marks the send first, then claims every job it still holds and records its devices
``NotSent`` / ``Canceled``. A job already released is stopped by the delivery worker, which
checks the mark before each job; a job whose claim a worker already holds goes on as it was.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from pushgate.errors import ConflictError, FieldProblem, PushgateError
from pushgate.models.delivery_timing import hour_bucket
from pushgate.models.send import DeliveryJob, LedgerEntry, NotSentReason, Outcome, SendRecord
from pushgate.observability import logger
from pushgate.services.sends.ports import (
    ClaimState,
    DeliveryQueue,
    HeldJobs,
    InsightCounters,
    JobOutcomes,
    SendRepository,
)
from pushgate.services.sends.send_fanout import SendStores, get_send

#: How far ahead of their due time jobs are handed to SQS (the release runs once a minute).
RELEASE_LOOKAHEAD: Final = timedelta(seconds=60)
#: SQS ``DelaySeconds`` cannot exceed 15 minutes.
MAX_SQS_DELAY_S: Final = 900
#: Jobs one release run takes at most (the next minute's run continues).
RELEASE_BATCH: Final = 2000


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReleaseReport:
    """What one release run did.

    Attributes:
        jobs: Jobs handed to the delivery queue.
        devices: Their devices.
    """

    jobs: int = 0
    devices: int = 0


def release_due_jobs(
    *,
    held: HeldJobs,
    queue: DeliveryQueue,
    sends: SendRepository,
    now: Callable[[], datetime] = _now,
    lookahead: timedelta = RELEASE_LOOKAHEAD,
    limit: int = RELEASE_BATCH,
) -> ReleaseReport:
    """Enqueues every held job due within ``lookahead``, each delayed until it is due.

    Raises:
        DependencyError: DynamoDB or SQS failed (what was not released stays held for the next run).
    """
    at = now()
    jobs = held.due(at + lookahead, limit=limit)
    released = devices = 0
    for job in jobs:
        assert job.due_at is not None  # noqa: S101 - held jobs always carry it
        delay = min(MAX_SQS_DELAY_S, max(0, math.ceil(job.due_at - at.timestamp())))
        queue.send([job.model_copy(update={"due_at": None})], delay_seconds=delay)
        if held.remove(job):
            sends.add_released(
                job.org_id, job.send_id, hour_bucket(datetime.fromtimestamp(job.due_at, UTC)), len(job.devices)
            )
            released += 1
            devices += len(job.devices)
    return ReleaseReport(jobs=released, devices=devices)


def _canceled_entries(job: DeliveryJob, at: datetime) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            user_id=device.user_id,
            outcome=Outcome.NOT_SENT,
            reason=NotSentReason.CANCELED.value,
            platform=device.platform,
            token_sha256=device.token_sha256,
            tracking_id=device.tracking_id,
            at=at,
            profile_type=device.profile_type,
        )
        for device in job.devices
    ]


def _count(counters: InsightCounters | None, job: DeliveryJob, entries: list[LedgerEntry], at: datetime) -> None:
    if counters is None or not entries:
        return
    try:
        counters.add(job, entries, day=at.date().isoformat())
    except PushgateError as error:
        logger.warning(
            "insight counters not updated", extra={"send_id": job.send_id, "error_type": type(error).__name__}
        )


def cancel_send(org_id: str, send_id: str, *, stores: SendStores, now: Callable[[], datetime] = _now) -> SendRecord:
    """Stops what a send has not handed to a provider yet; its ledger says ``Canceled`` for those devices.

    Canceling twice is harmless (the second call finds nothing left to stop).

    Raises:
        NotFoundError: No such org or send.
        ConflictError: The send had completed: nothing is left to cancel.
    """
    send = get_send(org_id, send_id, stores=stores)
    if send.canceled_at is None and send.completed:
        problem = "the send has completed; nothing is left to cancel"
        raise ConflictError(message=f"sendId: {problem}", problems=[FieldProblem("sendId", problem)])
    at = now()
    stores.sends.mark_canceled(send.org_id, send.send_id, at=at)
    canceled = 0
    held = stores.held
    for job in held.of_send(send.org_id, send.send_id) if held is not None else []:
        if stores.sends.claim(job, at=at) is ClaimState.CLAIMED:
            entries = _canceled_entries(job, at)
            if stores.sends.complete(job, JobOutcomes(entries), at=at):
                _count(stores.counters, job, entries, at)
                canceled += len(entries)
        assert held is not None  # noqa: S101 - the loop runs only with a store
        held.remove(job)
    logger.info("send canceled", extra={"send_id": send.send_id, "held_devices_canceled": canceled})
    return get_send(send.org_id, send.send_id, stores=stores)
