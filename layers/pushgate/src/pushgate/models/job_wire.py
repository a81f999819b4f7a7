"""The form a delivery job travels and waits in: its devices column by column, compressed.

A job is mostly its devices, and as JSON each device repeats its field names, spells its UUIDs and
APNs token in hex and carries its token's hash beside the token: about 300 bytes, so SQS's 256 KiB
held 800 devices. Here the devices are columns (``pushgate.models.columnar``): user ids, APNs
tokens and tracking ids are raw bytes, the tracking ids' shared first half (the job's tracking key)
is stored once, a token hash that is the SHA-256 of its token is marked rather than stored, and a
field with one value for every device is stored once. The job without its devices is the header's
``job``. The whole is zlib-compressed behind a leading ``0x01``; in SQS, whose bodies are text, it is
Base64. An APNs device of a UUID user costs about 75 bytes of the body, so a job holds
``JOB_MAX_DEVICES`` under SQS's limit.

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
import zlib
from collections.abc import Sequence
from typing import Any, Final

from pushgate.models.columnar import PACKED_SIZES, SHARED_PREFIX, decode_columns, encode_columns, pack_kind
from pushgate.models.send import DeliveryJob, JobDevice

#: The first byte of this form.
_COLUMNAR: Final = b"\x01"
#: In the ``token_sha256`` column, a hash that is the SHA-256 of the device's token.
_DERIVED: Final = 1
#: The header's keys, the column names and the packed columns' specs around the job: an allowance.
_FRAMING_BYTES: Final = 600
#: A device's small fields at most, as JSON list entries when they differ between devices:
#: ``"android",`` (10), a message index (6), ``false,`` (6) and the derived-hash mark (2).
_SMALL_FIELDS_BYTES: Final = 24


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def encode_job(job: DeliveryJob) -> bytes:
    """The stored form of ``job`` (held and parked jobs are kept in it)."""
    rows: list[dict[str, Any]] = []
    for device in job.devices:
        row = device.model_dump(mode="json", exclude_defaults=True)
        if row["token_sha256"] == _token_sha256(device.token):
            row["token_sha256"] = _DERIVED
        rows.append(row)
    header = {"job": job.model_dump(mode="json", exclude={"devices"}, exclude_defaults=True)}
    return _COLUMNAR + zlib.compress(encode_columns(rows, header), 6)


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


class _Column:
    """A column's bytes at most: packed when every value packs, else each value as JSON."""

    def __init__(self) -> None:
        self.count = 0
        self.packs = True
        self.json_bytes = 0

    def bytes_with(self, values: Sequence[str], kind: str) -> tuple[int, bool, int]:
        # A column the encoder packs as another kind (64-hex user ids) is bounded by its JSON, which is larger.
        packs = self.packs and (not values or pack_kind(values) == kind)
        json_bytes = self.json_bytes + sum(len(json.dumps(v, ensure_ascii=False).encode()) + 1 for v in values)
        return (self.count + len(values)) * PACKED_SIZES[kind] if packs else json_bytes, packs, json_bytes


class WireSize:
    """A bound of a job's SQS body (Base64 of the compressed form) as devices are added to it."""

    def __init__(self, template: DeliveryJob) -> None:
        """Starts from the job without devices or notifications (``template``)."""
        self._fixed = len(template.model_dump_json(exclude_defaults=True).encode()) + _FRAMING_BYTES
        self._users = _Column()
        self._tokens = _Column()
        self._others = 0

    def with_devices(self, devices: Sequence[JobDevice], message_bytes: int = 0) -> int:
        """The bound if ``devices`` (and a notification of ``message_bytes``) were added."""
        return self._bound(self._tally(devices, message_bytes))

    def add(self, devices: Sequence[JobDevice], message_bytes: int = 0) -> None:
        """Adds ``devices`` (and a notification of ``message_bytes``)."""
        users, tokens, fixed, others = self._tally(devices, message_bytes)
        for column, (_, packs, json_bytes) in ((self._users, users), (self._tokens, tokens)):
            column.count += len(devices)
            column.packs, column.json_bytes = packs, json_bytes
        self._fixed, self._others = fixed, others

    def _tally(
        self, devices: Sequence[JobDevice], message_bytes: int
    ) -> tuple[tuple[int, bool, int], tuple[int, bool, int], int, int]:
        users = self._users.bytes_with([d.user_id for d in devices], "uuid")
        tokens = self._tokens.bytes_with([d.token for d in devices], "sha256")
        # Tracking ids: the job's tracking key once, then their random halves; a token hash that is
        # not its token's SHA-256 is stored (as JSON at most).
        others = self._others + sum(
            PACKED_SIZES["uuid"] - SHARED_PREFIX + _SMALL_FIELDS_BYTES + len(json.dumps(d.profile_type)) + 1
            for d in devices
        )
        others += sum(len(json.dumps(d.token_sha256)) + 1 for d in devices if d.token_sha256 != _token_sha256(d.token))
        return users, tokens, self._fixed + message_bytes, others

    @staticmethod
    def _bound(tally: tuple[tuple[int, bool, int], tuple[int, bool, int], int, int]) -> int:
        users, tokens, fixed, others = tally
        raw = users[0] + tokens[0] + fixed + others + SHARED_PREFIX
        # zlib never grows its input by more than 5 bytes a 16 KB block and its frame; Base64 is 4/3.
        compressed = raw + 5 * math.ceil(raw / 16_384) + 12
        return 4 * math.ceil(compressed / 3)
