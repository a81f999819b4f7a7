"""The stored form of a delivery job's checkpoint (``JobProgress``), an attribute of its claim item.

Compact on purpose: a checkpoint rewrites the claim item, and an ``UpdateItem`` costs one write unit
per started KB of the larger of the old and the new item. Devices that met the same fate (the same
kind, verdict, reason and ``Retry-After``: a window's delivered devices, mostly) are stored once: the
fate as a JSON array ``[kind, verdict, reason, retry_after]`` without its trailing nulls, and a
bitmap of the job's device indices that met it; the window is one more bitmap. A bitmap is a bit a
device, and zlib shrinks the runs a job's windows make to a few bytes, so the claim of a 3,000-device
job stays under 1 KB at every checkpoint however its platforms are interleaved. The stored form is
``0x01``, then zlib of a 4-byte header length, the JSON header ``{"n": devices, "g": [fate, ...]}``
and the bitmaps (one a fate, then the window's). Checkpoints written before (zlib-compressed JSON
with one ``[index, kind, verdict, reason, retry_after]`` record a device, leading ``0x78``, zlib's
first byte) read as they are.

Provider message ids are left out: an FCM message name is 16 bytes of entropy that would double the
size of an Android job's checkpoints, and it is only a diagnostic. A job resumed after a crash
therefore lists no FCM message id for the devices answered before it (APNs ids are derived from the
send and the token again); see ``docs/decisions.md``.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable
from typing import Any, Final

from pushgate.models.delivery_progress import DeviceFate, FateKind, JobProgress
from pushgate.models.push import Verdict

#: The first byte of the bitmap form.
_BITMAPS: Final = b"\x01"


def _bitmap(indices: Iterable[int], size: int) -> bytes:
    bits = bytearray((size + 7) // 8)
    for index in indices:
        bits[index >> 3] |= 0x80 >> (index & 7)
    return bytes(bits)


def _indices(bits: bytes) -> list[int]:
    return [offset * 8 + bit for offset, byte in enumerate(bits) if byte for bit in range(8) if byte & (0x80 >> bit)]


def _fate_values(fate: DeviceFate) -> list[Any]:
    values: list[Any] = [fate.kind.value, fate.verdict.value if fate.verdict else None, fate.reason, fate.retry_after]
    while values[-1] is None:
        values.pop()
    return values


def _fate(values: list[Any]) -> DeviceFate:
    kind, verdict, reason, retry_after = [*values, None, None, None][:4]
    return DeviceFate(
        FateKind(kind),
        verdict=Verdict(verdict) if verdict else None,
        reason=reason,
        retry_after=float(retry_after) if retry_after is not None else None,
    )


def encode_fates(progress: JobProgress) -> bytes:
    """The checkpoint's fates and window, compressed (the owner is an attribute of its own)."""
    groups: dict[str, tuple[list[Any], list[int]]] = {}
    for index, fate in progress.fates.items():
        values = _fate_values(fate)
        groups.setdefault(json.dumps(values), (values, []))[1].append(index)
    size = max([*progress.fates, *progress.window], default=-1) + 1
    header = json.dumps({"n": size, "g": [values for values, _ in groups.values()]}, separators=(",", ":")).encode()
    bitmaps = [_bitmap(indices, size) for _, indices in groups.values()] + [_bitmap(progress.window, size)]
    return _BITMAPS + zlib.compress(struct.pack(">I", len(header)) + header + b"".join(bitmaps), 9)


def decode_fates(owner: str, value: Any) -> JobProgress:
    """Reads a stored checkpoint back (this form or the one before it)."""
    raw = bytes(value)
    fates: dict[int, DeviceFate] = {}
    if raw.startswith(_BITMAPS):
        body = zlib.decompress(raw[1:])
        (length,) = struct.unpack(">I", body[:4])
        header = json.loads(body[4 : 4 + length])
        width = (header["n"] + 7) // 8
        bitmaps = [body[4 + length + n * width : 4 + length + (n + 1) * width] for n in range(len(header["g"]) + 1)]
        for values, bits in zip(header["g"], bitmaps, strict=False):
            fates.update(dict.fromkeys(_indices(bits), _fate(values)))
        return JobProgress(owner=owner, fates=fates, window=tuple(_indices(bitmaps[-1])))
    document = json.loads(zlib.decompress(raw))
    for index, *values in document["f"]:
        fates[int(index)] = _fate(values)
    return JobProgress(owner=owner, fates=fates, window=tuple(int(index) for index in document["w"]))
