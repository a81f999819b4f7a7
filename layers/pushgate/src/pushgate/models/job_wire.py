"""The form a delivery job travels and waits in: its devices column by column, compressed.

A job is mostly its devices, and as JSON each device repeats its field names, spells its UUIDs and
APNs token in hex and carries its token's hash beside the token: about 300 bytes, so SQS's 256 KiB
held 800 devices. Here the devices are columns (``pushgate.models.columnar``): user ids, APNs
tokens and tracking ids are raw bytes, the tracking ids' shared first half (the job's tracking key)
is stored once, a token hash that is the SHA-256 of its token is marked rather than stored, and a
field with one value for every device is stored once. The job without its devices is the header's
``job``. The whole is zlib-compressed behind a leading ``0x01``; in SQS, whose bodies are text, it is
Base64. An APNs device of a UUID user costs about 75 bytes of the body, so a job holds
``JOB_MAX_DEVICES`` under ``JOB_MAX_BYTES``.

:class:`WireSize` is the packer's bound of a job's body, from the same arithmetic as the encoder,
so a job is never packed past the limit whatever its user ids and tokens are.

Readers take the earlier forms too: a JSON body (messages enqueued before this form) and
zlib-compressed JSON (held and parked jobs stored before it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import operator
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Final

from pushgate.models.columnar import PACKED_SIZES, SHARED_PREFIX, decode_columns, encode_columns, pack_kind
from pushgate.models.send import DeliveryJob, JobDevice

#: The first byte of this form.
_COLUMNAR: Final = b"\x01"
#: zlib's level for a job's form.
JOB_COMPRESSION_LEVEL: Final = 6
#: In the ``token_sha256`` column, a hash that is the SHA-256 of the device's token.
_DERIVED: Final = 1
#: The header's keys, the column names and the packed columns' specs around the job: an allowance.
_FRAMING_BYTES: Final = 600


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def encode_job(job: DeliveryJob) -> bytes:
    """The stored form of ``job`` (held and parked jobs are kept in it)."""
    header = job.model_dump(mode="json", exclude_defaults=True)
    rows: list[dict[str, Any]] = header.pop("devices", [])
    for row in rows:
        if row["token_sha256"] == _token_sha256(row["token"]):
            row["token_sha256"] = _DERIVED
    return _COLUMNAR + zlib.compress(encode_columns(rows, {"job": header}), JOB_COMPRESSION_LEVEL)


def decode_job(value: Any) -> DeliveryJob:
    """Reads a stored job back (this form, or the zlib-compressed JSON stored before it).

    Raises:
        ValueError: ``value`` is no job (pydantic's ``ValidationError`` is one).
    """
    raw = bytes(value)
    try:
        if not raw.startswith(_COLUMNAR):
            return DeliveryJob.model_validate_json(zlib.decompress(raw))
        header, rows = decode_columns(zlib.decompress(raw[1:]))
    except zlib.error as error:
        raise ValueError(f"not a stored delivery job: {error}") from None
    for row in rows:
        if row.get("token_sha256") == _DERIVED and isinstance(row.get("token"), str):
            row["token_sha256"] = _token_sha256(row["token"])
    if not isinstance(header.get("job"), dict):
        raise ValueError("not a stored delivery job: no job header")
    return DeliveryJob.model_validate({**header["job"], "devices": rows})


def job_message(job: DeliveryJob) -> str:
    """The SQS body of ``job``: its stored form in Base64."""
    return base64.b64encode(encode_job(job)).decode("ascii")


def read_job_message(body: str) -> DeliveryJob:
    """The job an SQS body carries (this form, or the JSON enqueued before it).

    Raises:
        ValueError: The body is no job.
    """
    if body.lstrip().startswith("{"):
        return DeliveryJob.model_validate_json(body)
    try:
        raw = base64.b64decode(body, validate=True)
    except binascii.Error as error:
        raise ValueError(f"not a delivery job message: {error}") from None
    return decode_job(raw)


def _json_bytes(value: object) -> int:
    """A value's bytes as a JSON list entry."""
    return len(json.dumps(value, ensure_ascii=False).encode()) + 1


@dataclass(frozen=True)
class _Column:
    """Whether a column still packs (every value is of its kind), and its bytes as JSON otherwise."""

    packs: bool = True
    json_bytes: int = 0

    def adding(self, values: Sequence[str], kind: str) -> _Column:
        packs, json_bytes = self.packs, self.json_bytes
        for value in values:
            if pack_kind([value]) == kind:
                # A value that packs needs no escaping: itself in quotes, and a comma.
                json_bytes += len(value) + 3
            else:
                # A column the encoder packs as another kind (64-hex user ids) is bounded by its
                # JSON, which is larger.
                packs = False
                json_bytes += _json_bytes(value)
        return _Column(packs, json_bytes)

    def bytes_at_most(self, count: int, kind: str) -> int:
        return count * PACKED_SIZES[kind] if self.packs else self.json_bytes


#: The small fields of a device row: platform, message index, tracked, profile type, token hash mark.
_SMALL_FIELDS: Final = 5


@lru_cache(maxsize=4096)
def _row_bytes(row: tuple[object, ...]) -> tuple[int, ...]:
    """Each small field of a row as a JSON list entry (rows repeat: a job's differ in their message)."""
    return tuple(len(str(value)) + 1 if type(value) is int else _json_bytes(value) for value in row)


@dataclass(frozen=True)
class _SmallFields:
    """The small fields of a job's devices: each column is stored once while every device has the
    same value, as a JSON list once they differ.

    Within one column the values are of one JSON kind or ``None`` (no ``1`` beside a ``true``), so
    Python's equality is the encoder's test.
    """

    first: tuple[object, ...] | None = None
    varies: tuple[bool, ...] = (False,) * _SMALL_FIELDS
    json_bytes: tuple[int, ...] = (0,) * _SMALL_FIELDS

    def adding(self, rows: Sequence[tuple[object, ...]]) -> _SmallFields:
        first, varies, json_bytes = self.first, self.varies, self.json_bytes
        for row in rows:
            if first is None:
                first = row
            elif row != first:
                varies = tuple(map(operator.or_, varies, map(operator.ne, row, first)))
            json_bytes = tuple(map(operator.add, json_bytes, _row_bytes(row)))
        return _SmallFields(first, varies, json_bytes)

    def bytes_at_most(self) -> int:
        if self.first is None:
            return 0
        stored_once = _row_bytes(self.first)
        return sum(
            many if varies else once
            for many, varies, once in zip(self.json_bytes, self.varies, stored_once, strict=True)
        )


def _small_values(device: JobDevice) -> tuple[object, ...]:
    """A device's small fields as its job's JSON row holds them (defaults left out, so ``None``); a
    token hash that is not its token's SHA-256 is stored as it is (as JSON at most)."""
    derived = device.token_sha256 == _token_sha256(device.token)
    return (
        device.platform.value,
        device.message or None,
        device.tracked or None,
        device.profile_type,
        _DERIVED if derived else device.token_sha256,
    )


@dataclass(frozen=True)
class _Tally:
    """What a job's bound is made of."""

    fixed: int
    devices: int = 0
    users: _Column = _Column()
    tokens: _Column = _Column()
    small: _SmallFields = _SmallFields()


class WireSize:
    """A bound of a job's SQS body (Base64 of the compressed form) as devices are added to it.

    For the packer's jobs, whose tracking ids are UUIDs sharing the job's tracking key (8 bytes a
    device once packed); user ids and tokens are bounded whatever they are, and a small field costs
    nothing a device while every device has the same value (a broadcast's platform, message and
    profile type). The devices come with their message index set.
    """

    def __init__(self, template: DeliveryJob) -> None:
        """Starts from the job without devices or notifications (``template``)."""
        self._tally = _Tally(fixed=len(template.model_dump_json(exclude_defaults=True).encode()) + _FRAMING_BYTES)

    def bound(self, more_bytes: int = 0) -> int:
        """The bound of the job's body as it is (with ``more_bytes`` of notifications besides)."""
        return _bound(replace(self._tally, fixed=self._tally.fixed + more_bytes))

    def try_add(self, devices: Sequence[JobDevice], message_bytes: int, limit: int) -> bool:
        """Adds ``devices`` (and a notification of ``message_bytes``) if the bound stays within
        ``limit``; returns whether it did."""
        tally = self._adding(devices, message_bytes)
        if _bound(tally) > limit:
            return False
        self._tally = tally
        return True

    def add(self, devices: Sequence[JobDevice], message_bytes: int = 0) -> None:
        """Adds ``devices`` (and a notification of ``message_bytes``) whatever the bound becomes."""
        self._tally = self._adding(devices, message_bytes)

    def _adding(self, devices: Sequence[JobDevice], message_bytes: int) -> _Tally:
        tally = self._tally
        return _Tally(
            fixed=tally.fixed + message_bytes,
            devices=tally.devices + len(devices),
            users=tally.users.adding([d.user_id for d in devices], "uuid"),
            tokens=tally.tokens.adding([d.token for d in devices], "sha256"),
            small=tally.small.adding([_small_values(device) for device in devices]),
        )


def _bound(tally: _Tally) -> int:
    users = tally.users.bytes_at_most(tally.devices, "uuid")
    tokens = tally.tokens.bytes_at_most(tally.devices, "sha256")
    # Tracking ids: the job's tracking key once, then their random halves.
    tracking = tally.devices * (PACKED_SIZES["uuid"] - SHARED_PREFIX) + SHARED_PREFIX
    small = tally.small.bytes_at_most()
    raw = users + tokens + tracking + small + tally.fixed
    # zlib never grows its input by more than 5 bytes a 16 KB block and its frame; Base64 is 4/3.
    compressed = raw + 5 * math.ceil(raw / 16_384) + 12
    return 4 * math.ceil(compressed / 3)
