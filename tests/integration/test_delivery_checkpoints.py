"""Delivery-job checkpoints in DynamoDB Local: who may write them, what a takeover reads, what they cost.

The delivery service runs with the real send repository and in-memory provider clients; every
DynamoDB call reports its consumed capacity, so the write units a checkpoint adds are counted, not
assumed.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from pushgate.adapters.dynamodb.keys import delivery_job_key
from pushgate.adapters.dynamodb.sends import DynamoSendRepository
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.config import PacingPolicy, settings
from pushgate.errors import ConflictError
from pushgate.models.delivery_progress import DELIVERY_WINDOW, DeviceFate, FateKind, JobProgress
from pushgate.models.device import DevicePlatform
from pushgate.models.payloads import apns_id_for
from pushgate.models.push import DeliveryOutcome, Platform, PushMessage, PushRequest, Verdict
from pushgate.models.send import (
    DeliveryJob,
    JobDevice,
    LedgerEntry,
    Outcome,
    SendRecord,
    new_tracking_id,
    new_tracking_key,
)
from pushgate.providers.pacing import ProjectRateLimiter
from pushgate.services.sends.delivery import DeliveryPorts, DeliveryService
from pushgate.services.sends.ports import ClaimState, JobOutcomes
from pushgate.services.sends.send_fanout import JOB_MAX_ANDROID_DEVICES, JOB_MAX_DEVICES
from pushgate_local.provision import ProvisionedResources
from tests.unit.test_delivery import (
    FakeApps,
    FakeCounters,
    FakeCredentials,
    FakeDeviceVerdicts,
    FakeMessages,
    FakeParked,
    FakeQueue,
    _app,
)

NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
ORG, APP = str(uuid.uuid4()), str(uuid.uuid4())


class Meter:
    """Write units per DynamoDB write, from ``ReturnConsumedCapacity=TOTAL`` on every call."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str, float]] = []  # operation, sort key (single-item writes), units
        self._sort_key = ""

    def install(self, client: Any) -> None:
        for operation in ("PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems"):
            client.meta.events.register(f"provide-client-params.dynamodb.{operation}", self._ask)
            client.meta.events.register(f"after-call.dynamodb.{operation}", self._count)

    def _ask(self, params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")
        key = params.get("Key") or params.get("Item") or {}
        self._sort_key = key.get("sk", {}).get("S", "")

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity") or []
        entries = consumed if isinstance(consumed, list) else [consumed]
        self.writes.append((model.name, self._sort_key, sum(entry.get("CapacityUnits", 0.0) for entry in entries)))

    def units(self, operation: str, sort_key_prefix: str = "") -> list[float]:
        return [u for name, key, u in self.writes if name == operation and key.startswith(sort_key_prefix)]


@pytest.fixture
def metered(client: Any, stack_resources: ProvisionedResources) -> Iterator[tuple[MainTable, Meter]]:
    meter = Meter()
    meter.install(client)
    yield MainTable(client, stack_resources.table_names["MainTable"]), meter


class RealisticClient:
    """Answers like APNs (the deterministic apns-id) and FCM (a message name per message)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.requests: list[PushRequest] = []

    def send_batch(self, requests: list[PushRequest]) -> list[DeliveryOutcome]:
        self.requests.extend(requests)
        if self.platform is Platform.APNS:
            ids = [apns_id_for(r.send_id, r.device_token) for r in requests]
        else:
            # As long as FCM's and as random to zlib, but the same for a token each time: a test that
            # sends one job twice stores outcomes of the same size.
            ids = [_fcm_message_name(r.device_token) for r in requests]
        return [DeliveryOutcome(Verdict.DELIVERED, self.platform, 200, provider_message_id=i) for i in ids]


def _fcm_message_name(token: str) -> str:
    digest = hashlib.sha256(token.encode()).digest()
    return f"projects/contoso/messages/0:{int.from_bytes(digest[:8]) % (9 * 10**15) + 10**15}%{digest[8:16].hex()}"


class Providers:
    def __init__(self) -> None:
        self.apns, self.fcm = RealisticClient(Platform.APNS), RealisticClient(Platform.FCM)

    def apns_client(self, app: object) -> RealisticClient:
        return self.apns

    def fcm_client(self, app: object) -> RealisticClient:
        return self.fcm


def _job(send_id: str, platforms: list[DevicePlatform]) -> DeliveryJob:
    tokens = [secrets.token_hex(32) if p is DevicePlatform.IOS else secrets.token_urlsafe(120) for p in platforms]
    tracking_key = new_tracking_key()
    devices = [
        JobDevice(
            user_id=str(uuid.uuid4()),
            platform=platform,
            token=token,
            token_sha256=hashlib.sha256(token.encode()).hexdigest(),
            tracking_id=new_tracking_id(tracking_key),
            message=0,
            tracked=True,
            profile_type="contact",
        )
        for platform, token in zip(platforms, tokens, strict=True)
    ]
    return DeliveryJob(
        job_id="00000",
        org_id=ORG,
        app_id=APP,
        send_id=send_id,
        message_id=str(uuid.uuid4()),
        message_version=1,
        link_base="https://push.example.com/l/",
        messages=[PushMessage(title="Spring sale", body="20% off today", original_link="https://contoso.com/sale")],
        devices=devices,
    )


def _send(sends: DynamoSendRepository, job: DeliveryJob) -> None:
    sends.create(
        SendRecord(
            org_id=ORG,
            send_id=job.send_id,
            app_id=APP,
            message_id=job.message_id,
            message_version=1,
            created_at=NOW,
            recipients_accepted=len(job.devices),
            recipients_rejected=0,
            devices_targeted=len(job.devices),
            recipient_outcomes=0,
            jobs_total=1,
        ),
        [],
        {},
    )


def _run(
    table: MainTable, job: DeliveryJob, window: int, *, sends: DynamoSendRepository | None = None
) -> DynamoSendRepository:
    sends = sends or DynamoSendRepository(table)
    _send(sends, job)
    ports = DeliveryPorts(
        sends=sends,
        apps=FakeApps(_app()),
        messages=FakeMessages(),  # type: ignore[arg-type]
        queue=FakeQueue(),
        parked=FakeParked(),
        devices=FakeDeviceVerdicts(),
        credentials=FakeCredentials(),
        counters=FakeCounters(),  # type: ignore[arg-type]
        providers=Providers(),
    )
    report = DeliveryService(
        ports, fcm_pacer=ProjectRateLimiter(settings(PacingPolicy)), now=lambda: NOW, window=window
    ).run(job)
    assert report.sent == len(job.devices)
    return sends


def _platforms(platforms: str, devices: int) -> list[DevicePlatform]:
    """A job's platforms: all iOS, all Android, or the two interleaved."""
    return {
        "ios": [DevicePlatform.IOS] * devices,
        "android": [DevicePlatform.ANDROID] * devices,
        "mixed": [DevicePlatform.IOS, DevicePlatform.ANDROID] * (devices // 2),
    }[platforms]


@pytest.mark.parametrize("platforms", ["ios", "android", "mixed"])
def test_a_checkpoint_of_a_100_device_job_costs_one_write_unit(
    metered: tuple[MainTable, Meter], platforms: str
) -> None:
    # Given jobs of 100 devices, all iOS, all Android or half each
    table, meter = metered
    kinds = _platforms(platforms, 100)

    # When one is sent in windows as large as a platform's devices and the same job again (its own
    # send; the same devices, so outcomes of the same size) in windows of 25
    job = _job(str(uuid.uuid4()), kinds)
    _run(table, job, window=100)
    single = list(meter.writes)
    meter.writes.clear()
    _run(table, job.model_copy(update={"send_id": str(uuid.uuid4())}), window=25)

    # Then the windows add three checkpoint writes of one unit each (the claim item stays under
    # 1 KB), and nothing else changes: 0.03 write units per notification
    assert meter.units("UpdateItem", "JOB#") == [1.0, 1.0, 1.0]

    def others(writes: list[tuple[str, str, float]]) -> list[tuple[str, float]]:
        return [(name, units) for name, key, units in writes if (name, key[:4]) != ("UpdateItem", "JOB#")]

    assert others(meter.writes) == others(single)


@pytest.mark.parametrize("platforms", ["ios", "android", "mixed"])
def test_every_checkpoint_of_a_full_job_costs_one_write_unit(metered: tuple[MainTable, Meter], platforms: str) -> None:
    # Given the fullest job the packer makes (a broadcast's size), all iOS, all Android (which a
    # job holds fewer of) or half each
    table, meter = metered
    kinds = _platforms(platforms, JOB_MAX_ANDROID_DEVICES if platforms == "android" else JOB_MAX_DEVICES)

    # When it is sent in the windows the worker chooses (at most four a job)
    _run(table, _job(str(uuid.uuid4()), kinds), window=DELIVERY_WINDOW)

    # Then each of its three checkpoints rewrites a claim that stays under 1 KB: the fates of the
    # devices delivered so far are a bitmap per fate, not one record per device
    assert meter.units("UpdateItem", "JOB#") == [1.0, 1.0, 1.0]
    # and so do the claim (put with the first window) and the completion, which rewrites it
    claims = [units for name, key, units in meter.writes if name == "PutItem" and key == "JOB#00000"]
    assert claims == [1.0]
    assert meter.units("TransactWriteItems")[-1] == 2.0


#: The fate of a device the provider accepted.
DELIVERED = DeviceFate(FateKind.ANSWERED, verdict=Verdict.DELIVERED)


def _three_device_send(table: MainTable) -> tuple[DynamoSendRepository, DeliveryJob]:
    """A send of its own with one three-device iOS job, not yet claimed."""
    sends = DynamoSendRepository(table)
    job = _job(str(uuid.uuid4()), [DevicePlatform.IOS] * 3)
    _send(sends, job)
    return sends, job


def test_only_the_run_that_holds_the_claim_may_checkpoint_or_complete(metered: tuple[MainTable, Meter]) -> None:
    table, _ = metered
    sends, job = _three_device_send(table)

    # A fresh claim carries the first window
    assert sends.claim(job, at=NOW, progress=JobProgress("run-a", window=(0,))) is ClaimState.CLAIMED
    assert sends.claim(job, at=NOW, progress=JobProgress("run-b", window=(0,))) is ClaimState.IN_FLIGHT
    assert sends.progress(job) == JobProgress("run-a", window=(0,))

    # Its holder moves on; a takeover names the holder it read, and then the old holder is refused
    assert sends.checkpoint(job, JobProgress("run-a", {0: DELIVERED}, (1,)), expected_owner="run-a")
    found = sends.progress(job)
    assert found == JobProgress("run-a", {0: DELIVERED}, (1,), version=1)
    assert found.resumed() == {0: DELIVERED, 1: DeviceFate(FateKind.UNCERTAIN)}
    assert sends.checkpoint(job, JobProgress("run-b", found.resumed(), (2,)), expected_owner="run-a")
    assert not sends.checkpoint(job, JobProgress("run-a", {0: DELIVERED}, (2,)), expected_owner="run-a")
    entry = LedgerEntry(user_id="u", outcome=Outcome.SENT, at=NOW)
    assert not sends.complete(job, JobOutcomes([entry] * 3), at=NOW, owner="run-a")

    # The holder completes; the checkpoint goes, the job is done
    assert sends.complete(job, JobOutcomes([entry] * 3), at=NOW, owner="run-b")
    stored = table.get(delivery_job_key(ORG, job.send_id, job.job_id))
    assert stored is not None and "progress" not in stored and stored["state"] == ClaimState.DONE.value
    assert sends.progress(job) is None
    assert not sends.checkpoint(job, JobProgress("run-b", {}, ()), expected_owner="run-b")


def test_a_takeover_replaces_only_the_checkpoint_it_read(metered: tuple[MainTable, Meter]) -> None:
    table, _ = metered
    sends, job = _three_device_send(table)
    assert sends.claim(job, at=NOW, progress=JobProgress("run-a", window=(0,))) is ClaimState.CLAIMED

    # A second run reads the claim's own checkpoint (version 0); the holder then writes its next
    read = sends.progress(job)
    assert read is not None and read.version == 0
    assert sends.checkpoint(job, JobProgress("run-a", {0: DELIVERED}, (1,)), expected_owner="run-a")

    # The takeover of what it read is refused, and the holder keeps the job
    assert not sends.checkpoint(
        job, JobProgress("run-b", read.resumed(), (1,)), expected_owner=read.owner, expected_version=read.version
    )
    assert sends.progress(job) == JobProgress("run-a", {0: DELIVERED}, (1,), version=1)

    # Read again, the takeover applies; the next holder's checkpoints count on from it
    again = sends.progress(job)
    assert again is not None
    assert sends.checkpoint(
        job, JobProgress("run-b", again.resumed(), (2,)), expected_owner=again.owner, expected_version=again.version
    )
    assert sends.checkpoint(job, JobProgress("run-b", again.resumed(), ()), expected_owner="run-b")
    assert sends.progress(job) == JobProgress("run-b", again.resumed(), (), version=3)


def test_a_claim_from_before_checkpoints_leaves_every_device_uncertain(metered: tuple[MainTable, Meter]) -> None:
    table, _ = metered
    sends = DynamoSendRepository(table)
    job = _job(str(uuid.uuid4()), [DevicePlatform.IOS, DevicePlatform.ANDROID])
    _send(sends, job)
    assert sends.claim(job, at=NOW) is ClaimState.CLAIMED  # no owner, no checkpoint (an older worker)
    found = sends.progress(job)
    assert found == JobProgress("", window=(0, 1))
    assert sends.checkpoint(job, JobProgress("run-b", found.resumed(), ()), expected_owner="", expected_version=0)
    assert sends.progress(job) == JobProgress("run-b", found.resumed(), (), version=1)


class ContendedTable(MainTable):
    """DynamoDB Local, except that the first transactions are cancelled as a concurrent one would
    cancel them (another job's completion updating the same send record): nothing is written."""

    def __init__(self, table: MainTable, cancellations: int) -> None:
        super().__init__(table._client, table.table_name)
        self.cancellations = cancellations

    def transact_write(self, actions: Any) -> None:
        if self.cancellations:
            self.cancellations -= 1
            raise ConflictError(message="Transaction cancelled: TransactionConflict")
        super().transact_write(actions)


def test_a_completion_cancelled_by_a_concurrent_transaction_is_retried_not_lost(
    metered: tuple[MainTable, Meter],
) -> None:
    table, _ = metered
    job = _job(str(uuid.uuid4()), [DevicePlatform.IOS] * 3)
    _send(DynamoSendRepository(table), job)
    sends = DynamoSendRepository(ContendedTable(table, cancellations=2))
    assert sends.claim(job, at=NOW, progress=JobProgress("run-a", window=(0, 1, 2))) is ClaimState.CLAIMED

    # When the completion transaction is cancelled twice by another job's transaction on the send
    entry = LedgerEntry(user_id="u", outcome=Outcome.SENT, at=NOW)
    assert sends.complete(job, JobOutcomes([entry] * 3), at=NOW, owner="run-a")

    # Then the outcomes are recorded once, with the send's totals
    stored = table.get(delivery_job_key(ORG, job.send_id, job.job_id))
    assert stored is not None and stored["state"] == ClaimState.DONE.value
    send = DynamoSendRepository(table).get(ORG, job.send_id)
    assert send is not None and (send.sent, send.jobs_done) == (3, 1)
    # And a job another run completed meanwhile is not recorded again
    assert not DynamoSendRepository(ContendedTable(table, cancellations=1)).complete(
        job, JobOutcomes([entry] * 3), at=NOW, owner="run-a"
    )


def test_outcomes_are_written_once_outside_the_transaction_and_another_runs_record_is_kept(
    metered: tuple[MainTable, Meter],
) -> None:
    table, meter = metered
    sends = DynamoSendRepository(table)
    job = _job(str(uuid.uuid4()), [DevicePlatform.IOS] * 100)
    _send(sends, job)
    assert sends.claim(job, at=NOW, progress=JobProgress("run-a", window=tuple(range(100)))) is ClaimState.CLAIMED
    sent = [
        LedgerEntry(
            user_id=device.user_id,
            outcome=Outcome.SENT,
            platform=device.platform,
            token_sha256=device.token_sha256,
            tracking_id=device.tracking_id,
            verdict="delivered",
            provider_message_id=apns_id_for(job.send_id, device.token),
            attempts=1,
            at=NOW,
        )
        for device in job.devices
    ]
    # Run a decided every device, recorded them, then lost the claim before completing it
    assert sends.checkpoint(job, JobProgress("run-b", {}, ()), expected_owner="run-a")
    meter.writes.clear()
    assert not sends.complete(job, JobOutcomes(sent), at=NOW, owner="run-a")
    (outcomes_units,) = meter.units("PutItem", "JOB#")
    # The outcomes (about 60 bytes a device: the apns-id derives, the tracking ids share a half) cost
    # their size once; the transaction stays small
    assert outcomes_units <= 7
    assert all(units <= 6 for units in meter.units("TransactWriteItems"))
    # The ledger shows nothing until the claim is done
    assert sends.ledger_page(ORG, job.send_id, limit=1000, next_token=None, outcome=None).entries == []

    # Run b, which took over, completes the claim with run a's record, not its own
    uncertain = [
        entry.model_copy(update={"outcome": Outcome.NOT_SENT, "reason": "DeliveryUncertain"}) for entry in sent
    ]
    assert sends.complete(job, JobOutcomes(uncertain), at=NOW, owner="run-b")
    page = sends.ledger_page(ORG, job.send_id, limit=1000, next_token=None, outcome=None)
    assert page.entries == sent
    stored = sends.get(ORG, job.send_id)
    assert stored is not None and (stored.sent, stored.not_sent, stored.jobs_done) == (100, 0, 1)
    # Paging through the outcomes item gives every entry once
    first = sends.ledger_page(ORG, job.send_id, limit=60, next_token=None, outcome=None)
    rest = sends.ledger_page(ORG, job.send_id, limit=60, next_token=first.next_token, outcome=None)
    assert first.entries + rest.entries == sent and rest.next_token is None
