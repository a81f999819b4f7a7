"""The stored form of a delivery job's outcomes: column by column, the random ids as bytes, compressed.

A job's outcomes are one item (``JOB#<id>#outcomes``) of up to a job's devices, written once, so its
size is most of what delivering a notification writes. Most of an entry is random and does not
compress: the token hash (32 bytes), the tracking id's random half and the ``apns-id``. Written as
JSON those cost two hex characters a byte, and every entry repeats its field names; here each field
is one column, a column of canonical UUIDs or SHA-256 hashes is packed as raw bytes, a column with
one value for every entry is stored once, and ``at`` is kept as microseconds after the job's first
outcome. The whole is zlib-compressed. Items written before (zlib-compressed JSON, which begins
with zlib's ``0x78``) are read as they are.
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

from pushgate.models.send import LedgerEntry

_ENTRIES = TypeAdapter(list[LedgerEntry])
#: The first byte of this form (a zlib stream, the form before it, begins with ``0x78``).
_COLUMNAR: Final = b"\x01"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _pack_kind(values: Sequence[Any]) -> str | None:
    """How a column packs as bytes: ``uuid`` or ``sha256`` when every value is one, else ``None``."""
    if all(isinstance(value, str) and _UUID.fullmatch(value) for value in values):
        return "uuid"
    if all(isinstance(value, str) and _SHA256.fullmatch(value) for value in values):
        return "sha256"
    return None


def _to_bytes(kind: str, values: Sequence[str]) -> bytes:
    return b"".join(bytes.fromhex(value.replace("-", "") if kind == "uuid" else value) for value in values)


def _from_bytes(kind: str, raw: bytes, count: int) -> list[str]:
    size = 16 if kind == "uuid" else 32
    values = [raw[index * size : (index + 1) * size].hex() for index in range(count)]
    if kind == "uuid":
        values = [f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}" for v in values]
    return values


def _microseconds(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def encode_entries(entries: Sequence[LedgerEntry]) -> bytes:
    """The stored form of a job's ledger entries (see the module)."""
    rows: list[dict[str, Any]] = _ENTRIES.dump_python(list(entries), mode="json", exclude_none=True)
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
            header["packed"].append([name, kind])
            blocks.append(_to_bytes(kind, [str(value) for value in values]))
    text = json.dumps(header, separators=(",", ":")).encode()
    return _COLUMNAR + zlib.compress(struct.pack(">I", len(text)) + text + b"".join(blocks), 9)


def decode_entries(value: Any) -> list[LedgerEntry]:
    """Reads the stored form back (this form, or the zlib-compressed JSON written before it)."""
    raw = bytes(value)
    if not raw.startswith(_COLUMNAR):
        return _ENTRIES.validate_json(zlib.decompress(raw))
    body = zlib.decompress(raw[1:])
    (length,) = struct.unpack(">I", body[:4])
    header = json.loads(body[4 : 4 + length])
    count: int = header["n"]
    columns: dict[str, list[Any]] = {name: [same] * count for name, same in header["same"].items()}
    columns.update(header["columns"])
    offset = 4 + length
    for name, kind in header["packed"]:
        size = (16 if kind == "uuid" else 32) * count
        columns[name] = _from_bytes(kind, body[offset : offset + size], count)
        offset += size
    if "at" in header:
        first, *deltas = header["at"]
        columns["at"] = [_EPOCH + timedelta(microseconds=first + delta) for delta in [0, *deltas]]
    rows = [
        {name: values[index] for name, values in columns.items() if values[index] is not None} for index in range(count)
    ]
    return _ENTRIES.validate_python(rows)
