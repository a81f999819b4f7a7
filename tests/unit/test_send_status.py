"""The status a send answers with (``GET .../sends/{id}``) from its record's counters."""

from __future__ import annotations

from datetime import UTC, datetime

from pushgate.api.schemas.sends import SendResponse
from pushgate.models.send import Audience, SendRecord

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
HOUR = "2026-12-06T23:00:00Z"


def _broadcast(**counters: object) -> SendRecord:
    fields: dict[str, object] = {
        "org_id": "org",
        "send_id": "send",
        "app_id": "app",
        "message_id": "message",
        "message_version": 1,
        "created_at": NOW,
        "recipients_accepted": 0,
        "recipients_rejected": 0,
        "devices_targeted": 0,
        "recipient_outcomes": 0,
        "jobs_total": 0,
        "audience": Audience.ALL_ACTIVE_DEVICES,
    }
    return SendRecord.model_validate(fields | counters)


def test_a_broadcast_with_shards_still_unread_is_in_progress_though_what_it_read_is_all_held_or_done() -> None:
    # One shard read: a device sent, one refused, one held for the morning; another shard unread.
    send = _broadcast(
        devices_targeted=2,
        recipient_outcomes=1,
        sent=1,
        not_sent=1,
        scheduled={HOUR: 1},
        audience_shards_pending=1,
    )
    assert SendResponse.from_send(send).Status == "InProgress"


def test_a_broadcast_read_to_the_end_with_only_held_devices_left_is_scheduled() -> None:
    send = _broadcast(
        devices_targeted=2, recipient_outcomes=1, sent=1, not_sent=1, scheduled={HOUR: 1}, audience_shards_pending=0
    )
    assert SendResponse.from_send(send).Status == "Scheduled"
