"""The stored form of a job's outcomes reads back exactly, reads the earlier forms, and is smaller."""

from __future__ import annotations

import hashlib
import uuid
import zlib
from datetime import UTC, datetime, timedelta, timezone

from pydantic import TypeAdapter

from pushgate.adapters.dynamodb.ledger_codec import decode_entries, encode_entries
from pushgate.models.device import DevicePlatform
from pushgate.models.payloads import apns_id_for
from pushgate.models.send import LedgerEntry, Outcome, new_tracking_id, new_tracking_key
from tests import ledger_forms

AT = datetime(2026, 12, 6, 19, 0, 0, 123456, tzinfo=UTC)
SEND = "0f5c7e2a-6d1b-4c3e-9a8f-7b6c5d4e3f2a"
_ENTRIES = TypeAdapter(list[LedgerEntry])


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _apns_entry(index: int, tracking_key: str) -> LedgerEntry:
    """A delivered APNs notification as delivery records it: the apns-id is the one it sent, the
    instant the one of the job's run."""
    token = _sha256(f"device-{index}")  # an APNs token: 64 hex digits
    return LedgerEntry(
        user_id=str(uuid.uuid4()),
        outcome=Outcome.SENT,
        platform=DevicePlatform.IOS,
        token_sha256=_sha256(token),
        tracking_id=new_tracking_id(tracking_key),
        verdict="delivered",
        provider_message_id=apns_id_for(SEND, token),
        at=AT,
        attempts=1,
        profile_type="contact",
    )


def _apns_job(count: int) -> list[LedgerEntry]:
    key = new_tracking_key()
    return [_apns_entry(index, key) for index in range(count)]


def _fcm_entry(index: int, tracking_key: str) -> LedgerEntry:
    return LedgerEntry(
        user_id=str(uuid.uuid4()),
        outcome=Outcome.SENT,
        platform=DevicePlatform.ANDROID,
        token_sha256=_sha256(f"fcm-{index}"),
        tracking_id=new_tracking_id(tracking_key),
        verdict="delivered",
        provider_message_id=f"projects/contoso/messages/0:17650476{index:08d}%31bd1c9631bd1c96",
        at=AT + timedelta(milliseconds=5 * index),
        attempts=1,
        profile_type="contact",
    )


def _round_trips(entries: list[LedgerEntry]) -> None:
    decoded = decode_entries(encode_entries(entries, SEND), SEND)
    assert decoded == entries
    assert [e.model_dump(mode="json") for e in decoded] == [e.model_dump(mode="json") for e in entries]


def test_every_kind_of_entry_reads_back_as_it_was_written() -> None:
    sent = _apns_job(3)
    key = new_tracking_key()
    mixed = [
        *sent,
        _fcm_entry(1, key).model_copy(update={"attempts": 2, "link": "https://contoso.com/orders/SO-1"}),
        # A token hash that is not one, and an apns-id that is not the derived one: both kept as they are.
        _apns_entry(7, key).model_copy(update={"token_sha256": "not-a-hash"}),
        _apns_entry(8, key).model_copy(update={"provider_message_id": str(uuid.uuid4())}),
        LedgerEntry(user_id="bo", outcome=Outcome.NOT_SENT, reason="NoValidDevice", at=AT + timedelta(seconds=1)),
        LedgerEntry(
            user_id="cy",
            outcome=Outcome.NOT_SENT,
            reason="Unregistered",
            platform=DevicePlatform.IOS,
            token_sha256=_sha256("cy"),
            verdict="token_invalid",
            at=AT - timedelta(days=1),
            untracked_link="https://contoso.com",
        ),
    ]
    for entries in (mixed, sent, sent[:1], []):
        _round_trips(entries)


def test_a_job_of_apns_and_fcm_devices_reads_back_with_each_provider_id() -> None:
    key = new_tracking_key()
    entries = [_apns_entry(index, key) if index % 3 else _fcm_entry(index, key) for index in range(60)]
    # A device APNs refused carries no provider id; a retry of the job re-sends the same apns-id.
    entries[4] = entries[4].model_copy(
        update={"outcome": Outcome.NOT_SENT, "reason": "BadDeviceToken", "verdict": "token_invalid"}
    )
    entries[4] = entries[4].model_copy(update={"provider_message_id": None})
    entries[5] = entries[5].model_copy(update={"attempts": 3})
    _round_trips(entries)


def test_an_apns_id_that_derives_from_the_send_and_the_token_hash_is_not_stored() -> None:
    entries = _apns_job(40)
    stored = encode_entries(entries, SEND)
    body = zlib.decompress(stored[1:])
    for entry in entries:
        assert entry.provider_message_id is not None
        assert uuid.UUID(entry.provider_message_id).bytes not in body
        assert entry.provider_message_id.encode() not in body
    assert decode_entries(stored, SEND) == entries


def test_a_packed_column_whose_values_share_their_first_half_stores_it_once() -> None:
    key = new_tracking_key()
    entries = [_apns_entry(index, key) for index in range(40)]
    body = zlib.decompress(encode_entries(entries, SEND)[1:])
    assert body.count(bytes.fromhex(key)) + body.count(key.encode()) == 1
    for entry in entries:
        assert entry.tracking_id is not None
        assert uuid.UUID(entry.tracking_id).bytes[8:] in body
    # Values that differ in their first half are packed whole.
    other = [*entries[:20], *(_apns_entry(index, new_tracking_key()) for index in range(20, 40))]
    _round_trips(other)


def test_an_instant_with_another_offset_keeps_its_offset() -> None:
    entries = [
        LedgerEntry(user_id="ana", outcome=Outcome.SENT, at=AT.astimezone(timezone(timedelta(hours=2)))),
        LedgerEntry(user_id="bo", outcome=Outcome.SENT, at=AT),
    ]
    decoded = decode_entries(encode_entries(entries, SEND), SEND)
    assert [e.at.isoformat() for e in decoded] == [e.at.isoformat() for e in entries]


def test_outcomes_stored_in_the_forms_before_are_still_read() -> None:
    entries = ledger_forms.earlier_entries()
    # The send id plays no part in those forms: their apns-ids are stored whole, whatever the send.
    for stored in (ledger_forms.compressed_json_form(), ledger_forms.FIRST_COLUMNAR_FORM):
        for send_id in (ledger_forms.SEND, SEND):
            decoded = decode_entries(stored, send_id)
            assert [e.model_dump(mode="json") for e in decoded] == [e.model_dump(mode="json") for e in entries]
    # The first APNs entry's apns-id is the one derived before from the raw token, not today's.
    assert entries[0].provider_message_id != apns_id_for(ledger_forms.SEND, ledger_forms.TOKEN)
    _round_trips(entries)


def test_a_full_apns_job_stores_little_more_than_its_user_ids_token_hashes_and_tracking_halves() -> None:
    entries = _apns_job(500)
    earlier = len(zlib.compress(_ENTRIES.dump_json(entries, exclude_none=True), 6)) / len(entries)
    now = len(encode_entries(entries, SEND)) / len(entries)
    # What stays is random: the user id (16 bytes), the token hash (32) and the tracking id's second half (8).
    assert now <= 58
    assert earlier >= 100
