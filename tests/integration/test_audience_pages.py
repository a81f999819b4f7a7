"""A broadcast's audience read page by page from GSI2 of DynamoDB Local: every Active device of the
app lands in exactly one delivery job, other apps' and invalid devices in none, and a page read
twice (a redelivered SQS message) counts once."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

from pushgate.adapters.dynamodb.delivery_timing import DynamoHeldJobs
from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.adapters.dynamodb.keys import APP_DEVICE_SHARDS, GSI3_NAME, ItemKey
from pushgate.adapters.dynamodb.sends import DynamoSendRepository
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.device import Device, DevicePlatform, DeviceStatus
from pushgate.models.message_template import MessageContent, MessageVersion
from pushgate.models.push import PushMessage
from pushgate.models.send import Audience, AudiencePage, DeliveryJob, SendRecord
from pushgate.services.sends.audience import AudiencePorts, expand_page
from tests.fakes.queues import ListQueue
from tests.integration.stored_devices import registered_device

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class _Versions:
    """The one message version the broadcast renders."""

    def get_version(self, org_id: str, message_id: str, version: int) -> MessageVersion:
        content = MessageContent(name="Flash sale", title="Flash sale", body="20% off")
        return MessageVersion(org_id=org_id, message_id=message_id, version=version, content=content, created_at=NOW)


def _device(org_id: str, app_id: str, number: int, status: DeviceStatus = DeviceStatus.ACTIVE) -> Device:
    platform = DevicePlatform.IOS if number % 3 else DevicePlatform.ANDROID
    return registered_device(org_id, app_id, f"user-{number // 2}", str(number), platform=platform, status=status)


def test_every_active_device_of_the_app_is_in_one_job_and_a_page_read_twice_counts_once(table: MainTable) -> None:
    org_id, app_id, other_app = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    devices = DynamoDeviceRepository(table)
    active = [_device(org_id, app_id, n) for n in range(60)]
    for device in [*active, *(_device(org_id, app_id, n, DeviceStatus.INVALID) for n in range(60, 70))]:
        devices.save(device, expected_owner=None)
    for n in range(5):
        devices.save(_device(org_id, other_app, n), expected_owner=None)
    sends = DynamoSendRepository(table)
    send_id = str(uuid.uuid4())
    record = SendRecord(
        org_id=org_id,
        send_id=send_id,
        app_id=app_id,
        message_id=str(uuid.uuid4()),
        message_version=1,
        created_at=NOW,
        recipients_accepted=0,
        recipients_rejected=0,
        devices_targeted=0,
        recipient_outcomes=0,
        jobs_total=0,
        audience=Audience.ALL_ACTIVE_DEVICES,
        audience_shards_pending=APP_DEVICE_SHARDS,
    )
    sends.create(record, [], {})
    template = DeliveryJob(
        job_id="template",
        org_id=org_id,
        app_id=app_id,
        send_id=send_id,
        message_id=record.message_id,
        message_version=1,
        messages=[PushMessage(title="Flash sale", body="20% off")],
        devices=[],
    )
    pages, jobs = ListQueue(), ListQueue()
    ports = AudiencePorts(
        reader=devices,
        progress=sends,
        pages=pages,  # type: ignore[arg-type]
        jobs=jobs,  # type: ignore[arg-type]
        messages=_Versions(),  # type: ignore[arg-type]
        people=DynamoPersonRepository(table),
        held=DynamoHeldJobs(table),
    )
    pages.items = [AudiencePage(template=template, shard=shard) for shard in range(APP_DEVICE_SHARDS)]

    expanded: list[tuple[AudiencePage, int]] = []
    while pages.items:
        page = pages.items.pop(0)
        assert isinstance(page, AudiencePage)
        expanded.append((page, expand_page(page, ports, now=lambda: NOW, page_size=2, job_size=1)))
    # A page (one that found devices) delivered again: the same jobs again (claims send them once),
    # counted nothing more.
    repeated = next(page for page, devices in expanded if page.page >= 1 and devices)
    before = len(jobs.items)
    assert expand_page(repeated, ports, now=lambda: NOW, page_size=2, job_size=1) == 0

    first_pass = [job for job in jobs.items[:before] if isinstance(job, DeliveryJob)]
    tokens = Counter(device.token for job in first_pass for device in job.devices)
    assert tokens == Counter(device.token for device in active)
    assert len({job.job_id for job in first_pass}) == len(first_pass)
    again = {job.job_id for job in jobs.items[before:] if isinstance(job, DeliveryJob)}
    assert again and again <= {job.job_id for job in first_pass}
    assert any(page.page > 1 for page, _ in expanded), "small pages make chains of several pages per shard"
    stored = sends.get(org_id, send_id)
    assert stored is not None
    assert stored.devices_targeted == len(active)
    assert stored.jobs_total == len(first_pass)
    assert stored.audience_shards_pending == 0
    assert stored.completed is False  # nothing delivered yet


def test_a_page_holds_its_limit_of_index_entries_past_a_querys_1_mb(table: MainTable) -> None:
    # Given 1,200 index entries of about 1 KB in one partition of GSI3 (1.2 MB in all)
    partition = f"test-page#{uuid.uuid4()}"
    padding = "x" * 900
    table.put_many(
        [
            (
                ItemKey(f"{partition}#{n}", "DEV"),
                {"gsi2pk": partition, "gsi2sk": f"{n:06d}", "status": "Active", "token": padding},
            )
            for n in range(1200)
        ]
    )
    # (one Query stops at 1 MB, before its limit)
    one = table._client.query(
        TableName=table.table_name,
        IndexName=GSI3_NAME,
        KeyConditionExpression="gsi2pk = :pk",
        ExpressionAttributeValues={":pk": {"S": partition}},
        Limit=1100,
    )
    assert one["Count"] < 1100

    # When a page of 1,100 is read, then it holds 1,100 entries, in order, and the next page the rest
    first, next_key = table.query_index_page(
        GSI3_NAME, "gsi2pk", partition, limit=1100, start_key=None, equals={"status": "Active"}
    )
    assert [item["gsi2sk"] for item in first] == [f"{n:06d}" for n in range(1100)]
    assert next_key is not None
    rest, last_key = table.query_index_page(GSI3_NAME, "gsi2pk", partition, limit=1100, start_key=next_key)
    assert [item["gsi2sk"] for item in rest] == [f"{n:06d}" for n in range(1100, 1200)]
    assert last_key is None
