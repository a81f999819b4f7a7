"""The token lifecycle against DynamoDB Local, with a clock the tests control.

Registration, provider verdicts and the cleanup all write device items through their real
adapters; the cleanup reads due devices from GSI1 only.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from pushgate import deps
from pushgate.adapters.dynamodb.device_verdicts import DynamoDeviceVerdicts
from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.keys import DEVICE_STATE_SHARDS, device_state_partition
from pushgate.adapters.dynamodb.token_cleanup import DynamoTokenCleanupStore
from pushgate.adapters.dynamodb.token_policies import DynamoTokenPolicyRepository
from pushgate.models.device import Device, DevicePlatform, DeviceRef, DeviceStatus
from pushgate.models.token_lifecycle import CleanupAction, TokenPolicy
from pushgate.services.devices.device_registration import store_device
from pushgate.services.token_cleanup.ports import DueQuery
from pushgate.services.token_cleanup.token_cleanup import TokenCleanup
from pushgate_local.provision import ProvisionedResources
from tests.unit.test_device_registration import APP, ORG, mobile_app

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LOTS_OF_TIME: Callable[[], int] = lambda: 600_000  # noqa: E731 - a clock stand-in


class Clock:
    """A settable clock."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token(n: int) -> str:
    return f"{n:064x}"


@pytest.fixture
def devices(aws_env: ProvisionedResources) -> DynamoDeviceRepository:
    return DynamoDeviceRepository(deps.main_table())


@pytest.fixture
def verdicts(aws_env: ProvisionedResources) -> DynamoDeviceVerdicts:
    return DynamoDeviceVerdicts(deps.main_table())


def cleanup(clock: Clock, *, page_size: int = 100) -> TokenCleanup:
    return TokenCleanup(
        store=DynamoTokenCleanupStore(deps.main_table()),
        policies=DynamoTokenPolicyRepository(deps.main_table()),
        now=clock,
        page_size=page_size,
    )


def register(devices: DynamoDeviceRepository, n: int, at: datetime, user: str = "user-1") -> bool:
    existing = devices.get(ORG, APP, user, DevicePlatform.IOS, sha(token(n)))
    return store_device(
        devices,
        mobile_app(),
        user_id=user,
        platform=DevicePlatform.IOS,
        token=token(n),
        request_id=f"req-{n}-{at.timestamp()}",
        now=at,
        existing=existing,
    )


def invalidate(verdicts: DynamoDeviceVerdicts, n: int, at: datetime, user: str = "user-1") -> bool:
    return verdicts.mark_invalid(
        DeviceRef(ORG, APP, user, DevicePlatform.IOS, sha(token(n))),
        reason="Unregistered",
        invalid_since=at - timedelta(minutes=1),
        send_id="send-1",
        at=at,
    )


def device(devices: DynamoDeviceRepository, n: int, user: str = "user-1") -> Device | None:
    return devices.get(ORG, APP, user, DevicePlatform.IOS, sha(token(n)))


def index_entries(n: int) -> list[dict[str, Any]]:
    """Every GSI1 entry naming the token, across every status and shard."""
    client = boto3.client("dynamodb")
    table = deps.main_table().table_name
    found = []
    for status in DeviceStatus:
        for shard in range(DEVICE_STATE_SHARDS):
            found += client.query(
                TableName=table,
                IndexName="GSI1",
                KeyConditionExpression="gsi1pk = :p",
                FilterExpression="token_sha256 = :s",
                ExpressionAttributeValues={
                    ":p": {"S": device_state_partition(status.value, shard)},
                    ":s": {"S": sha(token(n))},
                },
            )["Items"]
    return found


def test_a_token_invalidated_then_registered_again_is_not_purged(
    devices: DynamoDeviceRepository, verdicts: DynamoDeviceVerdicts
) -> None:
    register(devices, 1, T0)
    assert invalidate(verdicts, 1, T0 + timedelta(days=1))
    assert register(devices, 1, T0 + timedelta(days=2)) is True

    report = cleanup(Clock(T0 + timedelta(days=30))).run(remaining_ms=LOTS_OF_TIME, owner="run-1")

    found = device(devices, 1)
    assert found is not None and found.status is DeviceStatus.ACTIVE
    assert report.purged == 0 and report.complete
    assert [(t.from_status, t.to_status, t.reason) for t in found.history] == [
        (None, DeviceStatus.ACTIVE, "Registered"),
        (DeviceStatus.ACTIVE, DeviceStatus.INVALID, "ProviderVerdict"),
        (DeviceStatus.INVALID, DeviceStatus.ACTIVE, "RegisteredAgain"),
    ]
    assert found.history[1].code == "Unregistered" and found.history[1].send_id == "send-1"
    assert [e["gsi1pk"]["S"].split("#")[1] for e in index_entries(1)] == ["Active"]


def test_a_registration_racing_the_purge_wins(devices: DynamoDeviceRepository, verdicts: DynamoDeviceVerdicts) -> None:
    register(devices, 2, T0)
    invalidate(verdicts, 2, T0 + timedelta(days=1))
    store = DynamoTokenCleanupStore(deps.main_table())
    as_of = T0 + timedelta(days=9)
    due = [
        d
        for s in range(DEVICE_STATE_SHARDS)
        for d in store.due_page(DueQuery(DeviceStatus.INVALID, s, as_of), start_key=None, limit=10)[0]
    ]
    assert len(due) == 1

    register(devices, 2, T0 + timedelta(days=8))  # between the cleanup's read and its write

    assert store.purge(due[0]) is False
    found = device(devices, 2)
    assert found is not None and found.status is DeviceStatus.ACTIVE
    assert devices.owner_of(ORG, APP, DevicePlatform.IOS, sha(token(2))) == "user-1"


def test_a_stale_token_becomes_stale_exactly_after_the_window(devices: DynamoDeviceRepository) -> None:
    register(devices, 3, T0)
    window_ends = T0 + timedelta(days=270)

    early = cleanup(Clock(window_ends - timedelta(microseconds=1))).run(remaining_ms=LOTS_OF_TIME, owner="a")
    stored = device(devices, 3)
    assert early.marked_stale == 0 and stored is not None and stored.status is DeviceStatus.ACTIVE

    on_time = cleanup(Clock(window_ends)).run(remaining_ms=LOTS_OF_TIME, owner="b")
    stale = device(devices, 3)
    assert on_time.marked_stale == 1
    assert stale is not None and stale.status is DeviceStatus.STALE and stale.status_changed_at == window_ends
    assert [(c.action, c.reason, c.count) for c in on_time.changes] == [
        (CleanupAction.MARK_STALE, "NotRegisteredWithinWindow", 1)
    ]
    assert [e["gsi1pk"]["S"].split("#")[1] for e in index_entries(3)] == ["Stale"]


def test_an_apps_own_window_and_a_refresh_move_the_due_time(devices: DynamoDeviceRepository) -> None:
    DynamoTokenPolicyRepository(deps.main_table()).put(ORG, APP, TokenPolicy(stale_after_days=30))
    fresh = DynamoDeviceRepository(deps.main_table())  # its policy cache starts empty
    register(fresh, 4, T0)
    assert register(fresh, 4, T0 + timedelta(days=20)) is False  # a refresh of an Active device

    report = cleanup(Clock(T0 + timedelta(days=40))).run(remaining_ms=LOTS_OF_TIME, owner="a")
    assert report.marked_stale == 0
    report = cleanup(Clock(T0 + timedelta(days=50))).run(remaining_ms=LOTS_OF_TIME, owner="b")
    assert report.marked_stale == 1


def test_purged_tokens_are_gone_from_every_index(
    devices: DynamoDeviceRepository, verdicts: DynamoDeviceVerdicts
) -> None:
    register(devices, 5, T0)
    register(devices, 6, T0)
    invalidate(verdicts, 5, T0 + timedelta(days=1))

    not_yet = cleanup(Clock(T0 + timedelta(days=8) - timedelta(seconds=1))).run(remaining_ms=LOTS_OF_TIME, owner="a")
    purged = cleanup(Clock(T0 + timedelta(days=8))).run(remaining_ms=LOTS_OF_TIME, owner="b")

    assert not_yet.purged == 0 and purged.purged == 1
    assert [(c.action, c.reason) for c in purged.changes] == [(CleanupAction.PURGE, "Unregistered")]
    assert device(devices, 5) is None
    assert devices.owner_of(ORG, APP, DevicePlatform.IOS, sha(token(5))) is None
    assert index_entries(5) == []
    assert [d.token for d in devices.list_for_user(ORG, APP, "user-1")] == [token(6)]


def test_stale_tokens_are_purged_after_their_grace(devices: DynamoDeviceRepository) -> None:
    register(devices, 7, T0)
    cleanup(Clock(T0 + timedelta(days=270))).run(remaining_ms=LOTS_OF_TIME, owner="a")

    report = cleanup(Clock(T0 + timedelta(days=300))).run(remaining_ms=LOTS_OF_TIME, owner="b")

    assert report.purged == 1 and device(devices, 7) is None and index_entries(7) == []


def seed_invalid(devices: DynamoDeviceRepository, verdicts: DynamoDeviceVerdicts, count: int) -> None:
    for n in range(100, 100 + count):
        register(devices, n, T0, user=f"user-{n % 7}")
        invalidate(verdicts, n, T0 + timedelta(days=1), user=f"user-{n % 7}")


def test_two_concurrent_runs_do_not_double_count(
    devices: DynamoDeviceRepository, verdicts: DynamoDeviceVerdicts
) -> None:
    seed_invalid(devices, verdicts, 40)
    clock = Clock(T0 + timedelta(days=10))
    start = threading.Barrier(2)
    reports = []

    def one_run(owner: str) -> None:
        start.wait()
        reports.append(cleanup(clock, page_size=5).run(remaining_ms=LOTS_OF_TIME, owner=owner))

    threads = [threading.Thread(target=one_run, args=(f"run-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.purged for r in reports) == 40
    assert sorted(r.skipped_reason or "" for r in reports) == ["", "another run holds the lease"]


def test_the_conditional_writes_alone_keep_two_purgers_from_double_counting(
    devices: DynamoDeviceRepository, verdicts: DynamoDeviceVerdicts
) -> None:
    seed_invalid(devices, verdicts, 20)
    store = DynamoTokenCleanupStore(deps.main_table())
    as_of = T0 + timedelta(days=10)
    due = [
        d
        for s in range(DEVICE_STATE_SHARDS)
        for d in store.due_page(DueQuery(DeviceStatus.INVALID, s, as_of), start_key=None, limit=100)[0]
    ]
    results: list[bool] = []
    start = threading.Barrier(2)

    def purge_all() -> None:
        start.wait()
        results.extend(store.purge(d) for d in due)

    threads = [threading.Thread(target=purge_all) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(due) == 20 and results.count(True) == 20 and results.count(False) == 20


def test_a_run_interrupted_at_its_time_limit_resumes_and_finishes(
    devices: DynamoDeviceRepository, verdicts: DynamoDeviceVerdicts
) -> None:
    seed_invalid(devices, verdicts, 25)
    clock = Clock(T0 + timedelta(days=10))
    checks = {"left": 12}

    def running_out() -> int:
        checks["left"] -= 1
        return 600_000 if checks["left"] > 0 else 5_000  # below the 10 s safety margin

    first = cleanup(clock, page_size=4).run(remaining_ms=running_out, owner="first")
    clock.at += timedelta(hours=1)
    second = cleanup(clock, page_size=4).run(remaining_ms=LOTS_OF_TIME, owner="second", resume_only=True)
    third = cleanup(clock, page_size=4).run(remaining_ms=LOTS_OF_TIME, owner="third", resume_only=True)

    assert not first.complete and 0 < first.purged < 25
    assert second.complete and second.resumed and second.run_id == first.run_id
    assert second.as_of == first.as_of
    assert first.purged + second.purged == 25
    assert [(c.action, c.count) for c in second.changes] == [(CleanupAction.PURGE, 25)]
    assert third.skipped_reason == "no unfinished run to resume" and third.purged == 0


def test_a_dry_run_reports_per_app_and_reason_and_changes_nothing(
    devices: DynamoDeviceRepository, verdicts: DynamoDeviceVerdicts
) -> None:
    seed_invalid(devices, verdicts, 3)
    register(devices, 9, T0)
    clock = Clock(T0 + timedelta(days=280))

    preview = cleanup(clock).preview(remaining_ms=LOTS_OF_TIME, org_id=ORG)
    other_org = cleanup(clock).preview(remaining_ms=LOTS_OF_TIME, org_id="8c0e0d43-4f0e-4b59-8d1b-0a6f3f7f9a01")

    assert preview.dry_run and preview.complete
    assert [(c.app_id, c.action, c.reason, c.count) for c in preview.changes] == [
        (APP, CleanupAction.MARK_STALE, "NotRegisteredWithinWindow", 1),
        (APP, CleanupAction.PURGE, "Unregistered", 3),
    ]
    assert other_org.changes == []
    stored = [d for u in range(7) for d in devices.list_for_user(ORG, APP, f"user-{u}")]
    assert sorted(d.status.value for d in stored) == ["Active", "Invalid", "Invalid", "Invalid"]
