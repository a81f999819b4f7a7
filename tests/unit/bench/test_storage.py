"""DynamoDB's item size rules, as the W5 storage term counts them."""

from __future__ import annotations

import pytest

from bench import cost, storage


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
