"""Delivery jobs are packed as full as SQS allows and never past it, whatever their devices carry.

Sizes are the jobs' SQS bodies as the delivery queue sends them (``job_message``), and each job read
back from its body is the job that was packed.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

import pytest

from pushgate.models.device import DevicePlatform
from pushgate.models.job_wire import WireSize, job_message, read_job_message
from pushgate.models.push import PushMessage
from pushgate.models.send import DeliveryJob, JobDevice, new_tracking_id, new_tracking_key
from pushgate.services.sends.send_fanout import (
    JOB_MAX_BYTES,
    JOB_MAX_DEVICES,
    JobPacking,
    SendPlan,
    _Landing,
)

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
#: SQS's largest message body.
SQS_MAX_BODY_BYTES = 256 * 1024


def _template() -> DeliveryJob:
    return DeliveryJob(
        job_id="",
        org_id=str(uuid.uuid4()),
        app_id=str(uuid.uuid4()),
        send_id=str(uuid.uuid4()),
        message_id=str(uuid.uuid4()),
        message_version=12,
        journey_id="spring-campaign-2026",
        link_base="https://push.contoso.example/l/",
        messages=[],
        devices=[],
    )


def _device(user_id: str, platform: DevicePlatform) -> JobDevice:
    # The longest of each field a stored device can have: APNs tokens are 64 hex digits, FCM's about 160.
    token = secrets.token_hex(32) if platform is DevicePlatform.IOS else secrets.token_urlsafe(120)
    return JobDevice(
        user_id=user_id,
        platform=platform,
        token=token,
        token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        tracking_id="",
        message=0,
        tracked=True,
        profile_type="profile",
    )


def _pack(user_ids: list[str], platform: DevicePlatform, *, shared: bool) -> list[DeliveryJob]:
    packing = JobPacking(_template(), SendPlan(), AT)
    landing = _Landing(due=AT, expires_at=None, deferred=False)
    everyone = PushMessage(title="Flash sale", body="Everything 20% off today", original_link="https://contoso.com/s")
    for n, user_id in enumerate(user_ids):
        message = everyone if shared else PushMessage(title=f"Hi {user_id}", body=f"Your order SO-{n} is on its way")
        packing.add(landing, message, [_device(user_id, platform)], shared=shared)
    packing.finish()
    return packing._plan.jobs


@pytest.mark.parametrize("platform", [DevicePlatform.IOS, DevicePlatform.ANDROID])
@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize(
    "user_id", ["{}", "contoso-customer-{:06d}-" + "x" * 100, "顧客-{}-" + "名" * 60], ids=["uuid", "long", "utf8"]
)
def test_every_job_stays_under_sqss_limit(platform: DevicePlatform, shared: bool, user_id: str) -> None:
    users = [user_id.format(uuid.uuid4() if user_id == "{}" else n) for n in range(3 * JOB_MAX_DEVICES)]
    jobs = _pack(users, platform, shared=shared)

    bodies = [job_message(job) for job in jobs]
    assert max(len(body.encode()) for body in bodies) < SQS_MAX_BODY_BYTES
    assert [read_job_message(body) for body in bodies] == jobs
    assert sum(len(job.devices) for job in jobs) == len(users)
    assert all(len(job.devices) <= JOB_MAX_DEVICES for job in jobs)
    if shared:
        assert {len(job.messages) for job in jobs} == {1}


def test_a_shared_notification_fills_a_job_to_the_estimate() -> None:
    jobs = _pack([str(uuid.uuid4()) for _ in range(2 * JOB_MAX_DEVICES)], DevicePlatform.IOS, shared=True)

    # UUID user ids and APNs tokens: a job holds the device limit, and its body is within the bound
    # and under SQS's limit (the bound counts no compression of the random ids and tokens)
    assert len(jobs[0].devices) == JOB_MAX_DEVICES
    assert len(job_message(jobs[0])) < JOB_MAX_BYTES < SQS_MAX_BODY_BYTES


@pytest.mark.parametrize("platform", [DevicePlatform.IOS, DevicePlatform.ANDROID])
@pytest.mark.parametrize("user_id", ["{}", "{:064x}", "contoso-{}", "顧客-{}"], ids=["uuid", "hex", "text", "utf8"])
def test_the_wire_size_bounds_the_body_as_devices_are_added(platform: DevicePlatform, user_id: str) -> None:
    # Given a job filled one recipient at a time (tracking ids of one key, as the packer makes them),
    # with the bound kept beside it
    template = _template().model_copy(
        update={"messages": [PushMessage(title="Flash sale", body="Everything 20% off", original_link="https://c.co")]}
    )
    size = WireSize(template)
    tracking_key = new_tracking_key()
    devices: list[JobDevice] = []
    for n in range(300):
        device = _device(user_id.format(uuid.uuid4() if "{}" in user_id and n % 7 else n), platform)
        added = [device.model_copy(update={"tracking_id": new_tracking_id(tracking_key), "message": n % 3})]
        assert size.try_add(added, 0, JOB_MAX_BYTES)
        devices.extend(added)
        # Then the bound after each recipient is at least the body of the job so far
        body = job_message(template.model_copy(update={"devices": devices, "job_id": "0-0-1"}))
        assert size.bound() >= len(body)
