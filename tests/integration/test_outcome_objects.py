"""Job outcomes as S3 objects (moto server) beside claims in DynamoDB Local.

The same job is delivered through a repository that keeps outcomes in the table and through one
that keeps them in the ledger bucket: the ledger pages, the tracking-id lookup and the send's
totals answer the same, and the table holds no outcomes item for the second.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pushgate.adapters.dynamodb.interactions import DynamoTrackedNotifications
from pushgate.adapters.dynamodb.keys import delivery_job_key, job_outcomes_key, send_partition
from pushgate.adapters.dynamodb.ledger_codec import decode_entries, encode_entries
from pushgate.adapters.dynamodb.sends import DynamoSendRepository
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.adapters.s3_outcomes import S3JobOutcomes, outcomes_object_key
from pushgate.errors import DependencyError
from pushgate.models.delivery_progress import JobProgress
from pushgate.models.device import DevicePlatform
from pushgate.models.send import LedgerEntry, Outcome, TrackingRef
from pushgate.services.sends.ports import ClaimState, JobOutcomes
from pushgate_local.provision import ProvisionedResources
from tests.integration.test_delivery_checkpoints import NOW, ORG, _job, _run, _send


@pytest.fixture
def bucket(stack_resources: ProvisionedResources) -> str:
    """The ledger bucket the local stack created from the template."""
    return stack_resources.bucket_names["LedgerBucket"]


@pytest.fixture
def objects(s3: Any, bucket: str) -> S3JobOutcomes:
    return S3JobOutcomes(lambda: s3, bucket)


def _entries(repository: DynamoSendRepository, send_id: str) -> list[LedgerEntry]:
    page = repository.ledger_page(ORG, send_id, limit=1000, next_token=None, outcome=None)
    assert page.next_token is None
    return page.entries


def test_a_job_in_the_bucket_reads_as_the_same_job_in_the_table(
    table: MainTable, s3: Any, bucket: str, objects: S3JobOutcomes
) -> None:
    # Given one job of iOS and Android devices, delivered once with outcomes in the table and once
    # (its own send, the same devices) with outcomes in the bucket
    job = _job(str(uuid.uuid4()), [DevicePlatform.IOS, DevicePlatform.ANDROID] * 30)
    in_table = _run(table, job, window=25)
    in_bucket_job = job.model_copy(update={"send_id": str(uuid.uuid4())})
    in_bucket = _run(table, in_bucket_job, window=25, sends=DynamoSendRepository(table, outcome_objects=objects))

    # Then the bucket holds the job's object and the table no outcomes item for it; the claim says so
    key = outcomes_object_key(ORG, in_bucket_job.send_id, in_bucket_job.job_id)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert len(decode_entries(body, in_bucket_job.send_id)) == 60
    assert table.get(job_outcomes_key(ORG, in_bucket_job.send_id, in_bucket_job.job_id)) is None
    assert table.get(job_outcomes_key(ORG, job.send_id, job.job_id)) is not None
    claim = table.get(delivery_job_key(ORG, in_bucket_job.send_id, in_bucket_job.job_id))
    assert claim is not None and claim["state"] == ClaimState.DONE.value and claim["outcomes_in"] == "s3"

    # And the ledger answers the same entries (but their send's apns-ids) and the same totals,
    # whichever repository reads the table
    def comparable(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
        return [e.model_dump(exclude={"provider_message_id"}) for e in entries]

    table_entries = _entries(in_table, job.send_id)
    assert len(table_entries) == 60
    assert comparable(_entries(in_bucket, in_bucket_job.send_id)) == comparable(table_entries)
    assert comparable(_entries(DynamoSendRepository(table, outcome_objects=objects), job.send_id)) == comparable(
        table_entries
    )
    first, second = in_table.get(ORG, job.send_id), in_bucket.get(ORG, in_bucket_job.send_id)
    assert first is not None and second is not None
    assert (second.sent, second.not_sent, second.completed) == (first.sent, first.not_sent, True) == (60, 0, True)

    # And pages of any size walk the job's object without losing or repeating an entry
    walked, token = [], None
    while True:
        page = in_bucket.ledger_page(ORG, in_bucket_job.send_id, limit=7, next_token=token, outcome=Outcome.SENT)
        walked.extend(page.entries)
        if page.next_token is None:
            break
        token = page.next_token
    assert comparable(walked) == comparable(_entries(in_bucket, in_bucket_job.send_id))


def test_a_tracking_id_resolves_from_the_jobs_object(table: MainTable, objects: S3JobOutcomes) -> None:
    # Given a job delivered with its outcomes in the bucket
    job = _job(str(uuid.uuid4()), [DevicePlatform.IOS] * 5)
    sends = _run(table, job, window=25, sends=DynamoSendRepository(table, outcome_objects=objects))
    notifications = DynamoTrackedNotifications(table, sends)
    ref = TrackingRef(org_id=ORG, send_id=job.send_id, job_id=job.job_id)

    # When each device's tracking id is looked up, then its own entry answers, with the send's context
    for device in job.devices:
        found = notifications.find(ref, device.tracking_id)
        assert found is not None
        assert (found.entry.token_sha256, found.message_id, found.app_id) == (
            device.token_sha256,
            job.message_id,
            job.app_id,
        )
    # And an id the job never carried resolves to nothing
    assert notifications.find(ref, str(uuid.uuid4())) is None


def test_a_run_that_finds_the_object_completes_with_the_outcomes_recorded_first(
    table: MainTable, objects: S3JobOutcomes
) -> None:
    # Given a job whose first run recorded its outcomes (all Sent) in the bucket, then lost the claim
    sends = DynamoSendRepository(table, outcome_objects=objects)
    job = _job(str(uuid.uuid4()), [DevicePlatform.IOS] * 3)
    _send(sends, job)
    assert sends.claim(job, at=NOW, progress=JobProgress("run-a", window=(0, 1, 2))) is ClaimState.CLAIMED
    sent = [LedgerEntry(user_id=d.user_id, outcome=Outcome.SENT, at=NOW) for d in job.devices]
    assert objects.put_new(ORG, job.send_id, job.job_id, _encoded(sent, job.send_id))
    assert sends.checkpoint(job, JobProgress("run-b", {}, ()), expected_owner="run-a")

    # When the run that took it over completes it with other outcomes (it judged them uncertain)
    uncertain = [
        LedgerEntry(user_id=d.user_id, outcome=Outcome.NOT_SENT, reason="DeliveryUncertain", at=NOW)
        for d in job.devices
    ]
    assert sends.complete(job, JobOutcomes(uncertain), at=NOW, owner="run-b")

    # Then what was recorded first stands, in the ledger and in the totals
    assert [e.outcome for e in _entries(sends, job.send_id)] == [Outcome.SENT] * 3
    record = sends.get(ORG, job.send_id)
    assert record is not None and (record.sent, record.not_sent) == (3, 0)


def test_an_expired_object_leaves_its_job_out_and_a_leftover_item_is_not_read_twice(
    table: MainTable, s3: Any, bucket: str, objects: S3JobOutcomes
) -> None:
    # Given a send of two jobs with outcomes in the bucket
    sends = DynamoSendRepository(table, outcome_objects=objects)
    first = _job(str(uuid.uuid4()), [DevicePlatform.IOS] * 2)
    second = first.model_copy(update={"job_id": "00001"})
    _send(sends, first)
    for job in (first, second):
        assert sends.claim(job, at=NOW) is ClaimState.CLAIMED
        entries = [LedgerEntry(user_id=d.user_id, outcome=Outcome.SENT, at=NOW) for d in job.devices]
        assert sends.complete(job, JobOutcomes(entries), at=NOW)
    # And an outcomes item beside the first claim, as a run of the previous version could leave
    # when it recorded the job and stopped before completing it
    leftover = LedgerEntry(user_id="someone-else", outcome=Outcome.SENT, at=NOW)
    table.put(
        job_outcomes_key(ORG, first.send_id, first.job_id),
        {"type": "DeliveryJobOutcomes", "owner": "", "entries": _encoded([leftover], first.send_id)},
    )
    assert len(_entries(sends, first.send_id)) == 4

    # When the bucket's lifecycle removes the first job's object
    s3.delete_object(Bucket=bucket, Key=outcomes_object_key(ORG, first.send_id, first.job_id))

    # Then the ledger lists the second job's entries only: the claim names the bucket, so the item is not read
    assert [e.user_id for e in _entries(sends, first.send_id)] == [d.user_id for d in second.devices]
    assert table.query_prefix(send_partition(ORG, first.send_id), "JOB#")[0]

    # And a repository without the bucket cannot pretend the job has no outcomes
    with pytest.raises(DependencyError):
        _entries(DynamoSendRepository(table), first.send_id)


def test_s3_failures_are_dependency_errors(table: MainTable, s3: Any) -> None:
    # Given a store whose bucket does not exist
    missing = S3JobOutcomes(lambda: s3, f"no-such-bucket-{uuid.uuid4().hex[:8]}")

    # Then neither a write nor a read is mistaken for "already recorded" or "expired"
    with pytest.raises(DependencyError):
        missing.put_new(ORG, "send", "job", b"x")
    with pytest.raises(DependencyError):
        missing.get(ORG, "send", "job")


def _encoded(entries: list[LedgerEntry], send_id: str) -> bytes:
    return encode_entries(entries, send_id)
