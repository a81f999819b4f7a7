"""A deliver_push worker killed mid-job: its successor sends what was never handed over, nothing twice.

The job runs in a worker process of its own (``crash_worker.py``: the real handler, the real
adapters, the simulator) that is killed at a chosen write. The same SQS message is then delivered
again to the dev server's DeliverPushFunction, which finds the job's claim in flight, keeps the
fates its checkpoint recorded, records ``NotSent`` / ``DeliveryUncertain`` only for the devices that
were on the wire and unrecorded at the kill, and sends the rest. The provider simulator's record
(``GET /sim/notifications``) shows every device received exactly once.
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

from pushgate.models.delivery_progress import DELIVERY_WINDOW
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


def _received(dev_stack: LocalRuntime, tokens: list[str]) -> Counter[str]:
    assert dev_stack.simulator is not None
    wanted = set(tokens)
    return Counter(n["token"] for n in dev_stack.simulator.notifications() if n["token"] in wanted)


@pytest.mark.parametrize(
    ("devices", "kill_at"),
    [
        # 100 devices, 50 per platform, in windows of 25: killed at the second checkpoint, i.e. with
        # two windows accepted by the provider and only the first one's answers recorded
        (100, "checkpoint:2"),
        # 6 devices in one window per platform: killed after the provider accepted all of them
        (6, "complete"),
    ],
)
def test_a_worker_killed_mid_job_leaves_only_its_unrecorded_requests_uncertain_and_sends_nothing_twice(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str, devices: int, kill_at: str
) -> None:
    app = create_app(admin, org_id)
    message_id = create_active_message(admin, org_id)
    send_id = str(uuid.uuid4())
    platforms = [DevicePlatform.IOS if n % 2 else DevicePlatform.ANDROID for n in range(devices)]
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
    sends = DynamoSendRepository(_table(dev_stack))
    sends.create(
        SendRecord(
            org_id=org_id,
            send_id=send_id,
            app_id=app.app_id,
            message_id=message_id,
            message_version=1,
            created_at=datetime.now(UTC),
            recipients_accepted=devices,
            recipients_rejected=0,
            devices_targeted=devices,
            recipient_outcomes=0,
            jobs_total=1,
        ),
        [],
        {},
    )
    body = job.model_dump_json(exclude_defaults=True)
    queue_arn = dev_stack.resources.queue_arns["DeliveryQueue"]
    message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "crash", "Body": body}
    environment = dev_stack._workers["DeliverPushFunction"]._environment  # the function's own environment

    # Given a worker that got the job and handed some of it to the provider
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.crash_worker"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdin is not None and worker.stdout is not None
        event = sqs_event([message], queue_arn, dev_stack.config.region)
        worker.stdin.write(json.dumps({"environment": environment, "event": event, "kill_at": kill_at}) + "\n")
        worker.stdin.flush()
        assert worker.stdout.readline().strip() == "ACCEPTED"
    finally:
        # When it dies before recording what it sent last
        worker.kill()
        worker.wait(10)
    accepted = _received(dev_stack, tokens)
    assert set(accepted.values()) == {1}
    stored = sends.progress(job)
    assert stored is not None
    recorded = {tokens[index] for index in stored.fates}
    in_flight_at_kill = set(accepted) - recorded
    never_handed = set(tokens) - set(accepted)
    assert in_flight_at_kill and len(in_flight_at_kill) <= DELIVERY_WINDOW  # one window is on the wire at a time
    if kill_at != "complete":
        assert never_handed, "the kill must come before the job was fully handed over"

    # And SQS delivers the message again, to the real handler behind the dev server
    sqs = boto3.client(
        "sqs",
        endpoint_url=dev_stack.aws_url,
        region_name=dev_stack.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # moto accepts any credentials
    )
    sqs.send_message(QueueUrl=dev_stack.resources.queue_urls["DeliveryQueue"], MessageBody=body)

    # Then every device was received exactly once: those never handed over were sent after the crash
    totals = wait_for_completion(admin, org_id, send_id)
    assert _received(dev_stack, tokens) == dict.fromkeys(tokens, 1)

    # And only requests that were on the wire and unrecorded at the kill are uncertain
    entries = ledger(admin, org_id, send_id)
    assert len(entries) == devices
    by_token = {tokens[int(entry["DeviceTokenSha256"], 16)]: entry for entry in entries}
    uncertain = {token for token, entry in by_token.items() if entry.get("Reason") == "DeliveryUncertain"}
    assert uncertain <= in_flight_at_kill
    assert len(uncertain) <= len(in_flight_at_kill)
    assert {token for token, entry in by_token.items() if entry["Outcome"] == "Sent"} == set(tokens) - uncertain
    assert never_handed <= set(by_token) - uncertain
    assert totals["Sent"] == devices - len(uncertain)
    assert totals["NotSentReasons"] == ({"DeliveryUncertain": len(uncertain)} if uncertain else {})
