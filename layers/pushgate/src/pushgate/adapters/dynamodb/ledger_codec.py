"""The stored form of a delivery job's outcomes: column by column, the random ids as bytes, compressed.

A job's outcomes are one item (``JOB#<id>#outcomes``) of up to a job's devices, written once, so its
size is most of what delivering a notification writes. Written as JSON, ids cost two hex characters
a byte and every entry repeats its field names; here each field is one column, a column of canonical
UUIDs or SHA-256 hashes is packed as raw bytes, a column with one value for every entry is stored
once, and ``at`` is kept as microseconds after the job's first outcome. Two ids need not be stored
whole:

- an ``apns-id`` that is the one derived from the send id and the token hash
  (:func:`~pushgate.models.payloads.apns_id_from_sha256`, what the APNs client sends) is marked,
  not stored, and derived again when read: only FCM message names and any other value are kept;
- a packed UUID column whose values all begin with the same 8 bytes (the tracking ids: their first
  half is the job's tracking key) stores those once and 8 bytes a row.

What stays is random: the user id, the token hash and the tracking id's second half. The whole is
zlib-compressed. Items written before read as they are: the first columnar form (leading ``0x01``,
every id whole; its packed columns name no shared prefix) and zlib-compressed JSON (leading ``0x78``,
zlib's first byte).
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import TypeAdapter

from pushgate.models.payloads import apns_id_from_sha256
from pushgate.models.send import LedgerEntry

_ENTRIES = TypeAdapter(list[LedgerEntry])
#: The first byte of the first columnar form (every id stored whole).
_COLUMNAR_WHOLE: Final = b"\x01"
#: The first byte of this form.
_COLUMNAR: Final = b"\x02"
#: In this form's ``provider_message_id`` column, the derived ``apns-id`` (provider ids are strings).
_DERIVED: Final = 1
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SIZES: Final = {"uuid": 16, "sha256": 32}
#: A packed UUID column's first bytes, stored once when every value shares them.
_SHARED_PREFIX: Final = 8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _pack_kind(values: Sequence[Any]) -> str | None:
    """How a column packs as bytes: ``uuid`` or ``sha256`` when every value is one, else ``None``."""
    if all(isinstance(value, str) and _UUID.fullmatch(value) for value in values):
        return "uuid"
    if all(isinstance(value, str) and _SHA256.fullmatch(value) for value in values):
        return "sha256"
    return None


def _pack(name: str, kind: str, values: Sequence[str]) -> tuple[list[str], bytes]:
    """A packed column's header entry (``[name, kind]``, plus the shared prefix) and its bytes."""
    raw = [bytes.fromhex(value.replace("-", "")) for value in values]
    prefix = raw[0][:_SHARED_PREFIX]
    if kind != "uuid" or any(not value.startswith(prefix) for value in raw):
        return [name, kind], b"".join(raw)
    return [name, kind, prefix.hex()], b"".join(value[_SHARED_PREFIX:] for value in raw)


def _unpack(kind: str, prefix: bytes, raw: bytes, count: int) -> list[str]:
    size = _SIZES[kind] - len(prefix)
    values = [(prefix + raw[index * size : (index + 1) * size]).hex() for index in range(count)]
    if kind == "uuid":
        values = [f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}" for v in values]
    return values


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
    count = len(rows)
    header: dict[str, Any] = {"n": count, "same": {}, "columns": {}, "packed": []}
    blocks: list[bytes] = []
    # Only UTC instants become numbers, so every entry reads back exactly as it was written.
    utc = count > 0 and all(entry.at.utcoffset() == timedelta(0) for entry in entries)
    if utc:
        stamps = [_microseconds(entry.at) for entry in entries]
        header["at"] = [stamps[0], *(stamp - stamps[0] for stamp in stamps[1:])]
    fields = sorted({name for row in rows for name in row} - ({"at"} if utc else set()))
    for name in fields:
        values = [row.get(name) for row in rows]
        if len({json.dumps(value) for value in values}) == 1:
            header["same"][name] = values[0]
            continue
        kind = _pack_kind(values)
        if kind is None:
            header["columns"][name] = values
        else:
            spec, block = _pack(name, kind, [str(value) for value in values])
            header["packed"].append(spec)
            blocks.append(block)
    text = json.dumps(header, separators=(",", ":")).encode()
    return _COLUMNAR + zlib.compress(struct.pack(">I", len(text)) + text + b"".join(blocks), 9)


def decode_entries(value: Any, send_id: str) -> list[LedgerEntry]:
    """Reads the stored form of one of the send's jobs back (this form or one written before it)."""
    raw = bytes(value)
    if not raw.startswith((_COLUMNAR, _COLUMNAR_WHOLE)):
        return _ENTRIES.validate_json(zlib.decompress(raw))
    body = zlib.decompress(raw[1:])
    (length,) = struct.unpack(">I", body[:4])
    header = json.loads(body[4 : 4 + length])
    count: int = header["n"]
    columns: dict[str, list[Any]] = {name: [same] * count for name, same in header["same"].items()}
    columns.update(header["columns"])
    offset = 4 + length
    for name, kind, *shared in header["packed"]:
        prefix = bytes.fromhex(shared[0]) if shared else b""
        size = (_SIZES[kind] - len(prefix)) * count
        columns[name] = _unpack(kind, prefix, body[offset : offset + size], count)
        offset += size
    if "at" in header:
        first, *deltas = header["at"]
        columns["at"] = [_EPOCH + timedelta(microseconds=first + delta) for delta in [0, *deltas]]
    if raw.startswith(_COLUMNAR) and "provider_message_id" in columns:
        hashes = columns["token_sha256"]
        columns["provider_message_id"] = [
            apns_id_from_sha256(send_id, hashes[index]) if message_id == _DERIVED else message_id
            for index, message_id in enumerate(columns["provider_message_id"])
        ]
    rows = [
        {name: values[index] for name, values in columns.items() if values[index] is not None} for index in range(count)
    ]
    return _ENTRIES.validate_python(rows)
