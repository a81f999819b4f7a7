"""The stored form of a delivery job's checkpoint (``JobProgress``), an attribute of its claim item.

Compact on purpose: a checkpoint rewrites the claim item, and an ``UpdateItem`` costs one write unit
per started KB of the larger of the old and the new item. Each fate is a JSON array
``[index, kind, verdict, reason, retry_after]`` without its trailing nulls (a delivered device is
``[7,"a","delivered"]``), the whole document zlib-compressed, so the claim of a 100-device job stays
under 1 KB. Provider message ids are left out: an FCM message name is 16 bytes of entropy that
would double the size of an Android job's checkpoints, and it is only a diagnostic. A job resumed
after a crash therefore lists no FCM message id for the devices answered before it (APNs ids are
derived from the send and the token again); see ``docs/decisions.md``.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from pushgate.models.delivery_progress import DeviceFate, FateKind, JobProgress
from pushgate.models.push import Verdict


def encode_fates(progress: JobProgress) -> bytes:
    """The checkpoint's fates and window, compressed (the owner is an attribute of its own)."""
    fates: list[list[Any]] = []
    for index in sorted(progress.fates):
        fate = progress.fates[index]
        values: list[Any] = [
            index,
            fate.kind.value,
            fate.verdict.value if fate.verdict else None,
            fate.reason,
            fate.retry_after,
        ]
        while values[-1] is None:
            values.pop()
        fates.append(values)
    document = {"f": fates, "w": list(progress.window)}
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 9)


def decode_fates(owner: str, value: Any) -> JobProgress:
    """Reads a stored checkpoint back."""
    document = json.loads(zlib.decompress(bytes(value)))
    fates: dict[int, DeviceFate] = {}
    for values in document["f"]:
        index, kind, verdict, reason, retry_after = [*values, None, None, None][:5]
        fates[int(index)] = DeviceFate(
            FateKind(kind),
            verdict=Verdict(verdict) if verdict else None,
            reason=reason,
            retry_after=float(retry_after) if retry_after is not None else None,
        )
    return JobProgress(owner=owner, fates=fates, window=tuple(int(index) for index in document["w"]))
