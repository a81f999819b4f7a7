"""The cost formula of W5 (performance anchors, section 2.1)."""

import pytest

from bench import cost


def test_worked_example_a_of_the_anchors_costs_thirteen_cents_per_million() -> None:
    # Scenario A of the anchors: arm64, 512 MB, d = 1.5 ms, i = 0.011, r = 0.33, w = 0.02, q = 0.03,
    # g = 500 B, L = 5 B: about $0.13 per million.
    inputs = cost.CostInputs(
        memory_mb=512,
        price_gb_s=cost.ARM64_GB_S,
        billed_ms=1.5,
        invocations=0.011,
        write_units=0.02,
        read_units=0.33,
        sqs_requests=0.03,
        egress_bytes=500,
        log_bytes=5,
    )

    lines = cost.cost_lines(inputs)

    assert lines["Lambda duration"] == pytest.approx(0.010, abs=0.0005)
    assert lines["DynamoDB writes"] + lines["DynamoDB reads"] == pytest.approx(0.054, abs=0.001)
    assert lines["Egress"] == pytest.approx(0.045)
    assert cost.cost_per_million(inputs) == pytest.approx(0.13, abs=0.005)


def test_registration_floor_is_api_gateway_plus_lambda_requests_plus_logs() -> None:
    inputs = cost.registration_inputs(memory_mb=256, wall_ms=None, cpu_ms=None, write_units=None, read_units=None)

    assert cost.cost_per_million(inputs) == pytest.approx(1.00 + 0.20 + 0.15)


def test_registration_with_measured_figures_matches_the_anchor_example() -> None:
    # Anchors: HTTP API, arm64, 256 MB, 20 ms, 2 WRU, 300 B of logs: about $2.67 per million.
    inputs = cost.registration_inputs(memory_mb=256, wall_ms=20, cpu_ms=1, write_units=2, read_units=0)

    assert cost.cost_per_million(inputs) == pytest.approx(2.67, abs=0.01)


def test_a_v2_registration_adds_the_queue_and_its_share_of_a_worker_invocation() -> None:
    plain = cost.registration_inputs(memory_mb=256, wall_ms=20, cpu_ms=1, write_units=2, read_units=0)
    queued = cost.registration_inputs(
        memory_mb=256, wall_ms=20, cpu_ms=1, write_units=2, read_units=0, sqs_requests=1.2, worker_invocations=0.1
    )

    lines = cost.cost_lines(queued)
    assert lines["SQS"] == pytest.approx(0.40 * 1.2)
    assert lines["Lambda requests"] == pytest.approx(0.20 * 1.1)
    assert cost.cost_per_million(queued) - cost.cost_per_million(plain) == pytest.approx(0.48 + 0.02)


@pytest.mark.parametrize(
    ("wall_ms", "cpu_ms", "memory_mb", "billed"),
    [
        (0.3, 0.05, 1769, 0.3),  # latency-bound: the wall time is billed
        (0.1, 0.1, 1769, 0.1),  # a full vCPU: CPU time as measured
        (0.1, 0.1, 512, 0.1 * 1769 / 512),  # a share of a vCPU stretches CPU-bound work
        (0.1, 0.1, 3538, 0.1),  # more than one vCPU does not make one thread faster
    ],
)
def test_lambda_billed_ms_stretches_cpu_time_below_a_full_vcpu(
    wall_ms: float, cpu_ms: float, memory_mb: int, billed: float
) -> None:
    assert cost.lambda_billed_ms(wall_ms, cpu_ms, memory_mb) == pytest.approx(billed)


@pytest.mark.parametrize(("size", "units"), [(0, 1), (1024, 1), (1025, 2), (6000, 6)])
def test_write_units_are_one_per_started_kilobyte(size: int, units: int) -> None:
    assert cost.dynamodb_write_units(size) == units


def test_delivery_inputs_amortise_invocations_and_batch_writes() -> None:
    assumptions = cost.DeliveryAssumptions(
        devices_per_user=2,
        query_read_units=0.5,
        devices_per_message=100,
        messages_per_invocation=10,
        recipients_per_send=500,
        ledger_bytes_per_outcome=50,
        idempotency_writes_per_message=2,
        checkpoint_writes_per_message=3,
        counter_writes_per_invocation=1,
        invalid_token_rate=0.01,
    )

    inputs = cost.delivery_inputs(
        assumptions,
        memory_mb=512,
        wall_ms_per_notification=0.2,
        cpu_ms_per_notification=0.01,
        payload_bytes=200,
        init_ms=500,
    )

    assert inputs.invocations == pytest.approx(1 / 1000 + 1 / 1000)
    assert inputs.read_units == pytest.approx(0.25)
    # 5,000 B of ledger = 5 WRU plus 2 idempotency writes and 3 checkpoints per 100 devices, one counter
    # per 1,000, 1% invalid.
    assert inputs.write_units == pytest.approx(10 / 100 + 1 / 1000 + 0.01)
    assert inputs.sqs_requests == pytest.approx(2.1 / 100)
    assert inputs.billed_ms == pytest.approx(0.2)
    assert inputs.egress_bytes == 200 + assumptions.egress_overhead_bytes
    assert inputs.cold_starts_per_m == pytest.approx(1000 * assumptions.cold_start_share)
