"""The stored form of a job's outcomes reads back exactly, reads the earlier form, and is smaller."""

from __future__ import annotations

import hashlib
import uuid
import zlib
from datetime import UTC, datetime, timedelta, timezone

from pydantic import TypeAdapter

from pushgate.adapters.dynamodb.ledger_codec import decode_entries, encode_entries
from pushgate.models.device import DevicePlatform
from pushgate.models.send import LedgerEntry, Outcome, new_tracking_id, new_tracking_key

AT = datetime(2026, 12, 6, 19, 0, 0, 123456, tzinfo=UTC)
_ENTRIES = TypeAdapter(list[LedgerEntry])


def _job(count: int) -> list[LedgerEntry]:
    key = new_tracking_key()
    return [
        LedgerEntry(
            user_id=f"person-{index:06d}",
            outcome=Outcome.SENT,
            platform=DevicePlatform.IOS,
            token_sha256=hashlib.sha256(f"token-{index}".encode()).hexdigest(),
            tracking_id=new_tracking_id(key),
            verdict="delivered",
            provider_message_id=str(uuid.uuid4()),
            at=AT + timedelta(milliseconds=3 * index),
            attempts=1,
            profile_type="contact",
        )
        for index in range(count)
    ]


def test_every_kind_of_entry_reads_back_as_it_was_written() -> None:
    sent = _job(3)
    mixed = [
        *sent,
        LedgerEntry(
            user_id="ana",
            outcome=Outcome.SENT,
            platform=DevicePlatform.ANDROID,
            token_sha256="not-a-hash",
            tracking_id=new_tracking_id(new_tracking_key()),
            verdict="delivered",
            provider_message_id="projects/contoso/messages/0:1765047600123456%31bd1c9631bd1c96",
            at=AT,
            attempts=2,
            link="https://contoso.com/orders/SO-1",
        ),
        LedgerEntry(user_id="bo", outcome=Outcome.NOT_SENT, reason="NoValidDevice", at=AT + timedelta(seconds=1)),
        LedgerEntry(
            user_id="cy",
            outcome=Outcome.NOT_SENT,
            reason="Unregistered",
            platform=DevicePlatform.IOS,
            token_sha256=hashlib.sha256(b"cy").hexdigest(),
            verdict="token_invalid",
            at=AT - timedelta(days=1),
            untracked_link="https://contoso.com",
        ),
    ]
    for entries in (mixed, sent, sent[:1], []):
        decoded = decode_entries(encode_entries(entries))
        assert decoded == entries
        assert [e.model_dump(mode="json") for e in decoded] == [e.model_dump(mode="json") for e in entries]


def test_an_instant_with_another_offset_keeps_its_offset() -> None:
    entries = [
        LedgerEntry(user_id="ana", outcome=Outcome.SENT, at=AT.astimezone(timezone(timedelta(hours=2)))),
        LedgerEntry(user_id="bo", outcome=Outcome.SENT, at=AT),
    ]
    decoded = decode_entries(encode_entries(entries))
    assert [e.at.isoformat() for e in decoded] == [e.at.isoformat() for e in entries]


def test_outcomes_stored_in_the_earlier_form_are_still_read() -> None:
    entries = _job(5)
    earlier = zlib.compress(_ENTRIES.dump_json(entries, exclude_none=True), 6)
    assert decode_entries(earlier) == entries


def test_a_full_job_costs_about_a_quarter_less_than_compressed_json() -> None:
    entries = _job(500)
    earlier = len(zlib.compress(_ENTRIES.dump_json(entries, exclude_none=True), 6)) / len(entries)
    now = len(encode_entries(entries)) / len(entries)
    # The token hash (32 bytes), the tracking id's random half (8) and the apns-id (16) do not compress.
    assert now <= 70
    assert earlier >= 80
