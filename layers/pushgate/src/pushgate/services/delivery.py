"""The delivery worker's use case: send one delivery job, at most once per (send, device).

A job is claimed (a conditional put) before any provider call and completed with all its outcomes
after. A redelivered job finds its claim complete and is skipped; one whose claim was left in
flight (the worker died between the provider call and the recording) is not sent again: its
devices are recorded ``NotSent`` / ``DeliveryUncertain``. The deterministic ``apns-id`` and the
collapse id make a duplicate recognisable should one ever slip through.

Everything that can fail without consequence (the message status, the app, the provider client)
is read before the claim, so a DynamoDB or Secrets Manager hiccup makes SQS redeliver the job
instead of turning it uncertain.

Verdicts: ``TOKEN_INVALID`` marks the device ``Invalid`` (unless it was registered again after the
provider's timestamp); ``RETRY`` puts the devices back in the queue as a new job delayed by the
provider's ``Retry-After`` (or exponential backoff with jitter), never by sleeping;
``CONFIGURATION_ERROR`` sets the app's credential check for the platform to ``Invalid`` and parks
the devices until the credentials change (new credentials saved, or a live check finds them valid)
or an operator resumes them; ``PAYLOAD_ERROR`` is recorded.

FCM sends are paced per project (``pushgate.services.provider_pacing``); a 429 slows the project down.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final, Protocol

from pushgate.errors import ConflictError, PushgateError
from pushgate.models.device import DevicePlatform
from pushgate.models.message_template import MessageStatus
from pushgate.models.mobile_app import CheckStatus, CredentialCheck, MobileApp
from pushgate.models.send import DeliveryJob, JobDevice, LedgerEntry, NotSentReason, Outcome
from pushgate.observability import logger
from pushgate.providers import DeliveryOutcome, PushRequest, Verdict
from pushgate.repositories.base import MobileAppRepository
from pushgate.repositories.send_ports import (
    AppCredentialMarker,
    ClaimState,
    DeliveryQueue,
    DeviceVerdicts,
    InsightCounters,
    ParkedJobs,
    SendRepository,
)
from pushgate.services.message_ports import AppFinder, MessageTemplateRepository
from pushgate.services.provider_clients import ProviderNotConfiguredError
from pushgate.services.provider_pacing import ProjectRateLimiter, fcm_pacing_policy
from pushgate.services.token_metrics import count_tokens_marked_invalid

#: Provider attempts per device before it is recorded ``RetriesExhausted``.
MAX_ATTEMPTS: Final = 5
#: SQS ``DelaySeconds`` cannot exceed 15 minutes.
MAX_RETRY_DELAY_S: Final = 900
#: First backoff step when the provider named no delay.
BASE_BACKOFF_S: Final = 5
#: The provider's answer that slows an FCM project's pacing down.
HTTP_TOO_MANY_REQUESTS: Final = 429


class BatchSender(Protocol):
    """A provider client (``ApnsClient`` / ``FcmClient``)."""

    def send_batch(self, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        """One outcome per request, in order."""


class ProviderClients(Protocol):
    """Provider clients per app (``ProviderClientFactory``)."""

    def apns_client(self, app: MobileApp) -> BatchSender:
        """The app's APNs client."""

    def fcm_client(self, app: MobileApp) -> BatchSender:
        """The app's FCM client."""


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
    """

    sends: SendRepository
    apps: AppFinder
    messages: MessageTemplateRepository
    queue: DeliveryQueue
    parked: ParkedJobs
    devices: DeviceVerdicts
    credentials: AppCredentialMarker
    counters: InsightCounters
    providers: ProviderClients


@dataclass
class JobReport:
    """What one run did (for metrics and tests).

    Attributes:
        claim: The claim state found.
        sent: Devices the provider accepted.
        not_sent: Devices recorded ``NotSent``.
        retried: Devices put back in the queue.
        parked: Devices parked.
        retry_delay_s: The retry job's delay.
    """

    claim: ClaimState
    sent: int = 0
    not_sent: int = 0
    retried: int = 0
    parked: int = 0
    retry_delay_s: int = 0


@dataclass
class _Run:
    job: DeliveryJob
    at: datetime
    entries: list[LedgerEntry] = field(default_factory=list)
    retry: list[JobDevice] = field(default_factory=list)
    retry_delay: float = 0.0
    parked: int = 0


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
        fcm_pacer: Paces FCM sends per project (by default at ``FCM_MESSAGES_PER_MINUTE``).
    """

    def __init__(
        self,
        ports: DeliveryPorts,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        now: Callable[[], datetime] = _now,
        jitter: Callable[[], float] = random.random,
        fcm_pacer: ProjectRateLimiter | None = None,
    ) -> None:
        self._ports = ports
        self._max_attempts = max_attempts
        self._now = now
        self._jitter = jitter
        self._fcm_pacer = fcm_pacer if fcm_pacer is not None else ProjectRateLimiter(fcm_pacing_policy())

    def run(self, job: DeliveryJob) -> JobReport:
        """Sends one job and records every device's outcome.

        Raises:
            DependencyError: DynamoDB, SQS or Secrets Manager failed; SQS should redeliver the job.
        """
        ports = self._ports
        state = ports.messages.status_of(job.org_id, job.message_id)
        app = ports.apps.get(job.org_id, job.app_id)
        clients = self._clients(app, job) if app is not None else {}
        at = self._now()
        claim = ports.sends.claim(job, at=at)
        report = JobReport(claim=claim)
        if claim is ClaimState.DONE:
            return report
        run = _Run(job=job, at=at)
        if claim is ClaimState.IN_FLIGHT:
            logger.warning("delivery job found in flight; not resending", extra={"send_id": job.send_id})
            self._all(run, NotSentReason.DELIVERY_UNCERTAIN)
        elif state is None or state[0] is not MessageStatus.ACTIVE:
            self._all(run, NotSentReason.MESSAGE_DEACTIVATED)
        elif app is None:
            self._all(run, NotSentReason.APP_DELETED)
        elif job.expires_at is not None and job.expires_at <= at.timestamp():
            self._all(run, NotSentReason.MESSAGE_EXPIRED)
        else:
            for platform in DevicePlatform:
                devices = [d for d in job.devices if d.platform is platform]
                if devices:
                    self._deliver(run, app, platform, devices, clients.get(platform))
        self._record(run, report)
        return report

    def _record(self, run: _Run, report: JobReport) -> None:
        """Enqueues the retry job, then completes the claim and counts (the claim last: see the module doc)."""
        ports, job = self._ports, run.job
        if run.retry:
            delay = min(MAX_RETRY_DELAY_S, math.ceil(run.retry_delay))
            retry_job = job.model_copy(
                update={"job_id": f"{job.job_id}.r{job.attempt + 1}", "attempt": job.attempt + 1, "devices": run.retry}
            )
            ports.queue.send([retry_job], delay_seconds=delay)
            report.retried, report.retry_delay_s = len(run.retry), delay
        completed = ports.sends.complete(job, run.entries, parked=run.parked, at=self._now())
        report.sent = sum(1 for e in run.entries if e.outcome is Outcome.SENT)
        report.not_sent = len(run.entries) - report.sent
        reasons = Counter(entry.reason or "Unknown" for entry in run.entries if entry.outcome is Outcome.NOT_SENT)
        report.parked = run.parked
        if not completed or not run.entries:
            return
        try:
            ports.counters.add(
                job.org_id,
                app_id=job.app_id,
                message_id=job.message_id,
                journey_id=job.journey_id,
                day=run.at.date().isoformat(),
                sent=report.sent,
                not_sent=report.not_sent,
                not_sent_reasons=dict(reasons),
            )
        except PushgateError as error:
            # The ledger and the send's totals are recorded; only the daily insight counts lag.
            logger.warning(
                "insight counters not updated", extra={"send_id": job.send_id, "error_type": type(error).__name__}
            )

    def _clients(self, app: MobileApp, job: DeliveryJob) -> dict[DevicePlatform, BatchSender | str]:
        """Each platform's client, or why there is none (a configuration problem to park on)."""
        clients: dict[DevicePlatform, BatchSender | str] = {}
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

    def _all(self, run: _Run, reason: NotSentReason) -> None:
        run.entries.extend(_entry(d, run.at, Outcome.NOT_SENT, reason.value) for d in run.job.devices)

    def _deliver(
        self,
        run: _Run,
        app: MobileApp,
        platform: DevicePlatform,
        devices: list[JobDevice],
        client: BatchSender | str | None,
    ) -> None:
        config = app.ios if platform is DevicePlatform.IOS else app.android
        if config is None:
            run.entries.extend(
                _entry(d, run.at, Outcome.NOT_SENT, NotSentReason.PLATFORM_NOT_CONFIGURED.value) for d in devices
            )
            return
        if config.check.status is CheckStatus.INVALID:
            self._park(run, platform, devices, config.check.reason or "the credentials were found invalid")
            return
        if isinstance(client, str) or client is None:
            reason = client or "no provider client"
            self._ports.credentials.mark_invalid(
                app.org_id, app.app_id, platform, secret_id=config.secret_id, reason=reason, at=run.at
            )
            self._park(run, platform, devices, reason)
            return
        project = app.android.metadata.project_id if platform is DevicePlatform.ANDROID and app.android else None
        if project is not None:
            self._fcm_pacer.acquire(project, len(devices))
        outcomes = client.send_batch([self._request(run.job, d) for d in devices])
        if project is not None and any(outcome.status == HTTP_TOO_MANY_REQUESTS for outcome in outcomes):
            self._fcm_pacer.throttled(project)
        configuration_failures: list[tuple[JobDevice, str]] = []
        for device, outcome in zip(devices, outcomes, strict=True):
            failure = self._apply(run, device, outcome)
            if failure is not None:
                configuration_failures.append((device, failure))
        if configuration_failures:
            reason = configuration_failures[0][1]
            self._ports.credentials.mark_invalid(
                app.org_id, app.app_id, platform, secret_id=config.secret_id, reason=reason, at=run.at
            )
            self._park(run, platform, [device for device, _ in configuration_failures], reason)

    def _apply(self, run: _Run, device: JobDevice, outcome: DeliveryOutcome) -> str | None:
        """Records one provider answer; returns the reason when it was a configuration error (to park)."""
        verdict = outcome.verdict
        code = outcome.reason or outcome.rule or verdict.value
        attempts = run.job.attempt + 1
        if verdict is Verdict.CONFIGURATION_ERROR:
            return f"{code}: {outcome.detail}" if outcome.detail else code
        if verdict is Verdict.RETRY and attempts < self._max_attempts:
            run.retry.append(device)
            run.retry_delay = max(run.retry_delay, self._delay(outcome, run.job.attempt))
            return None
        if verdict is Verdict.DELIVERED:
            run.entries.append(
                _entry(
                    device,
                    run.at,
                    Outcome.SENT,
                    verdict=verdict.value,
                    provider_message_id=outcome.provider_message_id,
                    attempts=attempts,
                    link=_tracked_target(run.job, device),
                )
            )
            return None
        if verdict is Verdict.TOKEN_INVALID:
            marked = self._ports.devices.mark_invalid(
                run.job.org_id,
                run.job.app_id,
                device.user_id,
                device.platform,
                device.token_sha256,
                reason=code,
                invalid_since=outcome.invalid_since or run.at,
                send_id=run.job.send_id,
                at=run.at,
            )
            if marked:
                count_tokens_marked_invalid(run.job.app_id)
        reason = NotSentReason.RETRIES_EXHAUSTED.value if verdict is Verdict.RETRY else code
        run.entries.append(_entry(device, run.at, Outcome.NOT_SENT, reason, verdict=verdict.value, attempts=attempts))
        return None

    def _park(self, run: _Run, platform: DevicePlatform, devices: list[JobDevice], reason: str) -> None:
        subset = run.job.model_copy(update={"devices": devices})
        self._ports.parked.park(subset, platform, reason=reason, at=run.at)
        run.parked += len(devices)

    def _delay(self, outcome: DeliveryOutcome, attempt: int) -> float:
        if outcome.retry_after is not None:
            return float(outcome.retry_after)
        # Exponential backoff (5, 10, 20 ... seconds), jittered over the upper half so retries spread out.
        ceiling = float(min(MAX_RETRY_DELAY_S, BASE_BACKOFF_S << attempt))
        return ceiling * (0.5 + self._jitter() / 2)

    @staticmethod
    def _request(job: DeliveryJob, device: JobDevice) -> PushRequest:
        base = job.messages[device.message]
        link = f"{job.link_base}{device.tracking_id}" if _tracked_target(job, device) else ""
        return PushRequest(
            device_token=device.token,
            send_id=job.send_id,
            message=replace(base, tracking_id=device.tracking_id, link=link),
            expires_at=job.expires_at,
            collapse_id=job.collapse_id,
            high_priority=True if device.platform is DevicePlatform.IOS else job.android_high_priority,
        )


def _tracked_target(job: DeliveryJob, device: JobDevice) -> str | None:
    """The URL a device's tracked link redirects to, when its notification carries one."""
    original = job.messages[device.message].original_link
    return original if device.tracked and original and job.link_base else None


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
