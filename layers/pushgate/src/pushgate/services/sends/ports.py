"""Ports of the send fan-out and delivery use cases, delivery timing and fatigue included (app
delivery policies, held delivery jobs, frequency caps); adapters live in
``pushgate.adapters.dynamodb.sends``, ``pushgate.adapters.dynamodb.device_verdicts``,
``pushgate.adapters.dynamodb.delivery_timing`` and ``pushgate.adapters.delivery_queue``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pushgate.models.delivery_progress import JobProgress
from pushgate.models.delivery_timing import CapRule, DeliveryPolicy
from pushgate.models.device import DevicePlatform, DeviceRef
from pushgate.models.send import (
    AudienceMember,
    AudiencePage,
    DeliveryJob,
    LedgerEntry,
    Outcome,
    SegmentPage,
    SendRecord,
)


class ClaimState(StrEnum):
    """What a delivery worker finds when it claims a job."""

    CLAIMED = "Claimed"  # nobody had it: this worker sends
    IN_FLIGHT = "InFlight"  # claimed before and never completed: a worker died mid-job
    DONE = "Done"  # completed before: a redelivered message


@dataclass(frozen=True)
class LedgerPage:
    """One page of a send's ledger.

    Attributes:
        entries: The entries, in job order.
        next_token: Where the next page starts, or ``None`` on the last page.
    """

    entries: list[LedgerEntry]
    next_token: str | None


@dataclass(frozen=True)
class SendHistoryFilter:
    """Which of an org's sends a history listing names: all of them, or one message's and/or one app's.

    Attributes:
        app_id: Only this app's sends.
        message_id: Only this message's sends.
    """

    app_id: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class JobOutcomes:
    """What one run of a delivery job ends with, recorded when the job completes.

    Attributes:
        entries: The ledger entries of its devices.
        parked: Devices parked because the app's credentials failed (they wait for a resume).
    """

    entries: Sequence[LedgerEntry]
    parked: int = 0


class SendRepository(Protocol):
    """Stores sends, the claims of their delivery jobs and the ledger those claims become."""

    def create(self, send: SendRecord, fanout_entries: Sequence[LedgerEntry], tracking_keys: Mapping[str, str]) -> None:
        """Stores a new send together with the outcomes decided at fan-out, all or nothing.

        ``tracking_keys`` maps each delivery job's tracking key to its job id; they are stored
        first, so every tracking id a device can receive resolves.
        """

    def get(self, org_id: str, send_id: str) -> SendRecord | None:
        """A send with its totals, or ``None``."""

    def history_page(
        self, org_id: str, only: SendHistoryFilter, *, limit: int, next_token: str | None
    ) -> tuple[list[SendRecord], str | None]:
        """One page of an org's sends that ``only`` names, newest first.

        Raises:
            InvalidRequestError: ``next_token`` belongs to another listing.
        """

    def claim(self, job: DeliveryJob, *, at: datetime, progress: JobProgress | None = None) -> ClaimState:
        """Claims a job before any provider call (a conditional put, holding the run's first
        checkpoint); says what was there before."""

    def progress(self, job: DeliveryJob) -> JobProgress | None:
        """The checkpoint of a claim in flight, or ``None`` when the claim is not in flight."""

    def checkpoint(
        self, job: DeliveryJob, progress: JobProgress, *, expected_owner: str, expected_version: int | None = None
    ) -> bool:
        """Replaces the checkpoint while ``expected_owner`` holds the claim in flight (and, with
        ``expected_version``, while the stored checkpoint is still the one of that version).

        Returns:
            ``False`` when another run holds the claim now, the checkpoint moved on, or the job is
            complete.
        """

    def complete(self, job: DeliveryJob, outcomes: JobOutcomes, *, at: datetime, owner: str | None = None) -> bool:
        """Records a claimed job's outcomes and adds them to the send's totals, all or nothing.

        Returns:
            ``False`` when the job was already complete or ``owner`` no longer holds it (nothing
            was added twice).
        """

    def ledger_page(
        self, org_id: str, send_id: str, *, limit: int, next_token: str | None, outcome: Outcome | None
    ) -> LedgerPage:
        """One page of the send's ledger entries (``outcome`` filters them)."""

    def mark_canceled(self, org_id: str, send_id: str, *, at: datetime) -> bool:
        """Records that the send was canceled; ``False`` when it was canceled before."""

    def add_released(self, org_id: str, send_id: str, hour: str, devices: int) -> None:
        """Adds held devices handed to the delivery queue to the send's count of their due hour."""


class InsightCounters(Protocol):
    """Per-day delivery counters of messages, journeys and apps."""

    def add(self, job: DeliveryJob, entries: Sequence[LedgerEntry], *, day: str) -> None:
        """Adds one job's outcomes (``Sent``, ``NotSent`` also by reason) to the day's counter of
        each dimension the job counts in (its message, its app, its journey when there is one)."""


class ParkedJobs(Protocol):
    """Jobs parked because their app's credentials for a platform failed."""

    def park(self, job: DeliveryJob, platform: DevicePlatform, *, reason: str, at: datetime) -> None:
        """Stores a job (its devices of one platform) until it is resumed."""

    def take(self, org_id: str, app_id: str) -> list[DeliveryJob]:
        """Every parked job of an app (still parked until ``remove``)."""

    def remove(self, job: DeliveryJob) -> None:
        """Forgets a parked job once it is back in the delivery queue."""


class DeliveryQueue(Protocol):
    """Hands delivery jobs to the delivery worker."""

    def send(self, jobs: Sequence[DeliveryJob], *, delay_seconds: int = 0) -> None:
        """Enqueues jobs (``SendMessageBatch``, ten per call).

        Raises:
            DependencyError: Some could not be enqueued.
        """


class AudienceQueue(Protocol):
    """Hands pages of broadcast audiences to the audience worker."""

    def send(self, pages: Sequence[AudiencePage | SegmentPage]) -> None:
        """Enqueues pages.

        Raises:
            DependencyError: Some could not be enqueued.
        """


class AudienceReader(Protocol):
    """Reads an app's ``Active`` devices in bulk, shard by shard."""

    def audience_page(
        self, org_id: str, app_id: str, shard: int, *, limit: int, start_key: Mapping[str, Any] | None
    ) -> tuple[list[AudienceMember], dict[str, Any] | None]:
        """One page of a shard, and where the next one starts (``None`` after the last)."""


class RecipientDevices(Protocol):
    """Recipients' devices with their copy of the person (consent, zone, locale), many recipients a read."""

    #: The parts a read of a range of users is made of (each read on its own, in parallel).
    range_parts: int

    def active_devices(
        self, org_id: str, app_id: str, user_ids: Sequence[str], *, with_record: bool = False
    ) -> dict[str, list[AudienceMember]]:
        """Each user's ``Active`` devices of the app (``[]`` for a user with none); ``with_record``:
        with the copy of the person's whole record, for a message that reads it."""

    def active_devices_between(
        self, org_id: str, app_id: str, first_user_id: str, last_user_id: str, *, part: int
    ) -> list[AudienceMember] | None:
        """One part (``0`` to ``range_parts - 1``) of the app's ``Active`` devices of every user whose
        id sorts from ``first_user_id`` to ``last_user_id`` (both included), without the copy of the
        whole record; ``None`` while this read is not available (an index still being built)."""


@dataclass(frozen=True, kw_only=True)
class PageCount:
    """What one expanded page of a broadcast or a segment send adds to its send.

    Attributes:
        devices: Devices put into jobs.
        jobs: Jobs enqueued or held.
        last: Whether no page follows (in the broadcast's shard, or in the segment send).
        entries: Recipient-level outcomes decided without a job (no push consent, no device...).
        scheduled: Devices held by quiet hours or a schedule, by UTC hour.
        scheduled_recipients: People held, by the same hours.
        deferred: People whose notification quiet hours deferred.
    """

    devices: int
    jobs: int
    last: bool
    entries: Sequence[LedgerEntry] = ()
    scheduled: Mapping[str, int] = field(default_factory=dict)
    scheduled_recipients: Mapping[str, int] = field(default_factory=dict)
    deferred: int = 0


@dataclass(frozen=True, kw_only=True)
class AudiencePageCount(PageCount):
    """What one expanded page of a broadcast adds to its send.

    Attributes (besides the :class:`PageCount`):
        shard: The index shard.
        page: The page number within the shard.
        tracking_keys: Tracking key → job id, for the page's jobs.
    """

    shard: int
    page: int
    tracking_keys: Mapping[str, str]


class AudienceProgress(Protocol):
    """Counts a broadcast's expanded pages into its send."""

    def count_audience_page(self, send: DeliveryJob, count: AudiencePageCount, *, at: datetime) -> bool:
        """Counts a page once, with its outcomes and held devices; ``False`` when it was counted before."""


@dataclass(frozen=True, kw_only=True)
class SegmentPageCount(PageCount):
    """What one expanded page of a segment send adds to the send.

    Attributes (besides the :class:`PageCount`):
        page: The page's number.
        people: People of the page that matched the filter (each has ledger entries).
    """

    page: int
    people: int


class SegmentProgress(Protocol):
    """Records a segment send's expanded pages."""

    def store_tracking_keys(self, send: DeliveryJob, tracking_keys: Mapping[str, str], *, at: datetime) -> None:
        """Stores the tracking keys of jobs before they are enqueued."""

    def segment_page_counted(self, org_id: str, send_id: str, page: int) -> bool:
        """Whether the page was counted before."""

    def count_segment_page(self, send: DeliveryJob, count: SegmentPageCount, *, at: datetime) -> bool:
        """Counts a page once; ``False`` when it was counted before."""


class DeviceVerdicts(Protocol):
    """Applies provider verdicts to stored devices."""

    def mark_invalid(
        self, device: DeviceRef, *, reason: str, invalid_since: datetime, send_id: str, at: datetime
    ) -> bool:
        """Marks an ``Active`` device ``Invalid`` unless it was registered again after ``invalid_since``.

        Returns:
            Whether the device was marked.
        """


class AppCredentialMarker(Protocol):
    """Records that an app's credentials for a platform stopped working."""

    def mark_invalid(
        self, org_id: str, app_id: str, platform: DevicePlatform, *, secret_id: str, reason: str, at: datetime
    ) -> bool:
        """Sets the platform's credential check to ``Invalid`` if it still uses ``secret_id``."""


class DeliveryPolicies(Protocol):
    """Apps' delivery policies."""

    def get(self, org_id: str, app_id: str) -> DeliveryPolicy | None:
        """The policy an operator set for the app, or ``None``."""

    def put(self, org_id: str, app_id: str, policy: DeliveryPolicy) -> None:
        """Stores (replaces) the app's policy."""


class HeldJobs(Protocol):
    """Delivery jobs held back until they are due (scheduled sends, quiet hours)."""

    def hold(self, jobs: Sequence[DeliveryJob]) -> None:
        """Stores jobs (each with its ``due_at``) until they are released or canceled."""

    def due(self, before: datetime, *, limit: int) -> list[DeliveryJob]:
        """Held jobs due before an instant, earliest first within each index shard (at most ``limit``)."""

    def of_send(self, org_id: str, send_id: str) -> list[DeliveryJob]:
        """Every job a send still holds."""

    def remove(self, job: DeliveryJob) -> bool:
        """Forgets a held job (released or canceled); ``False`` when another run removed it first."""


class SendCancellations(Protocol):
    """Whether a send was canceled (read by the delivery worker before each job)."""

    def is_canceled(self, org_id: str, send_id: str) -> bool:
        """Whether the send was canceled."""


class FrequencyCaps(Protocol):
    """People's notification histories, against which frequency caps are counted."""

    def admit(
        self, org_id: str, app_id: str, user_id: str, *, send_id: str, at: datetime, rules: Sequence[CapRule]
    ) -> bool:
        """Counts one notification of ``send_id`` for the person if every rule still allows it.

        Exact under concurrency (a conditional write on the person's history); a send already
        counted is admitted again without counting twice.

        Returns:
            ``False`` when a cap is reached (nothing is counted).
        """
