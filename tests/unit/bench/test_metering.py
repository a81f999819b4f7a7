"""The benchmark's meters: DynamoDB units, SQS and S3 billed requests as AWS counts them, and the
cost of a W6 phase priced from them."""

import json
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bench import cost, metering


def _model(service: str, operation: str, method: str = "POST") -> Any:
    return SimpleNamespace(name=operation, service_model=SimpleNamespace(service_name=service), http={"method": method})


def _s3_call(meter: metering.Meter, operation: str, method: str, status: int = 200, bucket: str = "ledger") -> None:
    context: dict[str, Any] = {}
    meter.remember_params({"Bucket": bucket, "Key": "outcomes/o/s/j"}, context)
    parsed: dict[str, Any] = {"ResponseMetadata": {"HTTPStatusCode": status}}
    if status >= 300:
        parsed["Error"] = {"Code": "PreconditionFailed"}
    meter.after_call(None, parsed, _model("s3", operation, method), context=context)


def test_dynamodb_units_are_summed_by_table_and_operation_and_missing_capacity_is_counted() -> None:
    meter = metering.Meter(None)
    params: dict[str, Any] = {}
    meter.ask_for_capacity(params)
    assert params == {"ReturnConsumedCapacity": "TOTAL"}
    consumed = {"ConsumedCapacity": [{"TableName": "t", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}]}
    meter.after_call(None, consumed, _model("dynamodb", "TransactWriteItems"))
    meter.after_call(None, {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}}, _model("dynamodb", "Query"))
    meter.after_call(None, {}, _model("dynamodb", "GetItem"))
    snapshot = meter.snapshot()
    assert snapshot["dynamodb"]["t"]["TransactWriteItems"] == {"calls": 1, "read_units": 0.0, "write_units": 4.0}
    assert snapshot["dynamodb"]["t"]["Query"]["read_units"] == 0.5
    assert snapshot["unmetered_calls"] == 1


def _statement_page(
    meter: metering.Meter, params: dict[str, Any], items: list[dict[str, Any]], token: str | None
) -> None:
    context: dict[str, Any] = {}
    meter.remember_params(params, context)
    parsed: dict[str, Any] = {"Items": items} | ({"NextToken": token} if token else {})
    meter.after_call(None, parsed, _model("dynamodb", "ExecuteStatement"), context=context)


def test_a_partiql_read_of_many_partitions_is_priced_as_a_query_of_each() -> None:
    meter = metering.Meter(None)
    statement = 'SELECT "pk", "sk", "blob" FROM "main" WHERE "pk" IN [?, ?, ?]'
    params: dict[str, Any] = {"Statement": statement, "Parameters": [{"S": p} for p in ("a", "b", "empty")]}
    small = {"pk": {"S": "a"}, "sk": {"S": "1"}}
    # Partition b holds 5,000 bytes over two pages: two 4 KB blocks.
    big = [{"pk": {"S": "b"}, "sk": {"S": str(n)}, "blob": {"S": "x" * 2496}} for n in range(2)]
    _statement_page(meter, params, [small, big[0]], "page-2")
    _statement_page(meter, params | {"NextToken": "page-2"}, [big[1]], None)
    figures = meter.snapshot()["dynamodb"]["main"]["ExecuteStatement"]
    # a: 0.5, b: two blocks of 0.5, the empty partition: 0.5 (a Query that finds nothing still reads).
    assert figures == {"calls": 2, "read_units": 2.0, "write_units": 0.0}
    _statement_page(meter, params | {"ConsistentRead": True}, [small], None)
    assert meter.snapshot()["dynamodb"]["main"]["ExecuteStatement"]["read_units"] == 2.0 + 3.0
    _statement_page(meter, {"Statement": "UPDATE x SET y = 1"}, [], None)
    assert meter.snapshot()["unmetered_calls"] == 1


def test_a_partiql_statement_reporting_only_capacity_units_is_told_apart_by_its_verb() -> None:
    # Given a service that reports a statement's consumed capacity as CapacityUnits alone
    meter = metering.Meter(None)
    for statement in ('SELECT * FROM "main" WHERE "pk" = ?', 'UPDATE "main" SET "a" = 1 WHERE "pk" = ?'):
        context: dict[str, Any] = {}
        meter.remember_params({"Statement": statement}, context)
        parsed = {"ConsumedCapacity": {"TableName": "main", "CapacityUnits": 1.5}}
        meter.after_call(None, parsed, _model("dynamodb", "ExecuteStatement"), context=context)

    # Then the SELECT counts as reads and the UPDATE as writes
    assert meter.snapshot()["dynamodb"]["main"]["ExecuteStatement"] == {
        "calls": 2,
        "read_units": 1.5,
        "write_units": 1.5,
    }


def test_sqs_bills_one_request_per_started_64_kib_and_tells_idle_receives_apart() -> None:
    meter = metering.Meter(None)
    entries = [{"Id": str(n), "MessageBody": "x" * 40_000} for n in range(4)]
    context: dict[str, Any] = {}
    meter.remember_params({"QueueUrl": "http://q/000/pushgate-DeliveryQueue", "Entries": entries}, context)
    meter.after_call(None, {}, _model("sqs", "SendMessageBatch"), context=context)
    empty: dict[str, Any] = {}
    meter.remember_params({"QueueUrl": "http://q/000/pushgate-DeliveryQueue"}, empty)
    meter.after_call(None, {"Messages": []}, _model("sqs", "ReceiveMessage"), context=empty)
    figures = meter.snapshot()["sqs"]["pushgate-DeliveryQueue"]
    assert figures["SendMessageBatch"]["billed_requests"] == 3  # 160,000 bytes: three 64 KiB chunks
    assert figures["SendMessageBatch"]["messages"] == 4
    assert figures["ReceiveMessage"] == {
        "calls": 1,
        "billed_requests": 1,
        "messages": 0,
        "bytes": 0,
        "empty_receives": 1,
    }


def test_s3_requests_are_counted_by_bucket_and_operation_in_their_price_class_error_responses_included() -> None:
    meter = metering.Meter(None)
    _s3_call(meter, "PutObject", "PUT")
    _s3_call(meter, "PutObject", "PUT", status=412)  # another run had recorded the job: billed all the same
    _s3_call(meter, "GetObject", "GET")
    _s3_call(meter, "ListObjectsV2", "GET")
    _s3_call(meter, "DeleteObject", "DELETE")

    figures = meter.snapshot()["s3"]["ledger"]

    assert figures["PutObject"] == {"calls": 2, "put_class_requests": 2, "get_class_requests": 0, "error_responses": 1}
    assert figures["GetObject"] == {"calls": 1, "put_class_requests": 0, "get_class_requests": 1, "error_responses": 0}
    assert figures["ListObjectsV2"]["put_class_requests"] == 1  # a listing is priced with the writes
    assert figures["DeleteObject"] == {
        "calls": 1,
        "put_class_requests": 0,
        "get_class_requests": 0,
        "error_responses": 0,
    }


@pytest.mark.parametrize(
    ("operation", "method", "billed_as"),
    [
        ("PutObject", "PUT", "put"),
        ("CopyObject", "PUT", "put"),
        ("CompleteMultipartUpload", "POST", "put"),
        ("ListObjectsV2", "GET", "put"),
        ("GetObject", "GET", "get"),
        ("HeadObject", "HEAD", "get"),
        ("SelectObjectContent", "POST", "get"),
        ("DeleteObject", "DELETE", None),
    ],
)
def test_s3_request_classes_follow_the_price_list(operation: str, method: str, billed_as: str | None) -> None:
    assert metering.s3_request_class(operation, method) == billed_as


def test_botocore_reports_a_failed_conditional_put_to_the_meter_before_raising() -> None:
    meter = metering.Meter(None)
    session = botocore.session.Session()
    # The handlers ``install`` adds to every session, on this one session only.
    session.register("before-parameter-build.s3", meter.remember_params)
    session.register("after-call", meter.after_call)
    with mock_aws():
        s3 = session.create_client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="ledger")
        s3.put_object(Bucket="ledger", Key="outcomes/o/s/j", Body=b"entries", IfNoneMatch="*")
        with pytest.raises(ClientError) as raised:
            s3.put_object(Bucket="ledger", Key="outcomes/o/s/j", Body=b"entries", IfNoneMatch="*")
        s3.get_object(Bucket="ledger", Key="outcomes/o/s/j")["Body"].read()

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    figures = meter.snapshot()["s3"]["ledger"]
    assert figures["PutObject"] == {"calls": 2, "put_class_requests": 2, "get_class_requests": 0, "error_responses": 1}
    assert figures["GetObject"]["get_class_requests"] == 1
    assert figures["CreateBucket"]["put_class_requests"] == 1


def test_collect_adds_processes_up_and_difference_takes_a_phase(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "DeliverPushFunction")
    meter = metering.Meter(tmp_path)
    meter.after_call(
        None, {"ConsumedCapacity": [{"TableName": "t", "CapacityUnits": 2.0}]}, _model("dynamodb", "PutItem")
    )
    meter.dump()
    before = metering.collect(tmp_path)
    meter.after_call(
        None, {"ConsumedCapacity": [{"TableName": "t", "CapacityUnits": 3.0}]}, _model("dynamodb", "PutItem")
    )
    meter.dump()
    phase = metering.difference(metering.collect(tmp_path), before)
    assert phase["dynamodb"]["t"]["PutItem"] == {"calls": 1, "read_units": 0.0, "write_units": 3.0}
    assert metering.collect(tmp_path, "DeliverPushFunction")["dynamodb"]["t"]["PutItem"]["write_units"] == 5.0
    assert metering.collect(tmp_path, "SendFanoutFunction")["dynamodb"] == {}


def test_s3_requests_are_collected_and_differenced_and_older_meter_files_count_none(
    tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "DeliverPushFunction")
    # A process metered before S3 was: its file has no ``s3`` totals.
    (tmp_path / "SendFanoutFunction.1.json").write_text(json.dumps({"dynamodb": {}, "sqs": {}, "unmetered_calls": 0}))
    meter = metering.Meter(tmp_path)
    _s3_call(meter, "PutObject", "PUT")
    meter.dump()
    before = metering.collect(tmp_path)
    _s3_call(meter, "PutObject", "PUT", status=412)
    _s3_call(meter, "GetObject", "GET")
    meter.dump()

    phase = metering.difference(metering.collect(tmp_path), before)

    assert phase["s3"]["ledger"]["PutObject"] == {
        "calls": 1,
        "put_class_requests": 1,
        "get_class_requests": 0,
        "error_responses": 1,
    }
    assert phase["s3"]["ledger"]["GetObject"]["get_class_requests"] == 1
    assert metering.collect(tmp_path, "DeliverPushFunction")["s3"]["ledger"]["PutObject"]["calls"] == 2
    assert metering.collect(tmp_path, "SendFanoutFunction")["s3"] == {}


def test_a_phase_is_priced_from_its_meters() -> None:
    phase = {
        "notifications": 1000,
        "sends": 1,
        "invocations": {"DeliverPushFunction": {"invocations": 2, "billed_ms": 400, "cpu_ms": 100.0}},
        "meter_by_function": {
            "DeliverPushFunction": {
                "dynamodb": {"t": {"TransactWriteItems": {"calls": 2, "read_units": 0.0, "write_units": 100.0}}},
                "sqs": {},
            }
        },
        "meter": {"sqs": {"q-DeliveryQueue": {"ReceiveMessage": {"billed_requests": 5, "empty_receives": 3}}}},
        "log_bytes": {"DeliverPushFunction.log": 1000, "moto-server.log": 10**9},
    }
    priced = cost.measured_delivery_cost(
        phase, {"deliver_push": 1024}, payload_bytes=130, logical_ids={"DeliverPushFunction": "deliver_push"}
    )
    lines = priced["lines"]
    assert abs(lines["DynamoDB writes"] - 0.1 * cost.DYNAMODB_WRU_PER_M) < 1e-9
    assert abs(lines["SQS"] - 0.002 * cost.SQS_REQUESTS_PER_M) < 1e-9  # the three empty receives are left out
    assert abs(lines["Lambda duration"] - 0.4 * cost.ARM64_GB_S * 1000) < 1e-9
    assert abs(lines["Logs"] - (1000 + 2 * cost.PLATFORM_LOG_BYTES_PER_INVOCATION) / 1000 * 0.5 / 1e9 * 1e6) < 1e-12
    assert priced["idle_receives"] == 3
    assert priced["dynamodb"][0]["operation"] == "TransactWriteItems"
    assert abs(priced["total"] - sum(lines.values())) < 1e-12
    floor = cost.per_recipient_floor(1.5, 130)
    assert abs(floor["DynamoDB reads (one device Query per recipient)"] - 0.5 / 1.5 * 0.125) < 1e-12
    # Metered before the ledger moved to S3: no S3 request, a zero term.
    assert lines["S3 requests"] == 0.0
    assert priced["s3"] == []
    assert priced["per_notification"]["s3_requests"] == 0.0


def s3_figures(calls: int, put_class: int, get_class: int, errors: int = 0) -> dict[str, int]:
    """One S3 operation's figures as the meter records them."""
    return {"calls": calls, "put_class_requests": put_class, "get_class_requests": get_class, "error_responses": errors}


def test_a_phase_s_s3_requests_are_priced_per_class_by_function_and_in_the_total() -> None:
    bucket = "pushgate-local-LedgerBucket"
    phase = {
        "notifications": 10_000,
        "sends": 1,
        "invocations": {},
        # 100 jobs: 102 conditional PUTs (2 found the object and read it back), and the ledger's pages read 100.
        "meter_by_function": {
            "DeliverPushFunction": {
                "dynamodb": {},
                "sqs": {},
                "s3": {bucket: {"PutObject": s3_figures(102, 102, 0, errors=2), "GetObject": s3_figures(2, 0, 2)}},
            },
            "SendFanoutFunction": {"dynamodb": {}, "sqs": {}, "s3": {bucket: {"GetObject": s3_figures(100, 0, 100)}}},
        },
        "meter": {"sqs": {}},
        "log_bytes": {},
    }

    logical_ids = {"DeliverPushFunction": "deliver_push", "SendFanoutFunction": "send_fanout"}
    priced = cost.measured_delivery_cost(phase, {}, payload_bytes=130, logical_ids=logical_ids)
    without_s3 = cost.measured_delivery_cost(
        phase | {"meter_by_function": {}}, {}, payload_bytes=130, logical_ids=logical_ids
    )

    # $0.005 per 1,000 PUTs and $0.0004 per 1,000 GETs, for 10,000 notifications, per million.
    put_usd, get_usd = 102 * 0.005 / 1000, 102 * 0.0004 / 1000
    assert priced["lines"]["S3 requests"] == pytest.approx((put_usd + get_usd) / 10_000 * 1e6)
    assert priced["total"] - without_s3["total"] == pytest.approx(priced["lines"]["S3 requests"])
    assert priced["per_notification"]["s3_requests"] == pytest.approx(204 / 10_000)
    rows = {(row["function"], row["operation"]): row for row in priced["s3"]}
    assert rows["deliver_push", "PutObject"]["requests"] == pytest.approx(102 / 10_000)
    assert rows["deliver_push", "PutObject"]["error_responses"] == pytest.approx(2 / 10_000)
    assert rows["deliver_push", "PutObject"]["usd_per_m"] == pytest.approx(put_usd / 10_000 * 1e6)
    assert rows["send_fanout", "GetObject"]["usd_per_m"] == pytest.approx(100 * 0.0004 / 1000 / 10_000 * 1e6)
    assert priced["s3"][0]["operation"] == "PutObject"  # the dearest first, as DynamoDB's rows
