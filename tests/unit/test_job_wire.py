"""The form delivery jobs travel and wait in: what reads back, what the readers refuse, what they still read."""

from __future__ import annotations

import base64
import hashlib
import uuid
import zlib

import pytest

from pushgate.models.device import DevicePlatform
from pushgate.models.job_wire import decode_job, encode_job, job_message, read_job_message
from pushgate.models.push import PushMessage
from pushgate.models.send import DeliveryJob, JobDevice, new_tracking_id, new_tracking_key


def _job() -> DeliveryJob:
    key = new_tracking_key()
    devices = []
    for n, (user_id, token) in enumerate(
        [(str(uuid.uuid4()), f"{n:064x}") for n in range(3)]
        + [("ana@example.com", "fcm:" + "x" * 150), ("顧客-7", f"{9:064x}")]
    ):
        platform = DevicePlatform.IOS if n % 2 == 0 else DevicePlatform.ANDROID
        sha = hashlib.sha256(token.encode()).hexdigest() if n != 2 else "f" * 64  # one hash that is not derived
        devices.append(
            JobDevice(
                user_id=user_id,
                platform=platform,
                token=token,
                token_sha256=sha,
                tracking_id=new_tracking_id(key),
                message=n % 2,
                tracked=n == 1,
                profile_type="contact" if n else None,
            )
        )
    return DeliveryJob(
        job_id="02-000001-00",
        org_id=str(uuid.uuid4()),
        app_id=str(uuid.uuid4()),
        send_id=str(uuid.uuid4()),
        message_id=str(uuid.uuid4()),
        message_version=3,
        journey_id="spring",
        attempt=2,
        messages=[PushMessage(title="Hi Ana", body="Grüße"), PushMessage(title="Hi", body="News")],
        devices=devices,
        due_at=1_800_000_000,
        deferred=True,
    )


def test_a_job_reads_back_from_its_message_and_its_stored_form_as_it_was() -> None:
    job = _job()
    assert read_job_message(job_message(job)) == job
    assert decode_job(encode_job(job)) == job


def test_the_forms_written_before_still_read() -> None:
    # An SQS body of JSON (enqueued before the columns) and a held or parked job stored as zlib'd JSON
    job = _job()
    assert read_job_message(job.model_dump_json(exclude_defaults=True)) == job
    assert decode_job(zlib.compress(job.model_dump_json().encode(), 6)) == job


@pytest.mark.parametrize(
    "body",
    [
        "not base64 at all!",
        base64.b64encode(b"\x01not zlib").decode(),
        base64.b64encode(b"\x01" + zlib.compress(b"\x00\x00\x00\x02{}")).decode(),
        base64.b64encode(
            b"\x01" + zlib.compress(b'\x00\x00\x00\x1f{"n":1,"same":{},"columns":{},"packed":[]}')
        ).decode(),
        '{"job_id": 1}',
    ],
    ids=["text", "not-zlib", "no-columns", "no-job", "bad-json-job"],
)
def test_a_body_that_is_no_job_is_a_value_error(body: str) -> None:
    # The queue worker drops (and counts) a message that raises ValueError instead of retrying it
    with pytest.raises(ValueError):
        read_job_message(body)
