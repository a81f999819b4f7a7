"""The benchmark's meters: DynamoDB units and SQS billed requests as AWS counts them, and the cost
of a W6 phase priced from them."""

from types import SimpleNamespace
from typing import Any

from bench import cost, metering


def _model(service: str, operation: str) -> Any:
    return SimpleNamespace(name=operation, service_model=SimpleNamespace(service_name=service))


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
