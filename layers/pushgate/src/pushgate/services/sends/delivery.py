"""The delivery worker's use case: send one delivery job, at most once per (send, device).

A job is claimed (a conditional put) before any provider call and completed with all its outcomes
after. In between its devices go to the provider in windows of ``DELIVERY_WINDOW``; before each
window after the first, the claim gets a checkpoint of every device's fate so far and of the
window about to be written (the claim itself carries the first window). A redelivered job finds its
claim complete and is skipped; one whose claim was left in flight (its worker died) is taken over:
the recorded fates stand, the devices of the window that was on the wire are recorded ``NotSent`` /
``DeliveryUncertain`` (never sent again), and every device no worker handed over is sent. Each
checkpoint, and the completion, is conditioned on the run that holds the claim, and a takeover also
on the checkpoint it read (its ``version``): a holder that wrote its next checkpoint after the taker
read the last one has moved on to a window the taker would otherwise send again, so it keeps the
job. Two workers therefore never send the same device. The deterministic ``apns-id`` and the
collapse id make a duplicate recognisable should one ever slip through.

A job whose app chose ``UncertainDelivery: ResendCollapsed`` (``DeliveryJob.resend_uncertain``)
gives every notification a collapse id of its own from its first send (APNs ``apns-collapse-id``,
FCM ``android.notification.tag`` for notification messages; the deterministic ``apns-id`` of the
send and device), and the window that was on the wire is sent again under it instead of being
recorded uncertain: the device shows one notification even when both copies arrive.

Everything that can fail without consequence (the message status, the app, the provider client)
is read before the claim, so a DynamoDB or Secrets Manager hiccup makes SQS redeliver the job
instead of turning it uncertain.

Verdicts: ``TOKEN_INVALID`` marks the device ``Invalid`` (unless it was registered again after the
provider's timestamp); ``RETRY`` puts the devices back in the queue as new jobs, one per platform
and due time, each delayed by its provider's ``Retry-After`` (or exponential backoff with jitter),
never by sleeping;
``CONFIGURATION_ERROR`` sets the app's credential check for the platform to ``Invalid`` and parks
the devices until the credentials change (new credentials saved, or a live check finds them valid)
or an operator resumes them; ``PAYLOAD_ERROR`` is recorded.

FCM sends are paced per project (``pushgate.providers.pacing``); a 429 slows the project down.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final

from pushgate.errors import ConflictError, PushgateError
from pushgate.models.delivery_progress import DELIVERY_WINDOW, DeviceFate, FateKind, JobProgress
from pushgate.models.device import DevicePlatform, DeviceRef
from pushgate.models.message_status import MessageStatus
from pushgate.models.mobile_app import CheckStatus, CredentialCheck, MobileApp
from pushgate.models.payloads import apns_id_from_sha256
from pushgate.models.push import NOW_OR_NEVER, DeliveryOutcome, PushRequest, Verdict, has_expired
from pushgate.models.send import DEFERRED_QUIET_HOURS, DeliveryJob, JobDevice, LedgerEntry, NotSentReason, Outcome
from pushgate.observability import count_tokens_marked_invalid, logger
from pushgate.providers.ports import Pacer, ProviderClient, ProviderClients, ProviderNotConfiguredError
from pushgate.services.messages.ports import AppFinder, MessageStatusReader
from pushgate.services.ports import MobileAppRepository
from pushgate.services.sends.ports import (
    AppCredentialMarker,
    ClaimState,
    DeliveryQueue,
    DeviceVerdicts,
    FrequencyCaps,
    InsightCounters,
    JobOutcomes,
    ParkedJobs,
    SendCancellations,
    SendRepository,
)

#: Provider attempts per device before it is recorded ``RetriesExhausted``.
MAX_ATTEMPTS: Final = 5
#: SQS ``DelaySeconds`` cannot exceed 15 minutes.
MAX_RETRY_DELAY_S: Final = 900
#: First backoff step when the provider named no delay.
BASE_BACKOFF_S: Final = 5
#: ``Retry-After`` values of one platform up to this share (plus a second) above a retry job's
#: shortest one wait in that job, for its longest.
RETRY_DELAY_TOLERANCE: Final = 0.1
#: Recipients whose frequency caps are checked at once (one read and one conditional write each).
CAP_CHECK_PARALLELISM: Final = 8
#: Reads a job makes before its claim besides the message's status, each on a thread of its own.
PRE_CLAIM_READS: Final = 2

#: A job is handed over in at most this many windows: those of a job bigger than this many times
#: ``DELIVERY_WINDOW`` (a broadcast's) grow beyond ``DELIVERY_WINDOW``.
MAX_WINDOWS_PER_JOB: Final = 4
#: The provider's answer that slows an FCM project's pacing down.
HTTP_TOO_MANY_REQUESTS: Final = 429


@dataclass(frozen=True)
class DeliveryPorts:
    """What the delivery worker works with.

    Attributes:
        sends: Claims, ledger and totals.
        apps: Mobile app configurations.
        messages: Message status (a deactivated message stops its queued jobs).
        queue: The delivery queue (retry jobs).
        parked: Parked jobs.
        devices: Device verdicts.
        credentials: App credential status.
        counters: Insight counters.
        providers: Provider clients.
        caps: People's frequency-cap histories (a job's ``caps`` are checked against them).
        cancellations: Whether a job's send was canceled.
    """

    sends: SendRepository
    apps: AppFinder
    messages: MessageStatusReader
    queue: DeliveryQueue
    parked: ParkedJobs
    devices: DeviceVerdicts
    credentials: AppCredentialMarker
    counters: InsightCounters
    providers: ProviderClients
    caps: FrequencyCaps | None = None
    cancellations: SendCancellations | None = None


@dataclass
class JobReport:
    """What one run did (for metrics and tests).

    Attributes:
        claim: The claim state found.
        sent: Devices the provider accepted.
        not_sent: Devices recorded ``NotSent``.
        retried: Devices put back in the queue.
        parked: Devices parked.
        retry_delay_s: The shortest delay of the retry jobs (one per platform and due time).
        uncertain: Devices a stopped worker had on the wire, recorded ``DeliveryUncertain`` by this
            run (which took the job over).
        resent: Devices a stopped worker had on the wire that this run sends again under their
            own collapse id (the job's ``resend_uncertain``).
    """

    claim: ClaimState
    sent: int = 0
    not_sent: int = 0
    retried: int = 0
    parked: int = 0
    retry_delay_s: int = 0
    uncertain: int = 0
    resent: int = 0


@dataclass
class _Run:
    job: DeliveryJob
    at: datetime
    owner: str
    app: MobileApp | None
    clients: dict[DevicePlatform, ProviderClient | str]
    blocked: NotSentReason | None = None
    capped: frozenset[str] = frozenset()
    fates: dict[int, DeviceFate] = field(default_factory=dict)
    windows: list[tuple[DevicePlatform, tuple[int, ...]]] = field(default_factory=list)
    failed_platforms: dict[DevicePlatform, str] = field(default_factory=dict)


@dataclass
class _Settled:
    entries: list[LedgerEntry] = field(default_factory=list)
    #: Devices to retry, by platform, with the ``Retry-After`` each provider named (``None``: back off).
    retry: dict[DevicePlatform, list[tuple[JobDevice, float | None]]] = field(default_factory=dict)
    parked: dict[DevicePlatform, tuple[list[JobDevice], str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _RetryGroup:
    """Devices that go back to the queue together: one platform, one due time."""

    devices: list[JobDevice]
    delay: float


def _now() -> datetime:
    return datetime.now(UTC)


def _entry(
    device: JobDevice, at: datetime, outcome: Outcome, reason: str | None = None, **extra: object
) -> LedgerEntry:
    return LedgerEntry(
        user_id=device.user_id,
        outcome=outcome,
        reason=reason,
        platform=device.platform,
        token_sha256=device.token_sha256,
        tracking_id=device.tracking_id,
        at=at,
        profile_type=device.profile_type,
        **extra,
    )


class DeliveryService:
    """Runs delivery jobs.

    Args:
        ports: The adapters.
        max_attempts: Provider attempts per device.
        now: Clock.
        jitter: Returns a number in [0, 1) for backoff jitter.
        fcm_pacer: Paces FCM sends per project (``deps.fcm_pacer``: ``FCM_MESSAGES_PER_MINUTE``).
        window: Devices handed to the provider between two checkpoints, at most.
    """

    def __init__(
        self,
        ports: DeliveryPorts,
        *,
        fcm_pacer: Pacer,
        max_attempts: int = MAX_ATTEMPTS,
        now: Callable[[], datetime] = _now,
        jitter: Callable[[], float] = random.random,
        window: int = DELIVERY_WINDOW,
    ) -> None:
        self._ports = ports
        self._window = window
        self._max_attempts = max_attempts
        self._now = now
        self._jitter = jitter
        self._fcm_pacer = fcm_pacer

    def run(self, job: DeliveryJob) -> JobReport:
        """Sends one job and records every device's outcome.

        Raises:
            DependencyError: DynamoDB, SQS or Secrets Manager failed; SQS should redeliver the job.
        """
        ports = self._ports
        state, (app, clients), canceled = self._read_before_claim(job)
        at = self._now()
        run = _Run(job=job, at=at, owner=uuid.uuid4().hex, app=app, clients=clients)
        run.blocked = NotSentReason.CANCELED if canceled else self._blocked(run, state)
        if run.blocked is None:
            run.capped = self._capped(run)
            self._decide_capped(run)
        run.windows = self._windows(run)
        first = run.windows[0][1] if run.windows else ()
        claim = ports.sends.claim(job, at=at, progress=JobProgress(run.owner, window=first))
        report = JobReport(claim=claim)
        if claim is ClaimState.DONE:
            return report
        if claim is ClaimState.IN_FLIGHT and not self._take_over(run, report):
            return report
        if run.blocked is not None:
            for index in range(len(job.devices)):
                run.fates.setdefault(index, DeviceFate(FateKind.NOT_SENT, reason=run.blocked.value))
        elif not self._deliver(run):
            return report
        self._record(run, report)
        return report

    def _read_before_claim(
        self, job: DeliveryJob
    ) -> tuple[
        tuple[MessageStatus, int] | None,
        tuple[MobileApp | None, dict[DevicePlatform, ProviderClient | str]],
        bool,
    ]:
        """The message's status, the app with its provider clients, and whether the send was canceled.

        The three are independent reads, so they run side by side: a job waits for the slowest (the
        app, then its credentials from Secrets Manager on a worker's first job) instead of their sum.
        """
        ports = self._ports

        def app_and_clients() -> tuple[MobileApp | None, dict[DevicePlatform, ProviderClient | str]]:
            app = ports.apps.get(job.org_id, job.app_id)
            return app, (self._clients(app, job) if app is not None else {})

        def canceled() -> bool:
            return ports.cancellations is not None and ports.cancellations.is_canceled(job.org_id, job.send_id)

        with ThreadPoolExecutor(max_workers=PRE_CLAIM_READS) as pool:
            app_read = pool.submit(app_and_clients)
            cancel_read = pool.submit(canceled)
            state = ports.messages.status_of(job.org_id, job.message_id)
            return state, app_read.result(), cancel_read.result()

    def _blocked(self, run: _Run, state: tuple[MessageStatus, int] | None) -> NotSentReason | None:
        """Why none of the job's devices may be sent any more, if so."""
        job = run.job
        if state is None or state[0] is not MessageStatus.ACTIVE:
            return NotSentReason.MESSAGE_DEACTIVATED
        if run.app is None:
            return NotSentReason.APP_DELETED
        if has_expired(job.expires_at, run.at.timestamp()):
            return NotSentReason.MESSAGE_EXPIRED
        return None

    def _capped(self, run: _Run) -> frozenset[str]:
        """The job's recipients a frequency cap holds back (each admitted one is counted, once per send).

        Checked before the claim, like everything else that can fail without consequence: a
        redelivered job finds its recipients already counted for this send and admitted again.
        """
        job, caps = run.job, self._ports.caps
        if caps is None or not job.caps:
            return frozenset()
        users = list(dict.fromkeys(device.user_id for device in job.devices))

        def admit(user_id: str) -> bool:
            return caps.admit(job.org_id, job.app_id, user_id, send_id=job.send_id, at=run.at, rules=job.caps)

        with ThreadPoolExecutor(max_workers=max(1, min(CAP_CHECK_PARALLELISM, len(users)))) as pool:
            verdicts = list(pool.map(admit, users))
        return frozenset(user for user, allowed in zip(users, verdicts, strict=True) if not allowed)

    @staticmethod
    def _decide_capped(run: _Run) -> None:
        for index, device in enumerate(run.job.devices):
            if device.user_id in run.capped and index not in run.fates:
                run.fates[index] = DeviceFate(FateKind.NOT_SENT, reason=NotSentReason.CAPPED_FREQUENCY.value)

    def _take_over(self, run: _Run, report: JobReport) -> bool:
        """Continues a job whose claim a stopped worker left in flight; ``False`` when another run holds it.

        The recorded fates stand, the devices the stopped worker had on the wire become uncertain,
        and the devices it never handed over are planned again. Taking the claim over is one
        conditional write that also carries this run's first window.
        """
        job = run.job
        found = self._ports.sends.progress(job)
        if found is None:  # completed between the claim attempt and this read
            report.claim = ClaimState.DONE
            return False
        run.fates = found.resumed()
        resent = 0
        if job.resend_uncertain and run.blocked is None:
            # Every notification of this job carried its own collapse id from its first send: the
            # uncertain ones are sent again under it, and the device shows one even if both arrive.
            uncertain = [index for index, fate in run.fates.items() if fate.kind is FateKind.UNCERTAIN]
            for index in uncertain:
                del run.fates[index]
            resent = len(uncertain)
        self._decide_capped(run)
        run.windows = self._windows(run)
        first = run.windows[0][1] if run.windows else ()
        taken = self._ports.sends.checkpoint(
            job, JobProgress(run.owner, run.fates, first), expected_owner=found.owner, expected_version=found.version
        )
        if not taken:
            logger.warning("delivery job held by another worker; left to it", extra={"send_id": job.send_id})
            return False
        report.uncertain = sum(1 for fate in run.fates.values() if fate.kind is FateKind.UNCERTAIN)
        report.resent = resent
        logger.warning(
            "delivery job found in flight; resuming",
            extra={
                "send_id": job.send_id,
                "job_id": job.job_id,
                "uncertain": report.uncertain,
                "resent_collapsed": resent,
                "decided": len(found.fates),
                "to_send": sum(len(window) for _, window in run.windows),
            },
        )
        return True

    def _windows(self, run: _Run) -> list[tuple[DevicePlatform, tuple[int, ...]]]:
        """The undecided devices the run will hand to a provider, platform by platform, in windows."""
        if run.blocked is not None or run.app is None:
            return []
        windows: list[tuple[DevicePlatform, tuple[int, ...]]] = []
        # Big (broadcast) jobs take bigger windows: at most MAX_WINDOWS_PER_JOB checkpoints and
        # provider round trips per job, whatever its size.
        size = max(self._window, math.ceil(len(run.job.devices) / MAX_WINDOWS_PER_JOB))
        for platform in DevicePlatform:
            if self._sender(run.app, platform, run.clients) is None:
                continue
            indices = [i for i, d in enumerate(run.job.devices) if d.platform is platform and i not in run.fates]
            windows.extend((platform, tuple(indices[start : start + size])) for start in range(0, len(indices), size))
        return windows

    @staticmethod
    def _sender(
        app: MobileApp, platform: DevicePlatform, clients: dict[DevicePlatform, ProviderClient | str]
    ) -> ProviderClient | None:
        config = app.ios if platform is DevicePlatform.IOS else app.android
        client = clients.get(platform)
        if config is None or config.check.status is CheckStatus.INVALID or client is None or isinstance(client, str):
            return None
        return client

    def _deliver(self, run: _Run) -> bool:
        """Decides every undecided device; ``False`` when another run took the job over meanwhile.

        Each window after the first is preceded by a checkpoint of everything decided so far, so a
        worker that dies leaves at most one window uncertain.
        """
        app, job = run.app, run.job
        assert app is not None  # noqa: S101 - not blocked means the app exists
        for platform in DevicePlatform:
            undecided = [i for i, d in enumerate(job.devices) if d.platform is platform and i not in run.fates]
            if undecided and self._sender(app, platform, run.clients) is None:
                self._decide_locally(run, app, platform, undecided)
        for number, (platform, window) in enumerate(run.windows):
            if platform in run.failed_platforms:
                # The credentials failed in an earlier window: park the rest without calling the provider.
                for index in window:
                    run.fates[index] = DeviceFate(FateKind.PARKED, reason=run.failed_platforms[platform])
                continue
            if number and not self._checkpoint(run, window):
                return False
            client = self._sender(app, platform, run.clients)
            assert client is not None  # noqa: S101 - windows are planned for platforms with a sender
            self._hand(run, app, platform, client, window)
        return True

    def _checkpoint(self, run: _Run, window: tuple[int, ...]) -> bool:
        if self._ports.sends.checkpoint(run.job, JobProgress(run.owner, run.fates, window), expected_owner=run.owner):
            return True
        logger.warning("delivery job taken over by another worker; stopping", extra={"send_id": run.job.send_id})
        return False

    def _decide_locally(self, run: _Run, app: MobileApp, platform: DevicePlatform, indices: list[int]) -> None:
        """Devices of a platform that cannot be sent: not configured, or parked on failed credentials."""
        config = app.ios if platform is DevicePlatform.IOS else app.android
        if config is None:
            fate = DeviceFate(FateKind.NOT_SENT, reason=NotSentReason.PLATFORM_NOT_CONFIGURED.value)
        elif config.check.status is CheckStatus.INVALID:
            fate = DeviceFate(FateKind.PARKED, reason=config.check.reason or "the credentials were found invalid")
        else:
            client = run.clients.get(platform)
            reason = client if isinstance(client, str) else "no provider client"
            self._ports.credentials.mark_invalid(
                app.org_id, app.app_id, platform, secret_id=config.secret_id, reason=reason, at=run.at
            )
            fate = DeviceFate(FateKind.PARKED, reason=reason)
        for index in indices:
            run.fates[index] = fate

    def _hand(
        self, run: _Run, app: MobileApp, platform: DevicePlatform, client: ProviderClient, window: tuple[int, ...]
    ) -> None:
        """Sends one window and records each answer's fate (marking invalid tokens and failed credentials)."""
        devices = [run.job.devices[index] for index in window]
        project = app.android.metadata.project_id if platform is DevicePlatform.ANDROID and app.android else None
        if project is not None:
            self._fcm_pacer.acquire(project, len(devices))
        outcomes = client.send_batch([self._request(run.job, d) for d in devices])
        if project is not None and any(outcome.status == HTTP_TOO_MANY_REQUESTS for outcome in outcomes):
            self._fcm_pacer.throttled(project)
        for index, device, outcome in zip(window, devices, outcomes, strict=True):
            run.fates[index] = self._answered(run, device, outcome)
        failure = next((run.fates[index].reason for index in window if run.fates[index].kind is FateKind.PARKED), None)
        if failure is not None and platform not in run.failed_platforms:
            config = app.ios if platform is DevicePlatform.IOS else app.android
            assert config is not None  # noqa: S101 - a window is planned only for a configured platform
            self._ports.credentials.mark_invalid(
                app.org_id, app.app_id, platform, secret_id=config.secret_id, reason=failure, at=run.at
            )
            run.failed_platforms[platform] = failure

    def _answered(self, run: _Run, device: JobDevice, outcome: DeliveryOutcome) -> DeviceFate:
        """The fate of one provider answer; a token the provider says is gone is marked at once."""
        verdict = outcome.verdict
        code = outcome.reason or outcome.rule or verdict.value
        if verdict is Verdict.CONFIGURATION_ERROR:
            return DeviceFate(FateKind.PARKED, reason=f"{code}: {outcome.detail}" if outcome.detail else code)
        if verdict is Verdict.TOKEN_INVALID:
            marked = self._ports.devices.mark_invalid(
                DeviceRef(run.job.org_id, run.job.app_id, device.user_id, device.platform, device.token_sha256),
                reason=code,
                invalid_since=outcome.invalid_since or run.at,
                send_id=run.job.send_id,
                at=run.at,
            )
            if marked:
                count_tokens_marked_invalid(run.job.app_id)
        return DeviceFate(
            FateKind.ANSWERED,
            verdict=verdict,
            reason=None if verdict is Verdict.DELIVERED else code,
            provider_message_id=outcome.provider_message_id if verdict is Verdict.DELIVERED else None,
            retry_after=outcome.retry_after if verdict is Verdict.RETRY else None,
        )

    def _record(self, run: _Run, report: JobReport) -> None:
        """Turns the fates into ledger entries, parked jobs and a retry job, then completes the claim.

        Parking and the retry job happen after a checkpoint holding every fate, so a worker taking
        over after a crash here parks and enqueues exactly the same (the parked item and the retry
        job's id are the same, and a retry job runs once by its claim); the claim is completed last.
        """
        ports, job = self._ports, run.job
        settled = self._settle(run)
        if (settled.parked or settled.retry) and not self._checkpoint(run, ()):
            return
        for platform, (devices, reason) in settled.parked.items():
            self._ports.parked.park(job.model_copy(update={"devices": devices}), platform, reason=reason, at=run.at)
        groups = self._retry_groups(settled, job.attempt)
        for number, group in enumerate(groups):
            # One group keeps the plain ``<jobId>.r<n>``; several are told apart by a letter. The
            # grouping depends on the fates alone, so a takeover enqueues the same ids again.
            suffix = chr(ord("a") + number) if len(groups) > 1 else ""
            delay = min(MAX_RETRY_DELAY_S, math.ceil(group.delay))
            retry_job = job.model_copy(
                update={
                    "job_id": f"{job.job_id}.r{job.attempt + 1}{suffix}",
                    "attempt": job.attempt + 1,
                    "devices": group.devices,
                }
            )
            ports.queue.send([retry_job], delay_seconds=delay)
            report.retried += len(group.devices)
            report.retry_delay_s = delay if number == 0 else min(report.retry_delay_s, delay)
        parked = sum(len(devices) for devices, _ in settled.parked.values())
        entries = settled.entries
        completed = ports.sends.complete(job, JobOutcomes(entries, parked), at=self._now(), owner=run.owner)
        report.sent = sum(1 for e in entries if e.outcome is Outcome.SENT)
        report.not_sent = len(entries) - report.sent
        report.parked = parked
        if not completed or not entries:
            return
        try:
            ports.counters.add(job, entries, day=run.at.date().isoformat())
        except PushgateError as error:
            # The ledger and the send's totals are recorded; only the daily insight counts lag.
            logger.warning(
                "insight counters not updated", extra={"send_id": job.send_id, "error_type": type(error).__name__}
            )

    def _settle(self, run: _Run) -> _Settled:
        """What the fates come to, device by device in job order."""
        job, settled = run.job, _Settled()
        attempts = job.attempt + 1
        # Now or never: what could only go out later (a retry, a resume of parked devices) is past its moment.
        now_or_never = job.expires_at == NOW_OR_NEVER
        expired = NotSentReason.MESSAGE_EXPIRED.value
        for index, device in enumerate(job.devices):
            fate = run.fates.get(index, DeviceFate(FateKind.UNCERTAIN))
            if fate.kind is FateKind.PARKED and now_or_never:
                settled.entries.append(_entry(device, run.at, Outcome.NOT_SENT, expired))
            elif fate.kind is FateKind.PARKED:
                settled.parked.setdefault(device.platform, ([], fate.reason or "the credentials failed"))[0].append(
                    device
                )
            elif fate.kind is FateKind.UNCERTAIN:
                settled.entries.append(_entry(device, run.at, Outcome.NOT_SENT, NotSentReason.DELIVERY_UNCERTAIN.value))
            elif fate.kind is FateKind.NOT_SENT:
                settled.entries.append(_entry(device, run.at, Outcome.NOT_SENT, fate.reason))
            elif fate.verdict is Verdict.RETRY and now_or_never:
                settled.entries.append(
                    _entry(device, run.at, Outcome.NOT_SENT, expired, verdict=Verdict.RETRY.value, attempts=attempts)
                )
            elif fate.verdict is Verdict.RETRY and attempts < self._max_attempts:
                settled.retry.setdefault(device.platform, []).append((device, fate.retry_after))
            elif fate.verdict is Verdict.DELIVERED:
                message_id = fate.provider_message_id
                if message_id is None and device.platform is DevicePlatform.IOS:
                    # A fate read back from a checkpoint keeps no message id; an apns-id is derived again.
                    message_id = apns_id_from_sha256(job.send_id, device.token_sha256)
                settled.entries.append(
                    _entry(
                        device,
                        run.at,
                        Outcome.SENT,
                        DEFERRED_QUIET_HOURS if job.deferred else None,
                        verdict=Verdict.DELIVERED.value,
                        provider_message_id=message_id,
                        attempts=attempts,
                        link=_tracked_target(job, device),
                        untracked_link=_untracked_target(job, device),
                    )
                )
            else:
                verdict = fate.verdict or Verdict.RETRY
                reason = NotSentReason.RETRIES_EXHAUSTED.value if verdict is Verdict.RETRY else fate.reason
                settled.entries.append(
                    _entry(device, run.at, Outcome.NOT_SENT, reason, verdict=verdict.value, attempts=attempts)
                )
        return settled

    def _clients(self, app: MobileApp, job: DeliveryJob) -> dict[DevicePlatform, ProviderClient | str]:
        """Each platform's client, or why there is none (a configuration problem to park on)."""
        clients: dict[DevicePlatform, ProviderClient | str] = {}
        for platform in {d.platform for d in job.devices}:
            config = app.ios if platform is DevicePlatform.IOS else app.android
            if config is None or config.check.status is CheckStatus.INVALID:
                continue
            try:
                if platform is DevicePlatform.IOS:
                    clients[platform] = self._ports.providers.apns_client(app)
                else:
                    clients[platform] = self._ports.providers.fcm_client(app)
            except ProviderNotConfiguredError as error:
                clients[platform] = error.message
        return clients

    def _retry_groups(self, settled: _Settled, attempt: int) -> list[_RetryGroup]:
        """The retry jobs: per platform, one per due time, so no device waits for another provider's delay.

        A job of 51 Android devices FCM asked to retry after 1 s and 3 iOS devices APNs answered 500
        (Apple: after 15 minutes) becomes two jobs, delayed 1 s and 900 s, instead of one held 900 s.
        Within a platform, ``Retry-After`` values within ``RETRY_DELAY_TOLERANCE`` of a group's first
        share the group and its longest delay (never earlier than a provider asked), which bounds the
        jobs when the provider sends HTTP dates. Devices without a ``Retry-After`` back off together.
        """
        groups: list[_RetryGroup] = []
        for platform in DevicePlatform:
            answered = settled.retry.get(platform, [])
            named = sorted(
                ((after, index) for index, (_, after) in enumerate(answered) if after is not None),
                key=lambda pair: pair[0],
            )
            clusters: list[list[tuple[float, int]]] = []
            for after, index in named:
                if clusters and after <= clusters[-1][0][0] * (1 + RETRY_DELAY_TOLERANCE) + 1:
                    clusters[-1].append((after, index))
                else:
                    clusters.append([(after, index)])
            for cluster in clusters:
                indices = sorted(index for _, index in cluster)
                groups.append(_RetryGroup([answered[i][0] for i in indices], max(after for after, _ in cluster)))
            unnamed = [device for device, after in answered if after is None]
            if unnamed:
                groups.append(_RetryGroup(unnamed, self._backoff(attempt)))
        return groups

    def _backoff(self, attempt: int) -> float:
        # Exponential backoff (5, 10, 20 ... seconds), jittered over the upper half so retries spread out.
        ceiling = float(min(MAX_RETRY_DELAY_S, BASE_BACKOFF_S << attempt))
        return ceiling * (0.5 + self._jitter() / 2)

    @staticmethod
    def _request(job: DeliveryJob, device: JobDevice) -> PushRequest:
        base = job.messages[device.message]
        # Without tracking consent the plain URL is the link: every sample app opens only ``link``.
        link = f"{job.link_base}{device.tracking_id}" if _tracked_target(job, device) else base.original_link
        ios = device.platform is DevicePlatform.IOS
        collapse_id, tag = job.collapse_id, None
        if job.resend_uncertain:
            # The notification's own collapse id, the same on every send of it (the first one and a
            # re-send after a crash), so the device shows it once. The deterministic apns-id is that.
            own = apns_id_from_sha256(job.send_id, device.token_sha256)
            if ios:
                collapse_id = own
            elif base.android_notification:
                tag = own  # not a collapse_key: FCM keeps at most four of those per offline device
        return PushRequest(
            device_token=device.token,
            send_id=job.send_id,
            message=replace(base, tracking_id=device.tracking_id, link=link),
            expires_at=job.expires_at,
            collapse_id=collapse_id,
            high_priority=True if ios else job.android_high_priority,
            notification_tag=tag,
        )


def _tracked_target(job: DeliveryJob, device: JobDevice) -> str | None:
    """The URL a device's tracked link redirects to, when its notification carries one."""
    original = job.messages[device.message].original_link
    return original if device.tracked and original and job.link_base else None


def _untracked_target(job: DeliveryJob, device: JobDevice) -> str | None:
    """The plain URL a device's notification opens, when it carries one untracked."""
    original = job.messages[device.message].original_link
    return original if original and _tracked_target(job, device) is None else None


class RepositoryCredentialMarker:
    """``AppCredentialMarker`` over the mobile app repository (a revision-guarded replace).

    The check is set only while the platform still uses the secret that failed: an operator who
    saved new credentials in the meantime keeps their fresh ``Unchecked`` status.
    """

    def __init__(self, apps: MobileAppRepository, *, attempts: int = 3) -> None:
        """Binds the marker to the app configurations."""
        self._apps = apps
        self._attempts = attempts

    def mark_invalid(
        self, org_id: str, app_id: str, platform: DevicePlatform, *, secret_id: str, reason: str, at: datetime
    ) -> bool:
        """Sets the platform's credential check to ``Invalid`` with the reason; returns whether it did."""
        for _ in range(self._attempts):
            app = self._apps.get(org_id, app_id)
            config = None if app is None else (app.ios if platform is DevicePlatform.IOS else app.android)
            if app is None or config is None or config.secret_id != secret_id:
                return False
            if config.check.status is CheckStatus.INVALID:
                return True
            check = CredentialCheck(status=CheckStatus.INVALID, reason=f"delivery failed: {reason}", checked_at=at)
            field_name = "ios" if platform is DevicePlatform.IOS else "android"
            updated = app.model_copy(
                update={field_name: config.model_copy(update={"check": check}), "revision": app.revision + 1}
            )
            try:
                self._apps.replace(updated, expected_revision=app.revision)
            except ConflictError:
                continue
            logger.warning("app credentials marked invalid by delivery", extra={"app_id": app_id, "platform": platform})
            return True
        return False
