"""A deliver_push worker killed after the provider accepted and before recording sends nothing twice.

The job runs once in a worker process of its own (``crash_worker.py``: the real handler, the real
adapters, the simulator) that is killed once the provider accepted the notifications. The same SQS
message is then redelivered to the dev server's DeliverPushFunction, which finds the job's claim in
flight: it sends nothing and records every device ``NotSent`` / ``DeliveryUncertain``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import boto3
import httpx
import pytest

from pushgate.models.device import DevicePlatform
from pushgate.models.send import DeliveryJob, JobDevice, SendRecord
from pushgate.providers import PushMessage
from pushgate.repositories.dynamodb.sends import DynamoSendRepository
from pushgate_local.events import sqs_event
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import create_app
from tests.e2e.test_sends import _table, _token, create_active_message, ledger, wait_for_completion

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
DEVICES = 6


def test_a_worker_killed_between_acceptance_and_recording_sends_nothing_twice(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    message_id = create_active_message(admin, org_id)
    send_id = str(uuid.uuid4())
    platforms = [DevicePlatform.IOS if n % 2 else DevicePlatform.ANDROID for n in range(DEVICES)]
    tokens = [_token(platform, "valid", app.app_id, n) for n, platform in enumerate(platforms)]
    job = DeliveryJob(
        job_id="00000",
        org_id=org_id,
        app_id=app.app_id,
        send_id=send_id,
        message_id=message_id,
        message_version=1,
        messages=[PushMessage(title="Crash", body="Sent at most once")],
        devices=[
            JobDevice(
                user_id=f"crash-{n}",
                platform=platform,
                token=token,
                token_sha256=f"{n:064x}",
                tracking_id=f"trk-{n}",
                message=0,
            )
            for n, (platform, token) in enumerate(zip(platforms, tokens, strict=True))
        ],
    )
    DynamoSendRepository(_table(dev_stack)).create(
        SendRecord(
            org_id=org_id,
            send_id=send_id,
            app_id=app.app_id,
            message_id=message_id,
            message_version=1,
            created_at=datetime.now(UTC),
            recipients_accepted=DEVICES,
            recipients_rejected=0,
            devices_targeted=DEVICES,
            recipient_outcomes=0,
            jobs_total=1,
        ),
        [],
    )
    body = job.model_dump_json(exclude_defaults=True)
    queue_arn = dev_stack.resources.queue_arns["DeliveryQueue"]
    message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "crash", "Body": body}
    environment = dev_stack._workers["DeliverPushFunction"]._environment  # the function's own environment

    # Given a worker that got the job and whose notifications the provider accepted
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.crash_worker"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdin is not None and worker.stdout is not None
        request = {"environment": environment, "event": sqs_event([message], queue_arn, dev_stack.config.region)}
        worker.stdin.write(json.dumps(request) + "\n")
        worker.stdin.flush()
        assert worker.stdout.readline().strip() == "ACCEPTED"
        accepted = Counter(n["token"] for n in dev_stack.simulator.notifications() if n["token"] in set(tokens))
        assert accepted == dict.fromkeys(tokens, 1)
    finally:
        # When it dies before recording anything
        worker.kill()
        worker.wait(10)

    # And SQS delivers the message again, to the real handler behind the dev server
    sqs = boto3.client(
        "sqs",
        endpoint_url=dev_stack.aws_url,
        region_name=dev_stack.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # moto accepts any credentials
    )
    sqs.send_message(QueueUrl=dev_stack.resources.queue_urls["DeliveryQueue"], MessageBody=body)

    # Then nothing is sent twice, and every device is recorded as uncertain
    totals = wait_for_completion(admin, org_id, send_id)
    received = Counter(n["token"] for n in dev_stack.simulator.notifications() if n["token"] in set(tokens))
    assert received == dict.fromkeys(tokens, 1)
    assert totals["Sent"] == 0
    assert totals["NotSentReasons"] == {"DeliveryUncertain": DEVICES}
    entries = ledger(admin, org_id, send_id)
    assert len(entries) == DEVICES
    assert {entry["Reason"] for entry in entries} == {"DeliveryUncertain"}
