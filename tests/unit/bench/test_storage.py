"""DynamoDB's item size rules and the ledger bucket's objects, as the W5 storage terms count them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bench import cost, storage, w6


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "abc"}, 3),
        ({"S": "é"}, 2),  # UTF-8 bytes
        ({"B": b"\x00" * 32}, 32),
        # Numbers, as DynamoDB Local bills them: base-100 digit pairs on the decimal point, plus 1
        # (plus 1 more when negative); every case here was probed against the engine.
        ({"N": "0"}, 1),
        ({"N": "7"}, 2),
        ({"N": "100"}, 2),
        ({"N": "123"}, 3),
        ({"N": "12345"}, 4),
        ({"N": "123456789"}, 6),
        ({"N": "-123"}, 4),
        ({"N": "0.5"}, 2),
        ({"N": "0.00125"}, 3),
        ({"N": "-0.00125"}, 4),
        ({"N": "12.34"}, 3),
        ({"N": "1700000000"}, 2),
        ({"N": "17000000001234"}, 8),
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"SS": ["ab", "cde"]}, 5),
        ({"L": [{"S": "ab"}, {"N": "7"}]}, 3 + (1 + 2) + (1 + 2)),
        ({"M": {"k": {"S": "vv"}, "n": {"BOOL": False}}}, 3 + (1 + 1 + 2) + (1 + 1 + 1)),
    ],
)
def test_attribute_values_are_sized_by_dynamodb_rules(value: dict[str, object], size: int) -> None:
    assert storage.attribute_bytes(value) == size


def test_an_item_is_its_names_and_values_plus_the_indexing_overhead() -> None:
    item = {"pk": {"S": "SEND#o#s"}, "sk": {"S": "JOB#1"}, "entries": {"B": b"x" * 500}}

    assert storage.item_bytes(item) == 100 + (2 + 8) + (2 + 5) + (7 + 500)


def test_the_ledger_is_priced_for_its_retention_apart_from_the_requests() -> None:
    # 64 bytes a notification kept 90 days: 59.6 MB-equivalents of a GB for ~2.96 months at $0.25.
    priced = cost.ledger_storage({"items": 2_000, "bytes": 64 * 100_000}, 100_000, 90)

    assert priced is not None
    assert priced["bytes_per_notification"] == 64
    assert priced["items_per_notification"] == pytest.approx(0.02)
    assert priced["usd_per_m"] == pytest.approx(64e6 / 2**30 * 90 / 30.44 * 0.25)
    assert cost.ledger_storage({}, 100_000, 90) is None


def test_the_ledger_s_objects_are_priced_at_s3_standard_apart_from_its_items() -> None:
    # 20 B of items and 60 B of outcome objects a notification, kept 90 days: $0.25 and $0.023 per GB-month.
    stored = {"items": 200, "bytes": 20 * 100_000, "s3_objects": 1_000, "s3_bytes": 60 * 100_000}

    priced = cost.ledger_storage(stored, 100_000, 90)

    assert priced is not None
    assert priced["bytes_per_notification"] == 20
    assert priced["usd_per_m"] == pytest.approx(20e6 / 2**30 * 90 / 30.44 * 0.25)
    assert priced["s3_bytes_per_notification"] == 60
    assert priced["s3_objects_per_notification"] == pytest.approx(0.01)
    assert priced["s3_usd_per_m"] == pytest.approx(60e6 / 2**30 * 90 / 30.44 * 0.023)


def test_a_ledger_without_s3_objects_prices_zero_s3_bytes() -> None:
    # A stack without a ledger bucket, and a results file recorded before there was one.
    for stored in (
        {"items": 200, "bytes": 6_400_000, "s3_objects": 0, "s3_bytes": 0},
        {"items": 200, "bytes": 6_400_000},
    ):
        priced = cost.ledger_storage(stored, 100_000, 90)

        assert priced is not None
        assert priced["s3_usd_per_m"] == 0.0
        assert priced["usd_per_m"] == pytest.approx(64e6 / 2**30 * 90 / 30.44 * 0.25)


def test_the_objects_of_the_sends_folders_are_counted_and_sized() -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="ledger")
        for key, size in (("outcomes/o/s1/j1", 600), ("outcomes/o/s1/j2", 420), ("outcomes/o/s2/j1", 60)):
            s3.put_object(Bucket="ledger", Key=key, Body=b"x" * size)
        s3.put_object(Bucket="ledger", Key="outcomes/o/s10/j1", Body=b"x" * 5000)  # another send, same start

        stored = storage.stored_objects(s3, "ledger", ["outcomes/o/s1/", "outcomes/o/s2/"])

    assert stored == {"objects": 3, "bytes": 600 + 420 + 60}


def test_a_listing_is_followed_page_by_page() -> None:
    pages = [
        {"Contents": [{"Size": 100}, {"Size": 200}], "IsTruncated": True, "NextContinuationToken": "next"},
        {"Contents": [{"Size": 300}], "IsTruncated": False},
    ]
    requests: list[dict[str, Any]] = []

    def list_objects_v2(**request: Any) -> dict[str, Any]:
        requests.append(dict(request))
        return pages[len(requests) - 1]

    stored = storage.stored_objects(SimpleNamespace(list_objects_v2=list_objects_v2), "ledger", ["outcomes/o/s/"])

    assert stored == {"objects": 3, "bytes": 600}
    assert requests[1] == {"Bucket": "ledger", "Prefix": "outcomes/o/s/", "ContinuationToken": "next"}


def test_w6_finds_no_outcome_objects_in_a_stack_without_a_ledger_bucket() -> None:
    # A template without the bucket: the runtime created none
    runtime: Any = SimpleNamespace(resources=SimpleNamespace(table_names={"MainTable": "t"}, bucket_names={}))

    assert w6._stored_outcome_objects(runtime, "o", ["s1"]) == {"objects": 0, "bytes": 0}


def test_w6_lists_each_send_s_folder_of_the_stack_s_ledger_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    runtime: Any = SimpleNamespace(
        resources=SimpleNamespace(bucket_names={"LedgerBucket": "pushgate-local-ledger"}),
        aws_url="http://127.0.0.1:1",
        config=SimpleNamespace(region="us-east-1"),
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="pushgate-local-ledger")
        s3.put_object(Bucket="pushgate-local-ledger", Key="outcomes/o/s1/j1", Body=b"x" * 700)
        s3.put_object(Bucket="pushgate-local-ledger", Key="outcomes/o/s2/j1", Body=b"x" * 50)
        s3.put_object(Bucket="pushgate-local-ledger", Key="outcomes/o/s3/j1", Body=b"x" * 9)  # not the phase's
        monkeypatch.setattr(w6, "_unmetered_client", lambda service, *_: s3 if service == "s3" else None)

        stored = w6._stored_outcome_objects(runtime, "o", ["s1", "s2"])

    assert stored == {"objects": 2, "bytes": 750}
