"""Rows of records stored column by column, with random ids as raw bytes (delivery jobs and their ledger).

Written as JSON, rows repeat their field names and ids cost two hex characters a byte. Here each
field is one column: a column with one value for every row is stored once (``same``), a column of
canonical UUIDs or SHA-256 hex digests is packed as raw bytes (``packed``, with the first 8 bytes
stored once when every UUID shares them, as the tracking ids of one job do), and any other column is
a JSON list (``columns``). The form is a 4-byte length, the JSON header ``{"n": rows, "same": {...},
"columns": {...}, "packed": [[name, kind, shared prefix?], ...], ...}`` (the caller's own keys
beside them) and the packed columns' bytes in the header's order. The caller compresses it.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping, Sequence
from typing import Any, Final

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: Raw bytes of one value of a packed column, by kind.
PACKED_SIZES: Final = {"uuid": 16, "sha256": 32}
#: A packed UUID column's first bytes, stored once when every value shares them.
SHARED_PREFIX: Final = 8


def pack_kind(values: Sequence[Any]) -> str | None:
    """How a column packs as bytes: ``uuid`` or ``sha256`` when every value is one, else ``None``."""
    if all(isinstance(value, str) and _UUID.fullmatch(value) for value in values):
        return "uuid"
    if all(isinstance(value, str) and _SHA256.fullmatch(value) for value in values):
        return "sha256"
    return None


def _pack(name: str, kind: str, values: Sequence[str]) -> tuple[list[str], bytes]:
    """A packed column's header entry (``[name, kind]``, plus the shared prefix) and its bytes."""
    raw = [bytes.fromhex(value.replace("-", "")) for value in values]
    prefix = raw[0][:SHARED_PREFIX]
    if kind != "uuid" or any(not value.startswith(prefix) for value in raw):
        return [name, kind], b"".join(raw)
    return [name, kind, prefix.hex()], b"".join(value[SHARED_PREFIX:] for value in raw)


def _unpack(kind: str, prefix: bytes, raw: bytes, count: int) -> list[str]:
    size = PACKED_SIZES[kind] - len(prefix)
    values = [(prefix + raw[index * size : (index + 1) * size]).hex() for index in range(count)]
    if kind == "uuid":
        values = [f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}" for v in values]
    return values


def encode_columns(rows: Sequence[Mapping[str, Any]], header: Mapping[str, Any] | None = None) -> bytes:
    """The rows column by column (a missing field is ``null``), ``header``'s keys beside the columns'."""
    count = len(rows)
    document: dict[str, Any] = {**(header or {}), "n": count, "same": {}, "columns": {}, "packed": []}
    blocks: list[bytes] = []
    for name in sorted({name for row in rows for name in row}):
        values = [row.get(name) for row in rows]
        first = values[0]
        # The same JSON value in every row (``1`` and ``true`` are equal in Python, not in JSON).
        if all(type(value) is type(first) and value == first for value in values):
            document["same"][name] = values[0]
            continue
        kind = pack_kind(values)
        if kind is None:
            document["columns"][name] = values
        else:
            spec, block = _pack(name, kind, [str(value) for value in values])
            document["packed"].append(spec)
            blocks.append(block)
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return struct.pack(">I", len(text)) + text + b"".join(blocks)


def decode_columns(body: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the rows (``null`` fields left out) of :func:`encode_columns`' form.

    Raises:
        ValueError: ``body`` is not in the form.
    """
    try:
        (length,) = struct.unpack(">I", body[:4])
        header = json.loads(body[4 : 4 + length])
        count: int = header["n"]
        columns: dict[str, list[Any]] = {name: [same] * count for name, same in header["same"].items()}
        columns.update(header["columns"])
        offset = 4 + length
        for name, kind, *shared in header["packed"]:
            prefix = bytes.fromhex(shared[0]) if shared else b""
            size = (PACKED_SIZES[kind] - len(prefix)) * count
            if offset + size > len(body):
                raise ValueError("a packed column is cut short")
            columns[name] = _unpack(kind, prefix, body[offset : offset + size], count)
            offset += size
        rows = [
            {name: values[index] for name, values in columns.items() if values[index] is not None}
            for index in range(count)
        ]
    except (struct.error, KeyError, IndexError, TypeError) as error:
        raise ValueError(f"not a columnar form: {error!r}") from None
    return header, rows
