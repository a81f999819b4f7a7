"""The stored form of a delivery job's outcomes: column by column, the random ids as bytes, compressed.

A job's outcomes are one object (or, in a stack without a ledger bucket, one item) of up to a job's
devices, written once, so its size is most of what delivering a notification stores. Written as
JSON, ids cost two hex characters a byte and every entry repeats its field names; here the entries
are columns (``pushgate.models.columnar``: canonical UUIDs and SHA-256 hashes as raw bytes, the
tracking ids' shared first half once, a field with one value for every entry once), and ``at`` is
kept as microseconds after the job's first outcome. An ``apns-id`` that is the one derived from the
send id and the token hash (:func:`~pushgate.models.payloads.apns_id_from_sha256`, what the APNs
client sends) is marked, not stored, and derived again when read: only FCM message names and any
other value are kept.

What stays is random: the user id, the token hash and the tracking id's second half. The whole is
zlib-compressed. Items written before read as they are: the first columnar form (leading ``0x01``,
every id whole; its packed columns name no shared prefix) and zlib-compressed JSON (leading ``0x78``,
zlib's first byte).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import TypeAdapter

from pushgate.models.columnar import decode_columns, encode_columns
from pushgate.models.payloads import apns_id_from_sha256
from pushgate.models.send import LedgerEntry

_ENTRIES = TypeAdapter(list[LedgerEntry])
#: The first byte of the first columnar form (every id stored whole).
_COLUMNAR_WHOLE: Final = b"\x01"
#: The first byte of this form.
_COLUMNAR: Final = b"\x02"
#: In this form's ``provider_message_id`` column, the derived ``apns-id`` (provider ids are strings).
_DERIVED: Final = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _microseconds(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def _mark_derived(rows: Sequence[dict[str, Any]], send_id: str) -> None:
    """Replaces each ``apns-id`` that derives from the send and the row's token hash by the mark."""
    for row in rows:
        token_sha256, value = row.get("token_sha256"), row.get("provider_message_id")
        if token_sha256 is not None and value is not None and value == apns_id_from_sha256(send_id, token_sha256):
            row["provider_message_id"] = _DERIVED


def encode_entries(entries: Sequence[LedgerEntry], send_id: str) -> bytes:
    """The stored form of the ledger entries of one of the send's jobs (see the module)."""
    rows: list[dict[str, Any]] = _ENTRIES.dump_python(list(entries), mode="json", exclude_none=True)
    _mark_derived(rows, send_id)
    header: dict[str, Any] = {}
    # Only UTC instants become numbers, so every entry reads back exactly as it was written.
    if entries and all(entry.at.utcoffset() == timedelta(0) for entry in entries):
        stamps = [_microseconds(entry.at) for entry in entries]
        header["at"] = [stamps[0], *(stamp - stamps[0] for stamp in stamps[1:])]
        for row in rows:
            del row["at"]
    return _COLUMNAR + zlib.compress(encode_columns(rows, header), 9)


def decode_entries(value: Any, send_id: str) -> list[LedgerEntry]:
    """Reads the stored form of one of the send's jobs back (this form or one written before it)."""
    raw = bytes(value)
    if not raw.startswith((_COLUMNAR, _COLUMNAR_WHOLE)):
        return _ENTRIES.validate_json(zlib.decompress(raw))
    header, rows = decode_columns(zlib.decompress(raw[1:]))
    if "at" in header:
        first, *deltas = header["at"]
        for row, delta in zip(rows, [0, *deltas], strict=True):
            row["at"] = _EPOCH + timedelta(microseconds=first + delta)
    if raw.startswith(_COLUMNAR):
        for row in rows:
            if row.get("provider_message_id") == _DERIVED:
                row["provider_message_id"] = apns_id_from_sha256(send_id, row["token_sha256"])
    return _ENTRIES.validate_python(rows)
