"""The delivery worker's use case with in-memory ports: verdicts, claims, retries, parking."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pushgate.config import PacingPolicy
from pushgate.credentials.metadata import FcmServiceAccountMetadata
from pushgate.errors import DependencyError
from pushgate.models.delivery_progress import JobProgress
from pushgate.models.device import DevicePlatform, DeviceRef
from pushgate.models.message_status import MessageStatus
from pushgate.models.mobile_app import AndroidPlatform, CheckStatus, CredentialCheck, IosPlatform, MobileApp
from pushgate.models.payloads import apns_id_for
from pushgate.models.push import NOW_OR_NEVER, DeliveryOutcome, Platform, PushMessage, PushRequest, Verdict
from pushgate.models.send import DeliveryJob, JobDevice, LedgerEntry, Outcome
from pushgate.providers.pacing import ProjectRateLimiter
from pushgate.providers.ports import ProviderNotConfiguredError
from pushgate.services.sends.delivery import DeliveryPorts, DeliveryService, JobReport
from pushgate.services.sends.ports import ClaimState, JobOutcomes
from tests.fakes.clocks import FakeClock
from tests.fakes.stores import FakeApps

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
ORG, APP, SEND, MESSAGE = "org", "app", "send-1", "msg-1"
PROJECT = "contoso-project"
ANDROID = DevicePlatform.ANDROID


def _app(ios_check: CheckStatus = CheckStatus.VALID, *, android: bool = True) -> MobileApp:
    ios = IosPlatform.model_construct(metadata=None, secret_id="ios-secret", check=CredentialCheck(status=ios_check))
    droid = AndroidPlatform.model_construct(
        metadata=FcmServiceAccountMetadata.model_construct(project_id=PROJECT),
        secret_id="android-secret",
        check=CredentialCheck(status=CheckStatus.VALID),
    )
    return MobileApp.model_construct(
        org_id=ORG,
        app_id=APP,
        name="n",
        description="",
        ios=ios,
        android=droid if android else None,
        created_at=NOW,
        updated_at=NOW,
        revision=1,
        user_resolve_enabled=True,
    )


def _device(user: str, token: str, platform: DevicePlatform = DevicePlatform.IOS, tracked: bool = False) -> JobDevice:
    sha = hashlib.sha256(token.encode()).hexdigest()
    return JobDevice(
        user_id=user,
        platform=platform,
        token=token,
        token_sha256=sha,
        tracking_id=f"trk-{user}-{sha[:8]}",
        message=0,
        tracked=tracked,
    )


def _job(*devices: JobDevice, job_id: str = "00000", attempt: int = 0) -> DeliveryJob:
    return DeliveryJob(
        job_id=job_id,
        org_id=ORG,
        app_id=APP,
        send_id=SEND,
        message_id=MESSAGE,
        message_version=1,
        journey_id="journey-1",
        attempt=attempt,
        link_base="https://push.example.com/l/",
        messages=[PushMessage(title="Hi", body="Body", original_link="https://example.com/x")],
        devices=list(devices),
    )


@dataclass
class FakeSends:
    claims: dict[str, str] = field(default_factory=dict)
    checkpoints: dict[str, JobProgress] = field(default_factory=dict)
    ledger: dict[str, list[LedgerEntry]] = field(default_factory=dict)
    fail_complete: bool = False
    #: Raised by the n-th checkpoint write (1-based): the worker dies before that window is sent.
    crash_at_checkpoint: int | None = None
    checkpoint_writes: int = 0

    def create(self, send: object, fanout_entries: Sequence[LedgerEntry]) -> None:
        raise AssertionError("not used by the worker")

    def get(self, org_id: str, send_id: str) -> None:
        return None

    def claim(self, job: DeliveryJob, *, at: datetime, progress: JobProgress | None = None) -> ClaimState:
        found = self.claims.get(job.job_id)
        if found is None:
            self.claims[job.job_id] = ClaimState.IN_FLIGHT.value
            if progress is not None:
                self.checkpoints[job.job_id] = progress
            return ClaimState.CLAIMED
        return ClaimState(found)

    def progress(self, job: DeliveryJob) -> JobProgress | None:
        if self.claims.get(job.job_id) != ClaimState.IN_FLIGHT.value:
            return None
        return self.checkpoints.get(job.job_id, JobProgress("", window=tuple(range(len(job.devices)))))

    def checkpoint(
        self, job: DeliveryJob, progress: JobProgress, *, expected_owner: str, expected_version: int | None = None
    ) -> bool:
        self.checkpoint_writes += 1
        if self.checkpoint_writes == self.crash_at_checkpoint:
            raise WorkerKilled
        held = self.checkpoints.get(job.job_id)
        version = held.version if held else 0
        if self.claims.get(job.job_id) != ClaimState.IN_FLIGHT.value or (held.owner if held else "") != expected_owner:
            return False
        if expected_version is not None and version != expected_version:
            return False
        # As stored, not as mutated later; each checkpoint counts one more.
        self.checkpoints[job.job_id] = replace(progress, fates=dict(progress.fates), version=version + 1)
        return True

    def complete(self, job: DeliveryJob, outcomes: JobOutcomes, *, at: datetime, owner: str | None = None) -> bool:
        if self.fail_complete:
            raise DependencyError(message="the data store is unavailable; retry later")
        if self.claims.get(job.job_id) != ClaimState.IN_FLIGHT.value:
            return False
        if owner is not None and self.checkpoints[job.job_id].owner != owner:
            return False
        self.claims[job.job_id] = ClaimState.DONE.value
        self.ledger[job.job_id] = list(outcomes.entries)
        return True

    def ledger_page(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("not used by the worker")


class WorkerKilled(BaseException):
    """The worker process dies here (not an Exception: nothing in the worker may catch it)."""


@dataclass
class FakeMessages:
    status: MessageStatus = MessageStatus.ACTIVE

    def status_of(self, org_id: str, message_id: str) -> tuple[MessageStatus, int]:
        return self.status, 1


@dataclass
class FakeQueue:
    sent: list[tuple[DeliveryJob, int]] = field(default_factory=list)

    def send(self, jobs: Sequence[DeliveryJob], *, delay_seconds: int = 0) -> None:
        self.sent.extend((job, delay_seconds) for job in jobs)


@dataclass
class FakeParked:
    jobs: list[tuple[DeliveryJob, DevicePlatform, str]] = field(default_factory=list)

    def park(self, job: DeliveryJob, platform: DevicePlatform, *, reason: str, at: datetime) -> None:
        self.jobs.append((job, platform, reason))

    def take(self, org_id: str, app_id: str) -> list[DeliveryJob]:
        return [job for job, _, _ in self.jobs]

    def remove(self, job: DeliveryJob) -> None:
        self.jobs = [entry for entry in self.jobs if entry[0].job_id != job.job_id]


@dataclass
class FakeDeviceVerdicts:
    registered_at: dict[str, datetime] = field(default_factory=dict)
    invalid: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    def mark_invalid(
        self, device: DeviceRef, *, reason: str, invalid_since: datetime, send_id: str, at: datetime
    ) -> bool:
        if self.registered_at.get(device.token_sha256, NOW - timedelta(days=1)) >= invalid_since:
            return False
        self.invalid[device.token_sha256] = (reason, invalid_since)
        return True


@dataclass
class FakeCredentials:
    marked: list[tuple[DevicePlatform, str, str]] = field(default_factory=list)

    def mark_invalid(
        self, org_id: str, app_id: str, platform: DevicePlatform, *, secret_id: str, reason: str, at: datetime
    ) -> bool:
        self.marked.append((platform, secret_id, reason))
        return True


@dataclass
class FakeCounters:
    added: list[tuple[int, int]] = field(default_factory=list)

    def add(self, job: DeliveryJob, entries: Sequence[LedgerEntry], *, day: str) -> None:
        sent = sum(1 for entry in entries if entry.outcome is Outcome.SENT)
        self.added.append((sent, len(entries) - sent))


#: Answers by token prefix, as the simulator does.
_ANSWERS: dict[str, tuple[Verdict, int | None, str, dict[str, Any]]] = {
    "gone": (Verdict.TOKEN_INVALID, 410, "Unregistered", {"invalid_since": NOW - timedelta(hours=1)}),
    "bad": (Verdict.TOKEN_INVALID, 400, "BadDeviceToken", {}),
    "throttle": (Verdict.RETRY, 429, "TooManyRequests", {"retry_after": 7.0}),
    "fcmbusy": (Verdict.RETRY, 503, "UNAVAILABLE", {"retry_after": 1.0}),
    "apnsdown": (Verdict.RETRY, 500, "InternalServerError", {"retry_after": 900.0}),
    "quota": (Verdict.RETRY, 429, "QUOTA_EXCEEDED", {"retry_after": 60.0}),
    "slowdown": (Verdict.RETRY, None, "Timeout", {}),
    "auth": (Verdict.CONFIGURATION_ERROR, 403, "InvalidProviderToken", {"detail": "bad key"}),
    "huge": (Verdict.PAYLOAD_ERROR, None, "PayloadTooLarge", {}),
}


def _answer(request: PushRequest, platform: Platform) -> DeliveryOutcome:
    token = request.device_token
    for prefix, (verdict, status, reason, extra) in _ANSWERS.items():
        if token.startswith(prefix):
            return DeliveryOutcome(verdict, platform, status, reason, **extra)
    return DeliveryOutcome(Verdict.DELIVERED, platform, 200, provider_message_id=f"id-{token}")


@dataclass
class FakeClient:
    platform: Platform
    requests: list[PushRequest] = field(default_factory=list)
    before_send: Callable[[Sequence[PushRequest]], None] | None = None

    def send_batch(self, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        self.requests.extend(requests)
        if self.before_send is not None:
            self.before_send(requests)
        return [_answer(request, self.platform) for request in requests]


@dataclass
class FakeProviders:
    apns: FakeClient = field(default_factory=lambda: FakeClient(Platform.APNS))
    fcm: FakeClient = field(default_factory=lambda: FakeClient(Platform.FCM))
    broken: bool = False

    def apns_client(self, app: MobileApp) -> FakeClient:
        if self.broken:
            raise ProviderNotConfiguredError(message="the stored iOS credentials cannot be used: bad PEM")
        return self.apns

    def fcm_client(self, app: MobileApp) -> FakeClient:
        return self.fcm

    @property
    def requests(self) -> list[PushRequest]:
        return self.apns.requests + self.fcm.requests


@dataclass
class World:
    sends: FakeSends = field(default_factory=FakeSends)
    apps: FakeApps = field(default_factory=lambda: FakeApps(_app()))
    messages: FakeMessages = field(default_factory=FakeMessages)
    queue: FakeQueue = field(default_factory=FakeQueue)
    parked: FakeParked = field(default_factory=FakeParked)
    devices: FakeDeviceVerdicts = field(default_factory=FakeDeviceVerdicts)
    credentials: FakeCredentials = field(default_factory=FakeCredentials)
    counters: FakeCounters = field(default_factory=FakeCounters)
    providers: FakeProviders = field(default_factory=FakeProviders)
    clock: FakeClock = field(default_factory=FakeClock)
    pacing: PacingPolicy = field(default_factory=PacingPolicy)

    def service(self, max_attempts: int = 5) -> DeliveryService:
        ports = DeliveryPorts(
            sends=self.sends,  # type: ignore[arg-type]
            apps=self.apps,
            messages=self.messages,  # type: ignore[arg-type]
            queue=self.queue,
            parked=self.parked,
            devices=self.devices,
            credentials=self.credentials,
            counters=self.counters,  # type: ignore[arg-type]
            providers=self.providers,
        )
        pacer = ProjectRateLimiter(self.pacing, clock=self.clock.now, sleep=self.clock.sleep)
        return DeliveryService(ports, max_attempts=max_attempts, now=lambda: NOW, jitter=lambda: 0.5, fcm_pacer=pacer)


@pytest.fixture
def world() -> World:
    return World()


def _outcomes(world: World, job_id: str = "00000") -> dict[str, LedgerEntry]:
    return {entry.user_id + ":" + (entry.token_sha256 or "")[:6]: entry for entry in world.sends.ledger[job_id]}


def test_delivered_devices_are_sent_once_with_tracking_and_consent_driven_links(world: World) -> None:
    job = _job(
        _device("u1", "aa01", tracked=True), _device("u2", "fcm-token-2", DevicePlatform.ANDROID), _device("u3", "aa03")
    )
    report = world.service().run(job)
    assert (report.claim, report.sent, report.not_sent) == (ClaimState.CLAIMED, 3, 0)
    by_token = {request.device_token: request for request in world.providers.requests}
    assert set(by_token) == {"aa01", "fcm-token-2", "aa03"}
    tracked = by_token["aa01"].message
    assert tracked.tracking_id == job.devices[0].tracking_id
    assert tracked.link == f"https://push.example.com/l/{tracked.tracking_id}"
    assert tracked.original_link == "https://example.com/x"
    untracked = by_token["aa03"].message
    # Without tracking consent the plain URL is the link: the sample apps open only ``link``.
    assert (untracked.link, untracked.original_link) == ("https://example.com/x", "https://example.com/x")
    entries = world.sends.ledger["00000"]
    assert {e.outcome for e in entries} == {Outcome.SENT}
    assert {e.provider_message_id for e in entries} == {"id-aa01", "id-fcm-token-2", "id-aa03"}
    assert world.counters.added == [(3, 0)]


def test_a_redelivered_completed_job_sends_nothing(world: World) -> None:
    job = _job(_device("u1", "aa01"))
    world.service().run(job)
    again = world.service().run(job)
    assert again.claim is ClaimState.DONE
    assert len(world.providers.requests) == 1
    assert world.counters.added == [(1, 0)]


def test_crash_after_provider_acceptance_is_not_resent_on_redelivery(world: World) -> None:
    job = _job(_device("u1", "aa01"), _device("u2", "aa02"))
    world.sends.fail_complete = True
    with pytest.raises(DependencyError):
        world.service().run(job)
    assert len(world.providers.requests) == 2  # the provider accepted both; the recording failed
    world.sends.fail_complete = False
    report = world.service().run(job)  # SQS redelivers the message
    assert report.claim is ClaimState.IN_FLIGHT
    assert len(world.providers.requests) == 2, "nothing may be sent twice"
    assert {(e.outcome, e.reason) for e in world.sends.ledger["00000"]} == {(Outcome.NOT_SENT, "DeliveryUncertain")}


def test_token_invalid_marks_the_device_with_the_provider_timestamp(world: World) -> None:
    gone, bad = _device("u1", "gone01"), _device("u2", "bad02")
    world.service().run(_job(gone, bad))
    assert world.devices.invalid[gone.token_sha256] == ("Unregistered", NOW - timedelta(hours=1))
    assert world.devices.invalid[bad.token_sha256] == ("BadDeviceToken", NOW)
    reasons = {e.reason for e in world.sends.ledger["00000"]}
    assert reasons == {"Unregistered", "BadDeviceToken"}


def test_a_device_registered_after_the_provider_timestamp_stays_active(world: World) -> None:
    gone = _device("u1", "gone01")
    world.devices.registered_at[gone.token_sha256] = NOW - timedelta(minutes=5)  # after the 410's timestamp
    world.service().run(_job(gone))
    assert gone.token_sha256 not in world.devices.invalid
    assert world.sends.ledger["00000"][0].outcome is Outcome.NOT_SENT


def test_retry_goes_back_to_the_queue_delayed_by_retry_after(world: World) -> None:
    job = _job(_device("u1", "throttle01"), _device("u2", "aa02"))
    report = world.service().run(job)
    assert (report.sent, report.retried, report.retry_delay_s) == (1, 1, 7)
    ((retry, delay),) = world.queue.sent
    assert (retry.job_id, retry.attempt, delay) == ("00000.r1", 1, 7)
    assert [d.token for d in retry.devices] == ["throttle01"]
    assert len(world.sends.ledger["00000"]) == 1  # the retried device is not final yet


def test_retries_are_grouped_by_platform_and_due_time_each_with_its_own_providers_delay(world: World) -> None:
    # Given a job of 51 Android devices FCM asks to retry after 1 s and 3 iOS devices APNs failed
    # with a 500 (Apple: retry after 15 minutes)
    android = [_device(f"a{n}", f"fcmbusy-{n}", DevicePlatform.ANDROID) for n in range(51)]
    ios = [_device(f"i{n}", f"apnsdown{n:02d}") for n in range(3)]
    report = world.service().run(_job(*android, *ios))

    # Then the Android devices come back after FCM's 1 s, not after APNs' 900 s
    delays = {delay: sorted(d.token for d in job.devices) for job, delay in world.queue.sent}
    assert delays == {1: sorted(d.token for d in android), 900: sorted(d.token for d in ios)}
    assert {job.attempt for job, _ in world.queue.sent} == {1}
    assert len({job.job_id for job, _ in world.queue.sent}) == 2
    assert all(job.job_id.startswith("00000.r1") for job, _ in world.queue.sent)
    assert (report.retried, report.retry_delay_s) == (54, 1)


def test_retries_of_one_platform_with_different_delays_go_in_one_job_per_delay(world: World) -> None:
    devices = [
        _device("a1", "fcmbusy-1", DevicePlatform.ANDROID),
        _device("a2", "quota-2", DevicePlatform.ANDROID),
        _device("a3", "fcmbusy-3", DevicePlatform.ANDROID),
    ]
    world.service().run(_job(*devices))
    delays = {delay: [d.token for d in job.devices] for job, delay in world.queue.sent}
    assert delays == {1: ["fcmbusy-1", "fcmbusy-3"], 60: ["quota-2"]}


def test_retry_without_retry_after_backs_off_exponentially(world: World) -> None:
    world.service().run(_job(_device("u1", "slowdown01"), attempt=2, job_id="00000.r1.r2"))
    ((retry, delay),) = world.queue.sent
    assert retry.attempt == 3
    assert delay == 15  # 5 s doubled twice, at the jitter midpoint (0.75 of 20 s)


def test_retries_end_after_the_attempt_limit(world: World) -> None:
    world.service(max_attempts=3).run(_job(_device("u1", "throttle01"), attempt=2, job_id="x"))
    assert world.queue.sent == []
    (entry,) = world.sends.ledger["x"]
    assert (entry.outcome, entry.reason, entry.attempts) == (Outcome.NOT_SENT, "RetriesExhausted", 3)


def test_a_now_or_never_job_goes_out_once_with_expiry_0_and_what_would_wait_is_expired(world: World) -> None:
    job = _job(
        _device("u1", "aa01"), _device("u2", "throttle02"), _device("u3", "auth03"), _device("u4", "fcm-4", ANDROID)
    ).model_copy(update={"expires_at": NOW_OR_NEVER})
    report = world.service().run(job)
    assert {(r.device_token, r.expires_at) for r in world.providers.requests} == {
        ("aa01", 0),
        ("throttle02", 0),
        ("auth03", 0),
        ("fcm-4", 0),
    }
    # No retry job and no parking: its moment passes before either could send it.
    assert (report.sent, report.not_sent, report.retried, report.parked) == (2, 2, 0, 0)
    assert world.queue.sent == [] and world.parked.jobs == []
    entries = {e.user_id: e for e in world.sends.ledger["00000"]}
    assert (entries["u2"].reason, entries["u2"].verdict, entries["u2"].attempts) == ("MessageExpired", "retry", 1)
    assert entries["u3"].reason == "MessageExpired"
    # The credentials are still marked: the next send must not try them.
    assert world.credentials.marked[0][0] is DevicePlatform.IOS


def test_a_job_past_a_positive_expiry_is_not_sent(world: World) -> None:
    world.service().run(_job(_device("u1", "aa01")).model_copy(update={"expires_at": int(NOW.timestamp())}))
    assert world.providers.requests == []
    assert {e.reason for e in world.sends.ledger["00000"]} == {"MessageExpired"}


def test_configuration_error_marks_the_app_and_parks_the_devices(world: World) -> None:
    job = _job(_device("u1", "auth01"), _device("u2", "fcm-2", DevicePlatform.ANDROID))
    report = world.service().run(job)
    assert (report.sent, report.parked) == (1, 1)
    assert world.credentials.marked == [(DevicePlatform.IOS, "ios-secret", "InvalidProviderToken: bad key")]
    ((parked, platform, _),) = world.parked.jobs
    assert platform is DevicePlatform.IOS
    assert [d.token for d in parked.devices] == ["auth01"]
    assert world.queue.sent == []


def test_an_app_with_invalid_credentials_parks_without_calling_the_provider(world: World) -> None:
    world.apps.app = _app(CheckStatus.INVALID)
    report = world.service().run(_job(_device("u1", "aa01")))
    assert report.parked == 1
    assert world.providers.requests == []
    assert world.sends.ledger["00000"] == []


def test_unusable_stored_credentials_park_before_any_send(world: World) -> None:
    world.providers.broken = True
    world.service().run(_job(_device("u1", "aa01")))
    assert world.providers.requests == []
    assert world.credentials.marked[0][0] is DevicePlatform.IOS
    assert len(world.parked.jobs) == 1


def test_payload_error_is_recorded(world: World) -> None:
    world.service().run(_job(_device("u1", "huge01")))
    (entry,) = world.sends.ledger["00000"]
    assert (entry.outcome, entry.reason, entry.verdict) == (Outcome.NOT_SENT, "PayloadTooLarge", "payload_error")


def test_a_message_deactivated_after_fan_out_stops_its_queued_jobs(world: World) -> None:
    world.messages.status = MessageStatus.INACTIVE
    world.service().run(_job(_device("u1", "aa01"), _device("u2", "aa02")))
    assert world.providers.requests == []
    assert {e.reason for e in world.sends.ledger["00000"]} == {"MessageDeactivated"}


def test_a_platform_the_app_no_longer_has_is_recorded_not_sent(world: World) -> None:
    world.apps.app = _app(android=False)
    world.service().run(_job(_device("u1", "fcm-1", DevicePlatform.ANDROID)))
    assert world.sends.ledger["00000"][0].reason == "PlatformNotConfigured"


def test_fcm_sends_are_paced_per_project_and_a_429_slows_the_project(world: World) -> None:
    # Given a worker paced at 60 FCM messages per second with a one-second bucket
    world.pacing = PacingPolicy(messages_per_minute=3600)
    service = world.service()
    android = [_device(f"u{n}", f"fcm-{n}", DevicePlatform.ANDROID) for n in range(90)]

    # When one job of 90 Android devices runs
    service.run(_job(*android))

    # Then the bucket's 60 went at once and the other 30 waited half a second (window by window)
    assert sum(world.clock.slept) == pytest.approx(0.5)
    assert len(world.providers.fcm.requests) == 90

    # And a 429 halves the project's pace: the next 30 devices wait a full second
    service.run(_job(_device("t", "throttle-1", DevicePlatform.ANDROID), job_id="00001"))
    waited = len(world.clock.slept)
    service.run(_job(*android[:30], job_id="00002"))
    assert sum(world.clock.slept[waited:]) == pytest.approx(1.0)


def test_ios_sends_are_not_paced_by_the_fcm_bucket(world: World) -> None:
    world.pacing = PacingPolicy(messages_per_minute=60)
    world.service().run(_job(*(_device(f"u{n}", f"apns-{n}") for n in range(50))))
    assert world.clock.slept == []


# ------------------------------------------------------------------ crashes mid-job: checkpoints and takeover


def _mixed(count: int) -> list[JobDevice]:
    return [
        _device(f"u{n}", f"aa{n:03d}") if n % 2 else _device(f"u{n}", f"fcm-{n}", DevicePlatform.ANDROID)
        for n in range(count)
    ]


def _sent_tokens(world: World) -> Counter[str]:
    return Counter(request.device_token for request in world.providers.requests)


def test_a_worker_killed_between_windows_leaves_only_the_window_on_the_wire_uncertain(world: World) -> None:
    # Given a job of 100 devices (50 per platform: two windows each) whose worker dies at its second
    # checkpoint, i.e. after two windows were sent and only the first one's answers were recorded
    job = _job(*_mixed(100))
    world.sends.crash_at_checkpoint = 2
    with pytest.raises(WorkerKilled):
        world.service().run(job)
    on_the_wire = [request.device_token for request in world.providers.requests[25:]]
    assert len(world.providers.requests) == 50 and len(on_the_wire) == 25

    # When SQS delivers the job again
    report = world.service().run(job)

    # Then the devices never handed over are sent, each device went out once, and only the
    # window that was on the wire at the crash is uncertain
    assert report.claim is ClaimState.IN_FLIGHT
    assert _sent_tokens(world) == Counter(device.token for device in job.devices)
    uncertain = [e for e in world.sends.ledger["00000"] if e.reason == "DeliveryUncertain"]
    assert report.uncertain == len(uncertain) == 25
    assert {e.user_id for e in uncertain} == {d.user_id for d in job.devices if d.token in on_the_wire}
    assert (report.sent, report.not_sent) == (75, 25)
    assert len(world.sends.ledger["00000"]) == 100
    assert world.counters.added == [(75, 25)]


def test_checkpoints_are_one_write_per_window_after_the_first(world: World) -> None:
    world.service().run(_job(*_mixed(100)))
    assert world.sends.checkpoint_writes == 3  # four windows; the claim carries the first
    world.service().run(_job(*(_device(f"u{n}", f"aa{n:03d}") for n in range(25)), job_id="00001"))
    assert world.sends.checkpoint_writes == 3  # one window: the claim is the only write before sending


def test_a_big_job_is_handed_over_in_four_windows_whatever_its_size(world: World) -> None:
    world.service().run(_job(*(_device(f"u{n}", f"ab{n:04d}") for n in range(800)), job_id="00002"))
    assert world.sends.checkpoint_writes == 3  # four windows of 200: three checkpoints
    assert len(world.sends.ledger["00002"]) == 800


def test_a_second_worker_that_takes_a_live_job_over_stops_the_first(world: World) -> None:
    # Given a job being sent by a first worker, and a duplicate SQS delivery of it to a second one
    # that arrives while the first worker's first window is on the wire
    job = _job(*(_device(f"u{n}", f"aa{n:03d}") for n in range(60)))
    first, second = world.service(), world.service()
    reports = []

    def duplicate_delivery(requests: Sequence[PushRequest]) -> None:
        if not reports:
            reports.append(None)
            reports.append(second.run(job))

    world.providers.apns.before_send = duplicate_delivery

    # When both run it
    report = first.run(job)

    # Then the first stops at its next checkpoint and records nothing, the second sends what the
    # first never handed over, and no device is sent twice
    assert (report.sent, report.not_sent) == (0, 0)
    assert _sent_tokens(world) == Counter(device.token for device in job.devices)
    taker = reports[1]
    assert taker is not None and (taker.sent, taker.uncertain) == (35, 25)
    assert len(world.sends.ledger["00000"]) == 60


def test_a_takeover_that_read_a_checkpoint_the_holder_has_since_replaced_leaves_the_job_to_the_holder(
    world: World,
) -> None:
    # Given a job whose worker is between two windows, and a duplicate SQS delivery of it to a second
    # worker that reads the checkpoint just before the first one writes its next
    job = _job(*(_device(f"u{n}", f"aa{n:03d}") for n in range(60)))
    first, second = world.service(), world.service()
    sends = world.sends
    write_checkpoint, read_progress = sends.checkpoint, sends.progress
    taker: list[JobReport] = []

    def progress_read_then_overtaken(job: DeliveryJob) -> JobProgress | None:
        found = read_progress(job)
        sends.progress = read_progress  # type: ignore[method-assign]
        assert write_checkpoint(job, held_checkpoint[0], expected_owner=held_checkpoint[0].owner)
        return found

    held_checkpoint: list[JobProgress] = []

    def checkpoint(job: DeliveryJob, progress: JobProgress, **condition: Any) -> bool:
        if not taker and progress.owner == condition.get("expected_owner"):
            # The first worker's checkpoint before its second window: the second worker runs now,
            # and this checkpoint lands between its read of the progress and its takeover.
            sends.checkpoint = write_checkpoint  # type: ignore[method-assign]
            held_checkpoint.append(progress)
            sends.progress = progress_read_then_overtaken  # type: ignore[method-assign]
            taker.append(second.run(job))
            return True
        return write_checkpoint(job, progress, **condition)

    sends.checkpoint = checkpoint  # type: ignore[method-assign]

    # When both run it
    report = first.run(job)

    # Then the second worker's takeover fails and it sends nothing; the first sends every device once
    assert taker[0].sent == 0
    assert _sent_tokens(world) == Counter(device.token for device in job.devices)
    assert report.sent == 60
    assert len(world.sends.ledger["00000"]) == 60


def test_a_crash_after_the_final_checkpoint_parks_and_retries_the_same_devices_again(world: World) -> None:
    # Given a job with a throttled device and a credential failure, whose worker dies completing it
    job = _job(_device("u1", "throttle01"), _device("u2", "auth02"), _device("u3", "aa03"))
    world.sends.fail_complete = True
    with pytest.raises(DependencyError):
        world.service().run(job)
    world.sends.fail_complete = False

    # When it is delivered again
    report = world.service().run(job)

    # Then nothing is sent again, and the retry job and the parked devices are the same as before
    assert len(world.providers.requests) == 3
    (first_retry, _), (second_retry, _) = world.queue.sent
    assert first_retry == second_retry
    assert [d.token for d in second_retry.devices] == ["throttle01"]
    assert [[d.token for d in parked.devices] for parked, _, _ in world.parked.jobs] == [["auth02"], ["auth02"]]
    assert (report.sent, report.uncertain) == (1, 0)


def test_a_job_resumed_after_its_message_was_deactivated_sends_nothing_more(world: World) -> None:
    job = _job(*(_device(f"u{n}", f"aa{n:03d}") for n in range(60)))
    world.sends.crash_at_checkpoint = 1
    with pytest.raises(WorkerKilled):
        world.service().run(job)
    world.messages.status = MessageStatus.INACTIVE
    world.service().run(job)
    assert len(world.providers.requests) == 25
    reasons = Counter(e.reason for e in world.sends.ledger["00000"])
    assert reasons == {"DeliveryUncertain": 25, "MessageDeactivated": 35}


def test_a_configuration_error_parks_the_rest_of_the_platform_without_sending(world: World) -> None:
    job = _job(*(_device(f"u{n}", f"auth{n:03d}") for n in range(60)))
    report = world.service().run(job)
    assert len(world.providers.requests) == 25  # the first window found the credentials failing
    assert report.parked == 60
    assert len(world.credentials.marked) == 1


# ------------------------------------------------------------------ UncertainDelivery: ResendCollapsed


def _collapsing(job: DeliveryJob) -> DeliveryJob:
    notification = replace(job.messages[0], android_notification=True)
    return job.model_copy(update={"resend_uncertain": True, "messages": [notification]})


def test_with_resend_collapsed_every_notification_carries_its_own_collapse_id_from_the_first_send(
    world: World,
) -> None:
    job = _collapsing(_job(*_mixed(4)))
    world.service().run(job)
    by_token = {request.device_token: request for request in world.providers.requests}
    for device in job.devices:
        own = apns_id_for(SEND, device.token)
        request = by_token[device.token]
        if device.platform is DevicePlatform.IOS:
            assert (request.collapse_id, request.notification_tag) == (own, None)
        else:
            # On Android a tag (on-screen replacement), never a per-notification collapse_key
            assert (request.collapse_id, request.notification_tag) == (None, own)


def test_a_data_message_gets_no_tag_and_a_message_without_the_setting_no_own_collapse_id(world: World) -> None:
    data_only = _job(*_mixed(2)).model_copy(update={"resend_uncertain": True})
    world.service().run(data_only)
    plain = _job(*_mixed(2), job_id="00001")
    world.service().run(plain)
    android = [r for r in world.providers.requests if r.device_token.startswith("fcm-")]
    assert [r.notification_tag for r in android] == [None, None]
    ios = [r.collapse_id for r in world.providers.requests if not r.device_token.startswith("fcm-")]
    assert ios == [apns_id_for(SEND, "aa001"), None]


def test_with_resend_collapsed_a_takeover_sends_the_window_on_the_wire_again_under_the_same_collapse_ids(
    world: World,
) -> None:
    # Given a job whose worker dies at its second checkpoint: the second window went out unrecorded
    job = _collapsing(_job(*_mixed(100)))
    world.sends.crash_at_checkpoint = 2
    with pytest.raises(WorkerKilled):
        world.service().run(job)
    first_copies = {r.device_token: r for r in world.providers.requests[25:50]}

    # When SQS delivers it again
    report = world.service().run(job)

    # Then that window is sent again, under the collapse ids its first copies carried, and nothing is uncertain
    second_copies = {r.device_token: r for r in world.providers.requests[50:] if r.device_token in first_copies}
    assert set(second_copies) == set(first_copies)
    for token, copy in second_copies.items():
        assert (copy.collapse_id, copy.notification_tag) == (
            first_copies[token].collapse_id,
            first_copies[token].notification_tag,
        )
    assert (report.resent, report.uncertain, report.sent, report.not_sent) == (25, 0, 100, 0)
    assert _sent_tokens(world) == Counter({d.token: 2 if d.token in first_copies else 1 for d in job.devices})
    assert {e.outcome for e in world.sends.ledger["00000"]} == {Outcome.SENT}


def test_with_resend_collapsed_a_job_stopped_meanwhile_still_records_the_window_uncertain(world: World) -> None:
    job = _collapsing(_job(*(_device(f"u{n}", f"aa{n:03d}") for n in range(60))))
    world.sends.crash_at_checkpoint = 1
    with pytest.raises(WorkerKilled):
        world.service().run(job)
    world.messages.status = MessageStatus.INACTIVE
    report = world.service().run(job)
    assert len(world.providers.requests) == 25
    assert (report.resent, report.uncertain) == (0, 25)
    reasons = Counter(e.reason for e in world.sends.ledger["00000"])
    assert reasons == {"DeliveryUncertain": 25, "MessageDeactivated": 35}
