"""A delivery job as big as the packer makes one passes every store a job waits in: the template's
delivery queue (moto server) and a held job's item (DynamoDB Local, whose 400 KB item limit is the
tightest), and reads back as the job that was packed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from pushgate.adapters.delivery_queue import SqsDeliveryQueue
from pushgate.adapters.dynamodb.delivery_timing import DynamoHeldJobs
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.device import DevicePlatform
from pushgate.models.job_wire import job_message, read_job_message
from pushgate.models.push import PushMessage
from pushgate.models.send import DeliveryJob
from pushgate.services.sends.send_fanout import JOB_MAX_BYTES, JOB_MAX_DEVICES, JobPacking, SendPlan, _Landing
from pushgate_local.provision import ProvisionedResources
from tests.unit.test_job_packing import _device, _template

AT = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
REGION = "us-east-1"


def _biggest_jobs(platform: DevicePlatform, due_at: int | None = None) -> list[DeliveryJob]:
    """Jobs the packer closes at its byte bound: long FCM tokens or long user ids, a notification each."""
    packing = JobPacking(_template(), SendPlan(), AT)
    due = datetime.fromtimestamp(due_at, UTC) if due_at else AT
    landing = _Landing(due=due, expires_at=None, deferred=due_at is not None)
    for n in range(JOB_MAX_DEVICES + 1000):
        message = PushMessage(title=f"Order SO-{n:05d} {uuid.uuid4()}", body="On its way", original_link="https://c.co")
        user_id = f"contoso-customer-{n:06d}-{uuid.uuid4()}-" + "x" * 40
        packing.add(landing, message, [_device(user_id, platform)])
    packing.finish()
    plan = packing._plan
    return plan.held if due_at else plan.jobs


@pytest.mark.parametrize("platform", [DevicePlatform.IOS, DevicePlatform.ANDROID])
def test_a_job_at_the_byte_bound_travels_through_the_delivery_queue(
    stack_resources: ProvisionedResources, platform: DevicePlatform, aws_env: Any
) -> None:
    # Given the packer's fullest job, its body near JOB_MAX_BYTES (well past SQS's old 256 KiB)
    job = max(_biggest_jobs(platform), key=lambda packed: len(job_message(packed)))
    assert len(job_message(job)) > 0.8 * JOB_MAX_BYTES > 256 * 1024

    # When it is enqueued on the template's delivery queue and received
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = stack_resources.queue_urls["DeliveryQueue"]
    SqsDeliveryQueue(sqs, queue_url).send([job])
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1)["Messages"]

    # Then the body read back is the job that was packed
    assert [read_job_message(message["Body"]) for message in received] == [job]


def test_a_held_job_at_the_byte_bound_is_one_item(table: MainTable) -> None:
    # Given the fullest jobs of a send held until later (quiet hours, a schedule)
    due_at = int(AT.timestamp()) + 3600
    held = _biggest_jobs(DevicePlatform.ANDROID, due_at=due_at)
    assert max(len(job_message(job)) for job in held) > 0.8 * JOB_MAX_BYTES

    # When they are stored as held items and read back by their send
    store = DynamoHeldJobs(table)
    store.hold(held)

    # Then DynamoDB took every item whole, and each reads back as packed
    stored = store.of_send(held[0].org_id, held[0].send_id)
    assert sorted(stored, key=lambda job: job.job_id) == sorted(held, key=lambda job: job.job_id)
