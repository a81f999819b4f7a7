"""Device registration with in-memory fakes: the worker's decisions, webhook rules, keys, no writes on rejection."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pushgate.adapters.dynamodb import keys
from pushgate.adapters.dynamodb.devices import REGISTRATION_STATUS_RETENTION
from pushgate.adapters.webhooks import WebhookRefusedError, address_refusal, check_target
from pushgate.credentials.inputs import AppMode
from pushgate.errors import ConflictError, DependencyError, InvalidRequestError, UnauthorizedError
from pushgate.models.device import (
    Device,
    DevicePlatform,
    DeviceRef,
    DeviceStatus,
    FailureReason,
    RegistrationJob,
    RegistrationOutcome,
    RegistrationState,
    RegistrationStatus,
    is_fresh_registration,
)
from pushgate.models.mobile_app import MobileApp
from pushgate.models.push import DeliveryOutcome, Platform, PushRequest, Verdict
from pushgate.models.webhook import WebhookResult, signature, webhook_body
from pushgate.providers.ports import ProviderNotConfiguredError
from pushgate.services.devices import device_registration
from pushgate.services.devices.device_verification import MAX_RECEIVE_COUNT, DeviceVerifier, RetryLaterError
from pushgate_local.template import read_stack
from tests.fakes.apps import stored_app
from tests.fakes.stores import FakeApps

ROOT = Path(__file__).resolve().parents[2]
ORG, APP = "0b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a10", "5d0a3f57-8f0e-4c5e-b1f4-6b1f1c2e9a77"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TOKEN = "ab" * 32


def mobile_app(*, ios: bool = True) -> MobileApp:
    return stored_app(ORG, APP, at=NOW, name="x", ios_mode="Sandbox" if ios else None)


class FakeDevices:
    """Devices keyed like the table; counts writes the way DynamoDB bills them (items written)."""

    def __init__(self) -> None:
        self.devices: dict[tuple[str, str, str, str], Device] = {}
        self.owners: dict[tuple[str, str], str] = {}
        self.items_written = 0
        self.fail_saves = 0
        self.fail_with: type[ConflictError | DependencyError] = ConflictError

    def get(self, org_id: str, app_id: str, user_id: str, platform: DevicePlatform, sha: str) -> Device | None:
        return self.devices.get((app_id, user_id, platform.value, sha))

    def get_many(self, keys: Sequence[tuple[str, str, str, DevicePlatform, str]]) -> list[Device]:
        found = [self.devices.get((app, user, platform.value, sha)) for _, app, user, platform, sha in keys]
        return [device for device in found if device is not None]

    def owner_of(self, org_id: str, app_id: str, platform: DevicePlatform, sha: str) -> str | None:
        return self.owners.get((platform.value, sha))

    def list_for_user(self, org_id: str, app_id: str, user_id: str) -> list[Device]:
        return [d for (a, u, _, _), d in self.devices.items() if u == user_id]

    def save(self, device: Device, *, expected_owner: str | None) -> None:
        if self.fail_saves:
            self.fail_saves -= 1
            raise self.fail_with(message="simulated")
        self.owners[(device.platform.value, device.token_sha256)] = device.user_id
        self.devices[(device.app_id, device.user_id, device.platform.value, device.token_sha256)] = device
        self.items_written += 2
        if expected_owner not in (None, device.user_id):
            self.devices.pop((device.app_id, str(expected_owner), device.platform.value, device.token_sha256), None)
            self.items_written += 1

    def refresh(self, ref: DeviceRef, *, at: datetime, request_id: str, app_mode: AppMode | None) -> bool:
        key = (ref.app_id, ref.user_id, ref.platform.value, ref.token_sha256)
        device = self.devices.get(key)
        if device is None or device.status is not DeviceStatus.ACTIVE:
            return False
        self.devices[key] = device.model_copy(
            update={"last_registered_at": at, "last_request_id": request_id, "app_mode": app_mode}
        )
        self.items_written += 1
        return True

    def remove(self, org_id: str, app_id: str, user_id: str, platform: DevicePlatform, sha: str) -> bool:
        return self.devices.pop((app_id, user_id, platform.value, sha), None) is not None


class FakeStatuses:
    def __init__(self) -> None:
        self.stored: dict[str, RegistrationStatus] = {}
        self.webhooks: dict[str, str] = {}
        self.items_written = 0

    def put(self, status: RegistrationStatus) -> None:
        self.stored[status.request_id] = status
        self.items_written += 1

    def get_many(self, org_id: str, app_id: str, ids: Sequence[str]) -> dict[str, RegistrationStatus]:
        return {i: self.stored[i] for i in ids if i in self.stored}

    def record_webhook(self, org_id: str, app_id: str, request_id: str, *, result: str, at: datetime) -> None:
        self.webhooks[request_id] = result


class FakeSender:
    def __init__(self, verdict: Verdict = Verdict.DELIVERED, reason: str | None = None) -> None:
        self.verdict, self.reason = verdict, reason
        self.sent: list[PushRequest] = []

    def send(self, request: PushRequest) -> DeliveryOutcome:
        self.sent.append(request)
        return DeliveryOutcome(self.verdict, Platform.APNS, reason=self.reason, rule=self.reason, detail="why")


class FakeProviders:
    def __init__(self, sender: FakeSender) -> None:
        self.sender = sender

    def apns_client(self, app: MobileApp) -> FakeSender:
        if app.ios is None:
            raise ProviderNotConfiguredError(message="no iOS")
        return self.sender

    def fcm_client(self, app: MobileApp) -> FakeSender:
        raise ProviderNotConfiguredError(message="no Android")


class FakeWebhooks:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Mapping[str, str], Mapping[str, str]]] = []

    def call(self, url: str, headers: Mapping[str, str], body: Mapping[str, str]) -> WebhookResult:
        self.calls.append((url, headers, body))
        return WebhookResult(True, "delivered 200")


def job(**overrides: Any) -> RegistrationJob:
    values: dict[str, Any] = {
        "request_id": "6f1c1c53-4a51-4a8e-9d53-0a5b7a0c2f11",
        "org_id": ORG,
        "app_id": APP,
        "user_id": "alice",
        "platform": DevicePlatform.IOS,
        "token": TOKEN,
        "track": True,
        "accepted_at": NOW,
    }
    return RegistrationJob(**{**values, **overrides})


def verifier(
    sender: FakeSender | None = None, app: MobileApp | None = None
) -> tuple[DeviceVerifier, FakeDevices, FakeStatuses, FakeWebhooks]:
    devices, statuses, webhooks = FakeDevices(), FakeStatuses(), FakeWebhooks()
    worker = DeviceVerifier(
        apps=FakeApps(app if app is not None else mobile_app()),  # type: ignore[arg-type]
        devices=devices,
        statuses=statuses,
        providers=FakeProviders(sender or FakeSender()),
        webhooks=webhooks,
        now=lambda: NOW,
    )
    return worker, devices, statuses, webhooks


# ------------------------------------------------------------------ the worker


def test_a_new_registration_dry_runs_then_writes_three_items() -> None:
    sender = FakeSender()
    worker, devices, statuses, _ = verifier(sender)

    outcome = worker.run(job())

    assert outcome.state is RegistrationState.SUCCESS
    assert sender.sent[0].dry_run and sender.sent[0].device_token == TOKEN
    (device,) = devices.devices.values()
    assert (device.app_mode, device.status, device.registered_at) == (AppMode.SANDBOX, DeviceStatus.ACTIVE, NOW)
    # The documented budget: device + ownership in one transaction, plus the tracked outcome.
    assert devices.items_written + statuses.items_written == 3


@pytest.mark.parametrize(
    ("verdict", "reason"),
    [
        (Verdict.TOKEN_INVALID, "BadDeviceToken"),
        (Verdict.PAYLOAD_ERROR, "PayloadTooLarge"),
        (Verdict.CONFIGURATION_ERROR, "InvalidProviderToken"),
    ],
)
def test_provider_rejections_fail_the_dry_run_and_store_nothing(verdict: Verdict, reason: str) -> None:
    worker, devices, _, _ = verifier(FakeSender(verdict, reason))

    outcome = worker.run(job())

    assert (outcome.state, outcome.reason) == (RegistrationState.FAILED, FailureReason.DRY_RUN_SENDING_FAILED)
    assert devices.devices == {}
    assert reason in (outcome.detail or "")
    if verdict is Verdict.CONFIGURATION_ERROR:
        assert "credentials" in (outcome.detail or "")


def test_an_unanswered_dry_run_is_retried_by_sqs_until_the_last_delivery() -> None:
    worker, _, statuses, _ = verifier(FakeSender(Verdict.RETRY, "ServiceUnavailable"))

    with pytest.raises(RetryLaterError):
        worker.run(job(), receive_count=1)
    assert statuses.stored == {}

    outcome = worker.run(job(), receive_count=MAX_RECEIVE_COUNT)
    assert outcome.reason is FailureReason.DRY_RUN_SENDING_FAILED


def test_a_failing_data_store_is_retried_then_reported_failed_to_store() -> None:
    worker, devices, _, _ = verifier()
    devices.fail_saves, devices.fail_with = 10, DependencyError

    with pytest.raises(RetryLaterError):
        worker.run(job(), receive_count=1)
    outcome = worker.run(job(), receive_count=MAX_RECEIVE_COUNT)

    assert outcome.reason is FailureReason.FAILED_TO_STORE_DEVICE


def test_a_lost_race_is_retried_in_place() -> None:
    worker, devices, _, _ = verifier()
    devices.fail_saves = 2

    assert worker.run(job()).state is RegistrationState.SUCCESS


def test_same_user_same_token_is_duplicate_and_a_redelivery_is_success_again() -> None:
    worker, _, _, _ = verifier()
    first = job()
    worker.run(first)

    assert worker.run(first).state is RegistrationState.SUCCESS  # SQS redelivered the same message
    again = worker.run(job(request_id="7f1c1c53-4a51-4a8e-9d53-0a5b7a0c2f11"))
    assert again.reason is FailureReason.DUPLICATE_EXISTS


def test_moving_a_token_removes_it_from_the_previous_user() -> None:
    worker, devices, _, _ = verifier()
    worker.run(job())

    worker.run(job(user_id="bob", request_id="8f1c1c53-4a51-4a8e-9d53-0a5b7a0c2f11"))

    assert [key[1] for key in devices.devices] == ["bob"]


def test_too_long_token_deleted_app_and_missing_platform_are_failures() -> None:
    worker, _, _, _ = verifier()
    assert worker.run(job(token="ab" * 33)).reason is FailureReason.DEVICE_TOKEN_TOO_LONG
    assert worker.run(job(platform=DevicePlatform.ANDROID, token="t")).reason is FailureReason.DRY_RUN_SENDING_FAILED
    gone, _, _, _ = verifier()
    gone._apps = FakeApps(None)  # type: ignore[assignment]
    assert gone.run(job()).reason is FailureReason.API_TOKEN_NOT_VALID


def test_the_webhook_is_called_once_with_the_signed_body_after_the_status_is_stored() -> None:
    worker, _, statuses, webhooks = verifier()
    url = "https://hooks.example.com/cb?id=1"

    worker.run(job(callback_url=url, callback_headers={"X-Id": "1"}, api_token="pgat_secret"))

    ((called, headers, body),) = webhooks.calls
    assert (called, headers) == (url, {"X-Id": "1"})
    assert body == {"Status": "Success", "Signature": signature(url, "pgat_secret")}
    assert statuses.webhooks == {job().request_id: "delivered 200"}


def test_the_api_token_never_appears_in_the_jobs_repr() -> None:
    assert "pgat_secret" not in repr(job(api_token="pgat_secret")) + str(job(api_token="pgat_secret"))


def test_max_receive_count_matches_the_queues_redrive_policy() -> None:
    queue = next(q for q in read_stack(ROOT / "template.yaml").queues if q.logical_id == "RegistrationQueue")
    assert queue.properties["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVE_COUNT


# ------------------------------------------------------------------ the API side writes nothing on rejection


class RejectingAuthenticator:
    def authenticate(self, org_id: str, app_id: str, api_token: str) -> MobileApp:
        raise UnauthorizedError(message="no")


class RecordingQueue:
    def __init__(self) -> None:
        self.sent: list[RegistrationJob] = []

    def send(self, jobs: Sequence[RegistrationJob]) -> None:
        self.sent += jobs


def item(prefix: str = "") -> device_registration.RegistrationItem:
    return device_registration.RegistrationItem(
        prefix, APP, "alice", "pgat_x", DevicePlatform.IOS, TOKEN, "ApnsDeviceToken"
    )


def test_a_bad_api_token_is_a_400_on_api_token_and_nothing_is_enqueued_or_written() -> None:
    queue, devices = RecordingQueue(), FakeDevices()

    with pytest.raises(InvalidRequestError) as caught:
        device_registration.accept_registrations(
            ORG,
            [item("[0]."), item("[1].")],
            options=device_registration.RegistrationOptions(track=True),
            authenticator=RejectingAuthenticator(),  # type: ignore[arg-type]
            queue=queue,
            devices=devices,
        )
    with pytest.raises(InvalidRequestError):
        device_registration.register_now(ORG, item(), authenticator=RejectingAuthenticator(), devices=devices)  # type: ignore[arg-type]

    assert [p.field for p in caught.value.problems] == ["[0].ApiToken"]
    assert queue.sent == []
    assert devices.items_written == 0


def test_the_api_token_travels_in_the_job_only_with_a_webhook() -> None:
    class Accepting:
        def authenticate(self, org_id: str, app_id: str, api_token: str) -> MobileApp:
            return mobile_app()

    queue = RecordingQueue()
    for options in (
        device_registration.RegistrationOptions(track=True),
        device_registration.RegistrationOptions(callback_url="https://h.example.com/"),
    ):
        device_registration.accept_registrations(
            ORG,
            [item()],
            options=options,
            authenticator=Accepting(),  # type: ignore[arg-type]
            queue=queue,
            devices=FakeDevices(),
        )

    assert [j.api_token for j in queue.sent] == [None, "pgat_x"]


# ------------------------------------------------------------------ repeats (apps register at every launch)


class AcceptingAuthenticator:
    def authenticate(self, org_id: str, app_id: str, api_token: str) -> MobileApp:
        return mobile_app()


def stored(devices: FakeDevices, *, at: datetime, status: DeviceStatus = DeviceStatus.ACTIVE) -> Device:
    device = Device(
        org_id=ORG,
        app_id=APP,
        user_id="alice",
        platform=DevicePlatform.IOS,
        token=TOKEN,
        token_sha256=device_registration.token_sha256(TOKEN),
        app_mode=AppMode.SANDBOX,
        status=status,
        registered_at=at,
        last_registered_at=at,
        status_changed_at=at,
    )
    devices.devices[(APP, "alice", "ios", device.token_sha256)] = device
    devices.owners[("ios", device.token_sha256)] = "alice"
    return device


@pytest.mark.parametrize(
    ("age", "status", "app_mode", "fresh"),
    [
        (timedelta(0), DeviceStatus.ACTIVE, AppMode.SANDBOX, True),
        (timedelta(hours=23, minutes=59), DeviceStatus.ACTIVE, AppMode.SANDBOX, True),
        (timedelta(hours=24), DeviceStatus.ACTIVE, AppMode.SANDBOX, False),
        (timedelta(hours=1), DeviceStatus.INVALID, AppMode.SANDBOX, False),
        (timedelta(hours=1), DeviceStatus.STALE, AppMode.SANDBOX, False),
        (timedelta(hours=1), DeviceStatus.ACTIVE, AppMode.PRODUCTION, False),
        (-timedelta(minutes=1), DeviceStatus.ACTIVE, AppMode.SANDBOX, False),
    ],
)
def test_a_repeat_is_fresh_only_while_active_within_a_day_in_the_same_environment(
    age: timedelta, status: DeviceStatus, app_mode: AppMode, fresh: bool
) -> None:
    device = stored(FakeDevices(), at=NOW - age, status=status)

    assert is_fresh_registration(device, app_mode=app_mode, now=NOW) is fresh
    assert is_fresh_registration(None, app_mode=app_mode, now=NOW) is False


def test_a_v1_repeat_within_a_day_writes_nothing_and_a_day_later_refreshes_once() -> None:
    devices = FakeDevices()
    stored(devices, at=NOW)

    def register(at: datetime) -> RegistrationOutcome:
        return device_registration.register_now(
            ORG,
            item(),
            authenticator=AcceptingAuthenticator(),
            devices=devices,
            now=lambda: at,  # type: ignore[arg-type]
        )

    assert register(NOW + timedelta(hours=23)).reason is FailureReason.DUPLICATE_EXISTS
    assert devices.items_written == 0
    assert register(NOW + timedelta(hours=25)).reason is FailureReason.DUPLICATE_EXISTS
    assert devices.items_written == 1
    assert register(NOW + timedelta(hours=26)).reason is FailureReason.DUPLICATE_EXISTS
    assert devices.items_written == 1


def test_a_fresh_v2_repeat_is_enqueued_only_when_someone_waits_for_its_outcome() -> None:
    devices, queue = FakeDevices(), RecordingQueue()
    stored(devices, at=NOW - timedelta(hours=3))
    options = [
        device_registration.RegistrationOptions(),
        device_registration.RegistrationOptions(track=True),
        device_registration.RegistrationOptions(callback_url="https://h.example.com/"),
    ]
    answers = [
        device_registration.accept_registrations(
            ORG,
            [item()],
            options=option,
            authenticator=AcceptingAuthenticator(),  # type: ignore[arg-type]
            queue=queue,
            devices=devices,
            now=lambda: NOW,
        )
        for option in options
    ]

    assert all(len(ids) == 1 for ids in answers)
    assert [(j.request_id, j.fresh_repeat) for j in queue.sent] == [(answers[1][0], True), (answers[2][0], True)]
    assert devices.items_written == 0


def test_a_batch_enqueues_what_is_not_a_fresh_repeat() -> None:
    devices, queue = FakeDevices(), RecordingQueue()
    stored(devices, at=NOW - timedelta(hours=3))
    other_user = device_registration.RegistrationItem(
        "[1].", APP, "bob", "pgat_x", DevicePlatform.IOS, TOKEN, "ApnsDeviceToken"
    )

    ids = device_registration.accept_registrations(
        ORG,
        [item("[0]."), other_user],
        options=device_registration.RegistrationOptions(),
        authenticator=AcceptingAuthenticator(),  # type: ignore[arg-type]
        queue=queue,
        devices=devices,
        now=lambda: NOW,
    )

    assert [(j.request_id, j.user_id, j.fresh_repeat) for j in queue.sent] == [(ids[1], "bob", False)]


def test_the_worker_reports_a_fresh_repeat_without_reading_or_writing() -> None:
    worker, devices, statuses, webhooks = verifier()
    worker._apps = FakeApps(None)  # type: ignore[assignment] - not even the app is read
    url = "https://hooks.example.com/cb"

    outcome = worker.run(job(fresh_repeat=True, callback_url=url, api_token="pgat_secret"))

    assert (outcome.state, outcome.reason) == (RegistrationState.FAILED, FailureReason.DUPLICATE_EXISTS)
    assert devices.items_written == 0
    assert statuses.stored[job().request_id].outcome.reason is FailureReason.DUPLICATE_EXISTS
    assert webhooks.calls[0][2]["FailureReason"] == "DuplicateExists"


def test_the_worker_leaves_a_device_stored_moments_ago_alone_and_refreshes_a_day_old_one() -> None:
    worker, devices, _, _ = verifier()
    stored(devices, at=NOW - timedelta(minutes=1))
    assert worker.run(job()).reason is FailureReason.DUPLICATE_EXISTS
    assert devices.items_written == 0

    stored(devices, at=NOW - timedelta(days=2))
    assert worker.run(job()).reason is FailureReason.DUPLICATE_EXISTS
    assert devices.items_written == 1


# ------------------------------------------------------------------ webhook rules


def test_signature_is_base64_hmac_sha256_of_the_url_keyed_with_the_api_token() -> None:
    url, token = "https://contoso.example/cb?x=1", "pgat_abc"
    expected = base64.b64encode(hmac.new(token.encode(), url.encode(), hashlib.sha256).digest()).decode()
    assert signature(url, token) == expected


def test_webhook_body_names_a_failure_reason_only_on_failure() -> None:
    failed = webhook_body(RegistrationOutcome.failed(FailureReason.DUPLICATE_EXISTS), "https://a/", "k")
    assert failed["FailureReason"] == "DuplicateExists"
    assert "FailureReason" not in webhook_body(RegistrationOutcome.success(), "https://a/", "k")


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("169.254.169.254", False),
        ("fd00:ec2::254", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address under test, not a bind
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("224.0.0.1", False),
    ],
)
def test_only_public_addresses_are_called(address: str, allowed: bool) -> None:
    assert (address_refusal(address, allow_loopback=False) is None) is allowed


def test_loopback_is_allowed_only_with_the_local_flag_and_http_only_to_loopback() -> None:
    def loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    with pytest.raises(WebhookRefusedError, match="loopback"):
        check_target("https://localhost:8443/cb", allow_loopback=False, resolve=loopback)
    with pytest.raises(WebhookRefusedError, match="https"):
        check_target("http://127.0.0.1:8080/cb", allow_loopback=False, resolve=loopback)
    with pytest.raises(WebhookRefusedError, match="https"):
        check_target("http://example.com/cb", allow_loopback=True, resolve=public)
    target = check_target("http://localhost:8080/cb?a=1", allow_loopback=True, resolve=loopback)
    assert (target.connect_url, target.host_header) == ("http://127.0.0.1:8080/cb?a=1", "localhost:8080")


def test_a_name_resolving_inside_the_network_is_refused_even_if_it_also_resolves_outside() -> None:
    def rebinding(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "169.254.169.254"]

    with pytest.raises(WebhookRefusedError, match=r"169\.254\.169\.254"):
        check_target("https://evil.example/cb", allow_loopback=False, resolve=rebinding)


def test_the_checked_address_is_the_one_connected_to() -> None:
    target = check_target("https://hooks.example.com/cb", allow_loopback=False, resolve=lambda h, p: ["93.184.216.34"])
    assert (target.connect_url, target.host_header) == ("https://93.184.216.34:443/cb", "hooks.example.com")


# ------------------------------------------------------------------ keys


def test_device_keys_put_every_device_of_a_user_in_one_partition() -> None:
    sha = hashlib.sha256(TOKEN.encode()).hexdigest()
    assert keys.device_key(ORG, APP, "alice", "ios", sha).as_dict() == {
        "pk": f"DEVICES#{ORG}#{APP}#alice",
        "sk": f"ios#{sha}",
    }
    assert keys.device_token_owner_key(ORG, APP, "android", sha).as_dict() == {
        "pk": f"DEVTOKEN#{ORG}#{APP}#android#{sha}",
        "sk": "DEVTOKEN",
    }
    assert keys.registration_status_key(ORG, APP, "r1").pk == f"REGREQ#{ORG}#{APP}#r1"
    with pytest.raises(ValueError, match="invalid key component"):
        keys.device_partition(ORG, APP, "a#b")


def test_status_retention_is_seven_days() -> None:
    assert timedelta(days=7) == REGISTRATION_STATUS_RETENTION
