"""Token lifecycle rules: due times, next steps, verdicts and transitions, the index time, bounded history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pushgate.adapters.dynamodb import keys
from pushgate.adapters.dynamodb.token_policies import CachedTokenPolicies, device_index_attributes
from pushgate.models.device import (
    DEVICE_HISTORY_LIMIT,
    Device,
    DevicePlatform,
    DeviceStatus,
    DeviceTransition,
    bounded_history,
)
from pushgate.models.token_lifecycle import (
    CleanupAction,
    CleanupReason,
    TokenPolicy,
    due_at,
    index_time,
    invalid_purge_at,
    invalidated_history,
    marked_stale,
    next_step,
    stale_at,
    verdict_applies,
)

T0 = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def device(status: DeviceStatus = DeviceStatus.ACTIVE, **changes: object) -> Device:
    values: dict[str, object] = {
        "org_id": "org",
        "app_id": "app",
        "user_id": "user",
        "platform": DevicePlatform.ANDROID,
        "token": "t",
        "token_sha256": "a7" + "0" * 62,
        "status": status,
        "registered_at": T0,
        "last_registered_at": T0,
        "status_changed_at": T0,
        **changes,
    }
    return Device.model_validate(values)


def test_index_time_is_fixed_width_utc_whatever_the_offset() -> None:
    plus_two = datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=2)))
    assert index_time(plus_two) == index_time(T0) == "2026-03-01T08:30:00.000000Z"


def test_an_active_device_is_due_stale_exactly_at_the_end_of_its_window() -> None:
    policy = TokenPolicy(stale_after_days=30)
    end = T0 + timedelta(days=30)
    assert due_at(device(), policy) == end
    assert next_step(device(), policy, end - timedelta(microseconds=1)) is None
    assert next_step(device(), policy, end) == (CleanupAction.MARK_STALE, "NotRegisteredWithinWindow")


def test_invalid_grace_counts_from_when_pushgate_marked_it_not_the_providers_timestamp() -> None:
    invalid = device(
        DeviceStatus.INVALID,
        status_changed_at=T0 + timedelta(days=100),
        invalid_since=T0 + timedelta(days=1),
        invalid_reason="BadDeviceToken",
    )
    assert next_step(invalid, TokenPolicy(), T0 + timedelta(days=106)) is None
    assert next_step(invalid, TokenPolicy(), T0 + timedelta(days=107)) == (CleanupAction.PURGE, "BadDeviceToken")


def test_a_device_registered_after_its_verdict_is_never_purged() -> None:
    racing = device(
        DeviceStatus.INVALID,
        last_registered_at=T0 + timedelta(days=2),
        invalid_since=T0 + timedelta(days=1),
        status_changed_at=T0 + timedelta(days=1),
    )
    assert next_step(racing, TokenPolicy(), T0 + timedelta(days=365)) is None


def test_stale_devices_are_purged_after_the_stale_grace() -> None:
    stale = device(DeviceStatus.STALE, status_changed_at=T0)
    assert next_step(stale, TokenPolicy(stale_grace_days=30), T0 + timedelta(days=30)) == (
        CleanupAction.PURGE,
        "StaleGraceElapsed",
    )
    with pytest.raises(ValueError, match="purged"):
        due_at(device(DeviceStatus.PURGED), TokenPolicy())


def test_index_attributes_name_status_shard_and_due_time() -> None:
    attributes = device_index_attributes(device(), TokenPolicy(stale_after_days=10))
    assert attributes == {
        "gsi1pk": f"DEVSTATE#Active#{0xA7 % keys.DEVICE_STATE_SHARDS:02d}",
        "gsi1sk": "2026-03-11T08:30:00.000000Z#android#a7" + "0" * 62,
        # The app's device index (broadcasts): shard from the first four hex digits of the hash.
        "gsi2pk": f"APPDEVICES#org#app#{0xA700 % keys.APP_DEVICE_SHARDS:02d}",
        "gsi2sk": "android#a7" + "0" * 62 + "#user",
    }


def test_app_device_shards_spread_tokens_over_every_partition() -> None:
    shards = {keys.app_device_shard(f"{n:04x}" + "0" * 60) for n in range(4096)}
    assert shards == set(range(keys.APP_DEVICE_SHARDS))
    with pytest.raises(ValueError, match="shard"):
        keys.app_device_partition("org", "app", keys.APP_DEVICE_SHARDS)


def test_shards_spread_tokens_over_every_partition() -> None:
    shards = {keys.device_state_shard(f"{n:02x}" + "0" * 62) for n in range(256)}
    assert shards == set(range(keys.DEVICE_STATE_SHARDS))
    with pytest.raises(ValueError, match="shard"):
        keys.device_state_partition("Active", keys.DEVICE_STATE_SHARDS)


def test_history_keeps_the_newest_transitions_only() -> None:
    history: tuple[DeviceTransition, ...] = ()
    for day in range(DEVICE_HISTORY_LIMIT + 5):
        entry = DeviceTransition(to_status=DeviceStatus.ACTIVE, at=T0 + timedelta(days=day), reason="Registered")
        history = bounded_history(history, entry)
    assert len(history) == DEVICE_HISTORY_LIMIT
    assert history[-1].at == T0 + timedelta(days=DEVICE_HISTORY_LIMIT + 4)


def test_policies_are_read_once_per_cache_period() -> None:
    class Counting:
        reads = 0

        def policy_for(self, org_id: str, app_id: str) -> TokenPolicy:
            Counting.reads += 1
            return TokenPolicy(stale_after_days=90)

    ticks = iter([0.0, 10.0, 400.0])
    cached = CachedTokenPolicies(Counting(), ttl_s=300, clock=lambda: next(ticks))
    assert [cached.policy_for("o", "a").stale_after_days for _ in range(3)] == [90, 90, 90]
    assert Counting.reads == 2


# ---------------------------------------------------------------- verdicts and transitions, no DynamoDB


def test_a_verdict_applies_only_to_an_active_device_not_registered_since() -> None:
    since = T0 + timedelta(hours=1)
    # Registered before the provider's timestamp: the token is dead
    assert verdict_applies("Active", T0.isoformat(), since)
    # Registered at or after it, in either UTC spelling: the token works
    assert not verdict_applies("Active", since.isoformat(), since)
    assert not verdict_applies("Active", "2026-03-01T09:30:00.5Z", since)
    # Not Active, gone, or an unreadable registration time: nothing to mark
    assert not verdict_applies("Stale", T0.isoformat(), since)
    assert not verdict_applies(None, T0.isoformat(), since)
    assert not verdict_applies("Active", "", since)


def test_an_invalidation_records_the_providers_evidence_in_the_bounded_history() -> None:
    # Given a device whose history is full
    full = [
        DeviceTransition(to_status=DeviceStatus.ACTIVE, at=T0 + timedelta(minutes=i), reason="RegisteredAgain")
        for i in range(DEVICE_HISTORY_LIMIT)
    ]
    at, since = T0 + timedelta(days=1), T0 + timedelta(hours=2)

    # When a verdict marks it Invalid
    history = invalidated_history(full, code="Unregistered", invalid_since=since, send_id="send-1", at=at)

    # Then the newest entry is the transition with its evidence, and the oldest one went
    assert len(history) == DEVICE_HISTORY_LIMIT
    assert history[0] == full[1]
    last = history[-1]
    assert (last.from_status, last.to_status, last.at) == (DeviceStatus.ACTIVE, DeviceStatus.INVALID, at)
    assert (last.reason, last.code, last.provider_timestamp, last.send_id) == (
        CleanupReason.PROVIDER_VERDICT.value,
        "Unregistered",
        since,
        "send-1",
    )


def test_marking_stale_changes_status_time_and_history_only() -> None:
    at = T0 + timedelta(days=270)
    before = device()

    stale = marked_stale(before, at)

    assert (stale.status, stale.status_changed_at, stale.last_registered_at) == (DeviceStatus.STALE, at, T0)
    assert stale.history[-1].reason == CleanupReason.NOT_REGISTERED_WITHIN_WINDOW.value
    assert (stale.history[-1].from_status, stale.history[-1].to_status) == (DeviceStatus.ACTIVE, DeviceStatus.STALE)
    assert before.status is DeviceStatus.ACTIVE


def test_due_times_follow_the_policy_windows() -> None:
    policy = TokenPolicy(stale_after_days=30, invalid_grace_days=3)
    assert stale_at(T0, policy) == T0 + timedelta(days=30) == due_at(device(), policy)
    assert invalid_purge_at(T0, policy) == T0 + timedelta(days=3) == due_at(device(DeviceStatus.INVALID), policy)
