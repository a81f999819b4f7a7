"""A deliver_push worker killed mid-job, under both settings of the app's ``UncertainDelivery``.

The send goes in over the API (the app's delivery policy set over the API too) and is scheduled an
hour ahead, so the fan-out's delivery job, stamped with the app's setting at acceptance, waits in
DynamoDB; the test takes it from there as the release function would and runs it in a worker
process of its own (``crash_worker.py``: the real handler, the real adapters, the simulator) that
is killed at a chosen point. The same SQS message is then delivered again to the dev server's
DeliverPushFunction, which finds the job's claim in flight, keeps the fates its checkpoint
recorded, sends every device never handed over, and treats the window that was on the wire at the
kill as the setting says: ``Skip`` records it ``NotSent`` / ``DeliveryUncertain``,
``ResendCollapsed`` sends it again under the collapse ids its first copies carried.

Measured per case, from the simulator: **lost** (devices that received nothing), **duplicated on
the wire** (copies beyond the first a device received) and **duplicated on screen** (beyond the
first, once notifications with the same collapse id are counted once, ``GET /sim/screen``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from pushgate.adapters.dynamodb.delivery_timing import DynamoHeldJobs
from pushgate.adapters.dynamodb.sends import DynamoSendRepository
from pushgate.models.device import DevicePlatform
from pushgate.models.payloads import apns_id_for
from pushgate.models.send import DeliveryJob
from pushgate_local.events import sqs_event
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, create_app
from tests.e2e.test_delivery_retries import seed_people
from tests.e2e.test_sends import _table, _token, ledger, wait_for_completion

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]


def _received(dev_stack: LocalRuntime, tokens: list[str]) -> Counter[str]:
    assert dev_stack.simulator is not None
    wanted = set(tokens)
    return Counter(n["token"] for n in dev_stack.simulator.notifications() if n["token"] in wanted)


def _measure(dev_stack: LocalRuntime, tokens: list[str]) -> dict[str, int]:
    """Lost, duplicated on the wire and duplicated on screen, from the simulator's record."""
    assert dev_stack.simulator is not None
    wire = _received(dev_stack, tokens)
    screen = dev_stack.simulator.screen_counts()
    return {
        "devices": len(tokens),
        "lost": sum(1 for token in tokens if wire[token] == 0),
        "duplicated_on_wire": sum(max(0, wire[token] - 1) for token in tokens),
        "duplicated_on_screen": sum(max(0, screen.get(token, 0) - 1) for token in tokens),
    }


def _scheduled_job(
    dev_stack: LocalRuntime, admin: httpx.Client, app: RegisteredApp, users: list[str], message_id: str
) -> DeliveryJob:
    """The fan-out's one job of a send scheduled an hour ahead, taken out of DynamoDB as the release would."""
    now = datetime.fromisoformat(admin.get("/_local/clock").json()["Now"])
    accepted = admin.post(
        f"/admin/v1/orgs/{app.org_id}/sends",
        json={
            "MobileAppId": app.app_id,
            "MessageId": message_id,
            "Recipients": [{"UserId": user} for user in users],
            "SendAt": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert accepted.status_code == 202, accepted.text
    held = DynamoHeldJobs(_table(dev_stack))
    (job,) = held.of_send(app.org_id, accepted.json()["SendId"])
    assert held.remove(job)
    return job.model_copy(update={"due_at": None})


def _create_message(admin: httpx.Client, org_id: str) -> str:
    created = admin.post(
        f"/admin/v1/orgs/{org_id}/pushmessages",
        # Android notification messages: the system draws them, so a tag collapses them on screen.
        json={"Name": "Crash", "Title": "Crash", "Body": "Shown once", "Android": {"Notification": True}},
    )
    assert created.status_code == 201, created.text
    message_id = str(created.json()["MessageId"])
    assert admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate").status_code == 200
    return message_id


def _run_and_kill(dev_stack: LocalRuntime, job: DeliveryJob, kill_at: str) -> None:
    """Runs the job in a worker process and kills it at ``kill_at`` (after the provider accepted what it got)."""
    message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "crash", "Body": job.model_dump_json()}
    queue_arn = dev_stack.resources.queue_arns["DeliveryQueue"]
    environment = dev_stack._workers["DeliverPushFunction"]._environment  # the function's own environment
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
        worker.kill()  # kill -9
        worker.wait(10)


def _redeliver(dev_stack: LocalRuntime, job: DeliveryJob) -> None:
    """SQS delivers the job's message again, to the real handler behind the dev server."""
    sqs = boto3.client(
        "sqs",
        endpoint_url=dev_stack.aws_url,
        region_name=dev_stack.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # moto accepts any credentials
    )
    sqs.send_message(QueueUrl=dev_stack.resources.queue_urls["DeliveryQueue"], MessageBody=job.model_dump_json())


@pytest.mark.parametrize("setting", ["Skip", "ResendCollapsed"])
@pytest.mark.parametrize(
    ("devices", "kill_at"),
    [
        # 100 devices, 50 per platform, in windows of 25: killed at the second checkpoint, i.e. with
        # two windows accepted by the provider and only the first one's answers recorded
        (100, "checkpoint:2"),
        # killed in the middle of the second window: half of it reached the provider, half never left
        (100, "window:2"),
        # 6 devices in one window per platform: killed after the provider accepted all of them
        (6, "complete"),
    ],
)
def test_a_worker_killed_mid_job_loses_or_duplicates_on_screen_nothing_the_setting_does_not_allow(
    dev_stack: LocalRuntime,
    admin: httpx.Client,
    org_id: str,
    devices: int,
    kill_at: str,
    setting: str,
    record_property: Any,
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    policy = admin.put(
        f"/admin/v1/orgs/{org_id}/mobileapps/{app.app_id}/delivery-policy", json={"UncertainDelivery": setting}
    )
    assert policy.status_code == 200 and policy.json()["UncertainDelivery"] == setting, policy.text
    platforms = [DevicePlatform.IOS if n % 2 else DevicePlatform.ANDROID for n in range(devices)]
    tokens = [_token(platform, "valid", app.app_id, n) for n, platform in enumerate(platforms)]
    users = seed_people(dev_stack, app, list(zip(platforms, tokens, strict=True)))
    job = _scheduled_job(dev_stack, admin, app, users, _create_message(admin, org_id))
    assert job.resend_uncertain is (setting == "ResendCollapsed")
    token_of = {device.token_sha256: device.token for device in job.devices}

    # Given a worker that got the job, handed some of it to the provider, and was killed
    _run_and_kill(dev_stack, job, kill_at)
    accepted = _received(dev_stack, tokens)
    assert set(accepted.values()) == {1}
    stored = DynamoSendRepository(_table(dev_stack)).progress(job)
    assert stored is not None
    on_the_wire = {job.devices[index].token for index in stored.window}  # handed over, answers unrecorded
    recorded = {job.devices[index].token for index in stored.fates}
    never_handed = set(tokens) - set(accepted) - on_the_wire
    assert 0 < len(on_the_wire) <= 25 and on_the_wire.isdisjoint(recorded)
    assert set(accepted) == recorded | (on_the_wire & set(accepted))
    if kill_at != "complete":
        assert never_handed, "the kill must come before the job was fully handed over"
    if kill_at.startswith("window:"):
        assert on_the_wire - set(accepted), "half of the window never left"

    # When SQS delivers the message again
    _redeliver(dev_stack, job)
    totals = wait_for_completion(admin, org_id, job.send_id)

    # Then what each device got and shows is what the setting promises
    measured = _measure(dev_stack, tokens)
    record_property("uncertain_delivery", {"setting": setting, "kill_at": kill_at, **measured})
    print(f"UncertainDelivery={setting} kill_at={kill_at}: {measured}")  # noqa: T201 - the test's report
    entries = ledger(admin, org_id, job.send_id)
    assert len(entries) == devices
    by_token = {token_of[entry["DeviceTokenSha256"]]: entry for entry in entries}
    uncertain = {token for token, entry in by_token.items() if entry.get("Reason") == "DeliveryUncertain"}
    reached_then_unrecorded = on_the_wire & set(accepted)
    if setting == "Skip":
        # nothing twice, on the wire or on screen; what was on the wire but never left is lost for good
        assert measured["duplicated_on_wire"] == measured["duplicated_on_screen"] == 0
        assert measured["lost"] == len(on_the_wire - set(accepted))
        assert uncertain == on_the_wire
        assert totals["NotSentReasons"] == {"DeliveryUncertain": len(on_the_wire)}
        assert _received(dev_stack, tokens) == dict.fromkeys(set(tokens) - (on_the_wire - set(accepted)), 1)
    else:
        # every device got it, and shows it once: the window was sent again under the same collapse ids
        assert measured["lost"] == measured["duplicated_on_screen"] == 0
        assert measured["duplicated_on_wire"] == len(reached_then_unrecorded)
        assert not uncertain
        assert totals["Sent"] == devices
        for notification in dev_stack.simulator.notifications():
            if notification["token"] in set(tokens):
                assert notification["collapse_id"] == apns_id_for(job.send_id, notification["token"])
    assert never_handed <= {token for token, entry in by_token.items() if entry["Outcome"] == "Sent"}
    assert {token for token, entry in by_token.items() if entry["Outcome"] == "Sent"} == set(tokens) - uncertain
