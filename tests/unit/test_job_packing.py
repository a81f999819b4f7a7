"""Delivery jobs are packed as full as their stores allow and never past it, whatever their devices carry.

Sizes are the jobs' SQS bodies as the delivery queue sends them (``job_message``), and each job read
back from its body is the job that was packed. The tightest store is DynamoDB: a held or parked job
is an item whose ``job`` attribute is the body before Base64.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

import pytest

from pushgate.models.device import DevicePlatform
from pushgate.models.job_wire import WireSize, encode_job, job_message, read_job_message
from pushgate.models.push import PushMessage
from pushgate.models.send import DeliveryJob, JobDevice, new_tracking_id, new_tracking_key, tracking_key_of
from pushgate.services.sends.send_fanout import (
    JOB_MAX_ANDROID_DEVICES,
    JOB_MAX_BYTES,
    JOB_MAX_DEVICES,
    JobLimits,
    JobPacking,
    SendPlan,
    _Landing,
)

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
#: SQS's largest message body (since 2025-08, and the template's ``MaximumMessageSize``).
SQS_MAX_BODY_BYTES = 1024 * 1024
#: DynamoDB's largest item, a held job's ``job`` attribute and its keys and due index included.
DYNAMODB_MAX_ITEM_BYTES = 400 * 1024
#: What a held job's item holds besides its ``job`` attribute (names and keys), generously.
HELD_ITEM_OVERHEAD_BYTES = 1024


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
    assert max(len(encode_job(job)) for job in jobs) + HELD_ITEM_OVERHEAD_BYTES < DYNAMODB_MAX_ITEM_BYTES
    assert [read_job_message(body) for body in bodies] == jobs
    assert sum(len(job.devices) for job in jobs) == len(users)
    assert all(len(job.devices) <= JOB_MAX_DEVICES for job in jobs)
    fcm_devices = [sum(d.platform is DevicePlatform.ANDROID for d in job.devices) for job in jobs]
    assert max(fcm_devices) <= JOB_MAX_ANDROID_DEVICES
    if shared:
        assert {len(job.messages) for job in jobs} == {1}


def test_a_shared_notification_fills_a_job_to_the_estimate() -> None:
    jobs = _pack([str(uuid.uuid4()) for _ in range(2 * JOB_MAX_DEVICES)], DevicePlatform.IOS, shared=True)

    # UUID user ids and APNs tokens: a job holds the device limit, and its body is within the bound
    # and under SQS's limit (the bound counts no compression of the random ids and tokens)
    assert len(jobs[0].devices) == JOB_MAX_DEVICES
    assert len(job_message(jobs[0])) < JOB_MAX_BYTES < SQS_MAX_BODY_BYTES
    # A body at the bound is, before its Base64, an item DynamoDB takes (a held job)
    assert JOB_MAX_BYTES * 3 // 4 + HELD_ITEM_OVERHEAD_BYTES < DYNAMODB_MAX_ITEM_BYTES


def test_a_job_holds_fewer_fcm_devices_than_apns_ones() -> None:
    # Given a shared notification to APNs devices, then to as many FCM devices whose tokens are short
    # enough that the byte bound never binds (real ones are about 160 characters and bind first)
    users = [str(uuid.uuid4()) for _ in range(2 * JOB_MAX_DEVICES)]
    packing = JobPacking(_template(), SendPlan(), AT)
    landing = _Landing(due=AT, expires_at=None, deferred=False)
    everyone = PushMessage(title="Flash sale", body="Everything 20% off today", original_link="https://c.co")
    for n, user_id in enumerate(users):
        device = _device(user_id, DevicePlatform.IOS)
        if n >= JOB_MAX_DEVICES:
            device = device.model_copy(update={"platform": DevicePlatform.ANDROID})
        packing.add(landing, everyone, [device], shared=True)
    packing.finish()

    # Then the APNs devices fill a job to the device limit, and the FCM ones close theirs at the FCM
    # limit: each FCM outcome keeps its message name, and a job's outcomes can be one item
    jobs = packing._plan.jobs
    android = [sum(d.platform is DevicePlatform.ANDROID for d in job.devices) for job in jobs]
    assert [len(job.devices) for job in jobs] == [JOB_MAX_DEVICES, *[JOB_MAX_ANDROID_DEVICES] * 2]
    assert android == [0, JOB_MAX_ANDROID_DEVICES, JOB_MAX_ANDROID_DEVICES]
    assert max(len(job_message(job)) for job in jobs) <= JOB_MAX_BYTES


def test_a_personal_notification_counts_at_what_it_adds_compressed() -> None:
    # Given 4,000 people, each with their own notification that differs from the others' in a first
    # name (W6's personal message), one or two APNs devices each
    packing = JobPacking(_template(), SendPlan(), AT)
    landing = _Landing(due=AT, expires_at=None, deferred=False)
    names = ["Ava", "Noah", "Mia", "Liam", "Zoë", "Jürgen"]
    for n in range(4000):
        message = PushMessage(
            title=f"Flash sale, {names[n % 6]}", body="Everything 20% off today", original_link="https://c.co"
        )
        user_id = str(uuid.uuid4())
        packing.add(landing, message, [_device(user_id, DevicePlatform.IOS) for _ in range(1 + n % 2)], shared=False)
    packing.finish()

    # Then a job holds thousands of devices (counted at their JSON, a notification of about 500
    # bytes held a job to about 450), every body is under the limit, and each person's devices
    # point at their own notification
    jobs = packing._plan.jobs
    assert len(jobs[0].devices) >= 2000
    assert max(len(job_message(job)) for job in jobs) <= JOB_MAX_BYTES
    assert sum(len(job.devices) for job in jobs) == 6000
    assert all(job.messages[d.message].title.startswith("Flash sale, ") for job in jobs for d in job.devices)


def test_a_personal_send_whose_texts_repeat_fills_a_job_to_the_device_limit() -> None:
    # Given a personal send like W6's: people with one or two APNs devices each (as many devices as
    # a job holds), each with their own notification, all rendering the same first name
    people = JOB_MAX_DEVICES * 2 // 3
    packing = JobPacking(_template(), SendPlan(), AT)
    landing = _Landing(due=AT, expires_at=None, deferred=False)
    for n in range(people):
        message = PushMessage(title="Flash sale, Ana", body="Everything 20% off today", original_link="https://c.co")
        packing.add(landing, message, [_device(str(uuid.uuid4()), DevicePlatform.IOS) for _ in range(1 + n % 2)])
    packing.finish()

    # Then they travel in one job, under the limit: when the bound reaches the limit the packer
    # encodes the job and goes on by what the bound overstates it (it counts each notification with
    # a flush's marker and each device's message index at its JSON size, which the body compresses)
    jobs = packing._plan.jobs
    assert [len(job.devices) for job in jobs] == [JOB_MAX_DEVICES]
    assert len(job_message(jobs[0])) <= JOB_MAX_BYTES
    assert len(jobs[0].messages) == people


@pytest.mark.parametrize("platform", [DevicePlatform.IOS, DevicePlatform.ANDROID])
def test_a_job_goes_on_past_its_bound_only_as_far_as_its_body_allows(platform: DevicePlatform) -> None:
    # Given recipients whose ids and tokens compress (FCM's tokens are long; the bound counts them
    # whole), each with a notification of their own
    packing = JobPacking(_template(), SendPlan(), AT)
    landing = _Landing(due=AT, expires_at=None, deferred=False)
    recipients = 2 * JOB_MAX_DEVICES
    for n in range(recipients):
        message = PushMessage(title=f"Order SO-{n:05d}", body="On its way", original_link="https://c.co")
        packing.add(landing, message, [_device(f"contoso-customer-{n:06d}", platform)])
    packing.finish()

    # Then every job but the last is filled past where its bound alone stopped it, no body passes the
    # limit, and every device is in one job once
    jobs = packing._plan.jobs
    bodies = [job_message(job) for job in jobs]
    assert max(len(body) for body in bodies) <= JOB_MAX_BYTES
    assert [read_job_message(body) for body in bodies] == jobs
    assert sum(len(job.devices) for job in jobs) == recipients
    assert len(jobs) > 1
    assert all(
        len(body) > 0.9 * JOB_MAX_BYTES or len(job.devices) == JOB_MAX_DEVICES
        for body, job in zip(bodies[:-1], jobs[:-1], strict=True)
    )


def test_a_job_whose_notifications_compress_less_than_counted_is_split() -> None:
    # Given notifications whose JSON escapes every character of their body (control characters
    # take 6 bytes each), so the compressed JSON is bigger than the running count of the packer
    # (at a byte limit of 245,000 the count falls short for these bodies; at JOB_MAX_BYTES their
    # jobs close on the count in time, so the split is driven at the smaller limit)
    limits = JobLimits(max_bytes=245_000)
    packing = JobPacking(_template(), SendPlan(), AT, limits)
    landing = _Landing(due=AT, expires_at=None, deferred=False)
    for _ in range(1500):
        body = bytes(1 + byte % 4 for byte in secrets.token_bytes(1500)).decode()
        packing.add(landing, PushMessage(title="Codes", body=body), [_device(str(uuid.uuid4()), DevicePlatform.IOS)])
    packing.finish()

    # Then the jobs that passed the limit were split in two between recipients: no body passes
    # it, every device is in one job once, and each job's tracking ids begin with a key mapped to it
    jobs = packing._plan.jobs
    bodies = [job_message(job) for job in jobs]
    assert max(len(body) for body in bodies) <= limits.max_bytes
    assert min(len(job.devices) for job in jobs[:-1]) < max(len(job.devices) for job in jobs) / 1.5
    assert [read_job_message(body) for body in bodies] == jobs
    assert sum(len(job.devices) for job in jobs) == 1500
    keys = packing._plan.tracking_keys
    for job in jobs:
        assert {keys[str(tracking_key_of(device.tracking_id))] for device in job.devices} == {job.job_id}
        assert sorted({device.message for device in job.devices}) == list(range(len(job.messages)))


@pytest.mark.parametrize("platform", [DevicePlatform.IOS, DevicePlatform.ANDROID])
@pytest.mark.parametrize("user_id", ["{}", "{:064x}", "contoso-{}", "顧客-{}"], ids=["uuid", "hex", "text", "utf8"])
@pytest.mark.parametrize("mixed", [False, True], ids=["alike", "mixed"])
def test_the_wire_size_bounds_the_body_as_devices_are_added(
    platform: DevicePlatform, user_id: str, mixed: bool
) -> None:
    # Given a job filled one recipient at a time (tracking ids of one key, as the packer makes them),
    # with the bound kept beside it; their small fields alike (a broadcast's) or mixed from the
    # 50th device on (other platforms, consents, kinds of person and stored hashes)
    template = _template().model_copy(
        update={"messages": [PushMessage(title="Flash sale", body="Everything 20% off", original_link="https://c.co")]}
    )
    size = WireSize(template)
    tracking_key = new_tracking_key()
    devices: list[JobDevice] = []
    for n in range(300):
        device = _device(user_id.format(uuid.uuid4() if "{}" in user_id and n % 7 else n), platform)
        changes: dict[str, object] = {"tracking_id": new_tracking_id(tracking_key), "message": n % 3 if mixed else 0}
        if mixed and n >= 50:
            changes |= {
                "platform": [DevicePlatform.IOS, DevicePlatform.ANDROID][n % 2],
                "tracked": n % 3 == 0,
                "profile_type": [None, "contact", "lead", "profile"][n % 4],
                "token_sha256": device.token_sha256 if n % 5 else hashlib.sha256(b"elsewhere").hexdigest(),
            }
        added = [device.model_copy(update=changes)]
        assert size.try_add(added, 0, JOB_MAX_BYTES)
        devices.extend(added)
        # Then the bound after each recipient is at least the body of the job so far
        body = job_message(template.model_copy(update={"devices": devices, "job_id": "0-0-1"}))
        assert size.bound() >= len(body)
