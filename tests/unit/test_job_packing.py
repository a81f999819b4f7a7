"""Delivery jobs are packed as full as SQS allows and never past it, whatever their devices carry."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

import pytest

from pushgate.models.device import DevicePlatform
from pushgate.models.push import PushMessage
from pushgate.models.send import DeliveryJob, JobDevice
from pushgate.services.sends.send_fanout import (
    JOB_DEVICE_OVERHEAD,
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


def test_a_devices_bytes_beyond_its_user_id_and_token_are_within_the_estimate() -> None:
    device = _device(str(uuid.uuid4()), DevicePlatform.IOS).model_copy(
        update={"tracking_id": str(uuid.uuid4()), "message": JOB_MAX_DEVICES - 1}
    )
    measured = len(device.model_dump_json(exclude_defaults=True)) + 1 - len(device.user_id) - len(device.token)
    assert measured <= JOB_DEVICE_OVERHEAD


@pytest.mark.parametrize("platform", [DevicePlatform.IOS, DevicePlatform.ANDROID])
@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize(
    "user_id", ["{}", "contoso-customer-{:06d}-" + "x" * 100, "顧客-{}-" + "名" * 60], ids=["uuid", "long", "utf8"]
)
def test_every_job_stays_under_sqss_limit(platform: DevicePlatform, shared: bool, user_id: str) -> None:
    users = [user_id.format(uuid.uuid4() if user_id == "{}" else n) for n in range(3 * JOB_MAX_DEVICES)]
    jobs = _pack(users, platform, shared=shared)

    sizes = [len(job.model_dump_json(exclude_defaults=True).encode()) for job in jobs]
    assert max(sizes) < SQS_MAX_BODY_BYTES
    assert sum(len(job.devices) for job in jobs) == len(users)
    assert all(len(job.devices) <= JOB_MAX_DEVICES for job in jobs)
    if shared:
        assert {len(job.messages) for job in jobs} == {1}


def test_a_shared_notification_fills_a_job_to_the_estimate() -> None:
    jobs = _pack([str(uuid.uuid4()) for _ in range(2 * JOB_MAX_DEVICES)], DevicePlatform.IOS, shared=True)

    # UUID user ids and APNs tokens: the byte estimate binds a little before the device limit, and a
    # job still comes out under 90% of SQS's limit (the estimate's margin)
    assert len(jobs[0].devices) > 0.85 * JOB_MAX_DEVICES
    assert len(jobs[0].model_dump_json(exclude_defaults=True)) < 0.9 * SQS_MAX_BODY_BYTES
