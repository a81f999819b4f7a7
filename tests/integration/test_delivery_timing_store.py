"""Delivery timing's DynamoDB adapters on DynamoDB Local: cap admissions exact under concurrency,
held jobs and their due index, the release and the cancel against real items, the bench's meter."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.cap_cost import measure_with
from functions.manage_apps import app as manage_apps
from functions.release_scheduled import app as release_scheduled
from pushgate import deps
from pushgate.adapters.dynamodb.delivery_timing import DynamoFrequencyCaps, DynamoHeldJobs
from pushgate.adapters.dynamodb.orgs import DynamoOrgRepository
from pushgate.adapters.dynamodb.sends import DynamoSendRepository
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.delivery_timing import CapRule
from pushgate.models.device import DevicePlatform
from pushgate.models.org import Org
from pushgate.models.send import DeliveryJob, JobDevice, Outcome, SendRecord
from pushgate.services.sends.scheduled import cancel_send, release_due_jobs
from pushgate.services.sends.send_fanout import SendStores
from pushgate_local.provision import ProvisionedResources
from tests.conftest import load_event

AT = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
DAY = 24 * 3600


def test_racing_sends_never_exceed_the_cap(table: MainTable) -> None:
    caps = DynamoFrequencyCaps(table)
    org, app, user = str(uuid.uuid4()), str(uuid.uuid4()), "racer"
    rule = CapRule(scope="*", max_notifications=3, period_s=DAY)

    with ThreadPoolExecutor(max_workers=12) as pool:
        verdicts = list(
            pool.map(lambda n: caps.admit(org, app, user, send_id=f"send-{n}", at=AT, rules=[rule]), range(12))
        )

    assert sum(verdicts) == 3
    admitted = [f"send-{n}" for n, ok in enumerate(verdicts) if ok]
    # An admitted send asking again (a redelivered job) is admitted without counting twice.
    assert caps.admit(org, app, user, send_id=admitted[0], at=AT, rules=[rule])
    assert not caps.admit(org, app, user, send_id="send-late", at=AT + timedelta(hours=1), rules=[rule])
    # The window rolls: a day after the first three, a slot is free again.
    assert caps.admit(org, app, user, send_id="send-tomorrow", at=AT + timedelta(days=1, seconds=1), rules=[rule])


def test_a_category_cap_and_the_overall_cap_are_checked_together(table: MainTable) -> None:
    caps = DynamoFrequencyCaps(table)
    org, app = str(uuid.uuid4()), str(uuid.uuid4())
    overall = CapRule(scope="*", max_notifications=2, period_s=DAY)
    promotions = CapRule(scope="category:promotions", max_notifications=1, period_s=DAY)
    assert caps.admit(org, app, "u", send_id="p1", at=AT, rules=[overall, promotions])
    assert not caps.admit(org, app, "u", send_id="p2", at=AT, rules=[overall, promotions])
    assert caps.admit(org, app, "u", send_id="n1", at=AT, rules=[overall])
    assert not caps.admit(org, app, "u", send_id="n2", at=AT, rules=[overall])


def _job(org: str, send: str, number: int, due: datetime, devices: int = 2) -> DeliveryJob:
    return DeliveryJob(
        job_id=f"{number:05d}",
        org_id=org,
        app_id=str(uuid.uuid4()),
        send_id=send,
        message_id=str(uuid.uuid4()),
        message_version=1,
        messages=[],
        devices=[
            JobDevice(
                user_id=f"user-{number}-{d}",
                platform=DevicePlatform.ANDROID,
                token=f"tok-{number}-{d}",
                token_sha256=f"{number:02d}{d:02d}" + "0" * 60,
                tracking_id=str(uuid.uuid4()),
                message=0,
            )
            for d in range(devices)
        ],
        due_at=int(due.timestamp()),
    )


class RecordingQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    def send(self, jobs: Sequence[DeliveryJob], *, delay_seconds: int = 0) -> None:
        self.sent.extend((job.job_id, delay_seconds) for job in jobs)


def _record(org: str, send: str, jobs: list[DeliveryJob]) -> SendRecord:
    return SendRecord(
        org_id=org,
        send_id=send,
        app_id=jobs[0].app_id,
        message_id=jobs[0].message_id,
        message_version=1,
        created_at=AT,
        recipients_accepted=sum(len(j.devices) for j in jobs),
        recipients_rejected=0,
        devices_targeted=sum(len(j.devices) for j in jobs),
        recipient_outcomes=0,
        jobs_total=len(jobs),
        scheduled={"2026-12-10T10:00:00Z": 2, "2026-12-10T12:00:00Z": 2},
        scheduled_recipients={"2026-12-10T10:00:00Z": 2, "2026-12-10T12:00:00Z": 2},
    )


def test_held_jobs_are_released_when_due_and_canceled_with_their_send(table: MainTable) -> None:
    org, send = str(uuid.uuid4()), str(uuid.uuid4())
    held, sends, queue = DynamoHeldJobs(table), DynamoSendRepository(table), RecordingQueue()
    soon = _job(org, send, 0, AT + timedelta(hours=1, seconds=30))
    later = _job(org, send, 1, AT + timedelta(hours=3))
    sends.create(_record(org, send, [soon, later]), [], {})
    held.hold([soon, later])
    assert {j.job_id for j in held.of_send(org, send)} == {"00000", "00001"}

    nothing = release_due_jobs(held=held, queue=queue, sends=sends, now=lambda: AT)
    assert (nothing.jobs, queue.sent) == (0, [])
    # Within the minute before it is due: enqueued with the seconds that remain.
    report = release_due_jobs(held=held, queue=queue, sends=sends, now=lambda: AT + timedelta(hours=1))
    assert (report.jobs, report.devices, queue.sent) == (1, 2, [("00000", 30)])
    record = sends.get(org, send)
    assert record is not None and record.released == {"2026-12-10T10:00:00Z": 2}
    assert [j.job_id for j in held.of_send(org, send)] == ["00001"]

    orgs = DynamoOrgRepository(table)
    orgs.create(Org(org_id=org, name="o", created_at=AT))
    stores = SendStores(
        orgs=orgs,
        apps=None,  # type: ignore[arg-type]
        messages=None,  # type: ignore[arg-type]
        people=None,  # type: ignore[arg-type]
        sends=sends,
        queue=queue,
        parked=None,  # type: ignore[arg-type]
        recipient_devices=None,  # type: ignore[arg-type]
        held=held,
    )
    canceled = cancel_send(org, send, stores=stores, now=lambda: AT + timedelta(hours=2))
    assert canceled.canceled_at is not None and sends.is_canceled(org, send)
    assert canceled.not_sent_reasons == {"Canceled": 2}
    assert held.of_send(org, send) == []
    entries = sends.ledger_page(org, send, limit=10, next_token=None, outcome=Outcome.NOT_SENT).entries
    assert sorted(e.user_id for e in entries) == ["user-1-0", "user-1-1"]
    # The released job runs later and finds the mark: its delivery worker records Canceled (see e2e).
    assert release_due_jobs(held=held, queue=queue, sends=sends, now=lambda: AT + timedelta(hours=4)).jobs == 0


def test_the_bench_measures_the_cap_check_units(client: Any, stack_resources: ProvisionedResources) -> None:
    figures = measure_with(client, stack_resources.table_names["MainTable"], people=10)
    assert figures["first"]["write_units_per_notification"] == 1.0
    assert figures["capped"]["write_units_per_notification"] == 0.0
    assert figures["capped"]["read_units_per_notification"] >= 0.5
    assert figures["contended"]["admitted_per_person"] == 1.0


def test_the_release_function_and_the_delivery_policy_route_through_their_handlers(
    aws_env: ProvisionedResources, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELIVERY_QUEUE_URL", aws_env.queue_urls["DeliveryQueue"])
    monkeypatch.setenv("SECRETS_PREFIX", "pushgate-test/")
    deps.reset()
    assert release_scheduled.lambda_handler(load_event("release_scheduled/every_minute.json"), lambda_context) == {
        "ReleasedJobs": 0,
        "ReleasedDevices": 0,
    }
    # The sample names an org and app that do not exist here: the policy route answers 404, not 500.
    response = manage_apps.lambda_handler(load_event("manage_apps/put_delivery_policy.json"), lambda_context)
    assert response["statusCode"] == 404
