"""The bench's item sizes (W5's storage term) agree with DynamoDB's own: the official engine bills a
write one unit per started KB of the item, so an item the bench sizes at exactly 1,024 bytes
(without the storage overhead) costs one unit and one byte more costs two."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bench import storage
from pushgate.adapters.dynamodb.table import MainTable

SHAPES: dict[str, dict[str, Any]] = {
    "strings and binary": {
        "type": {"S": "DeliveryJobOutcomes"},
        "owner": {"S": "ünïcödé"},
        "entries": {"B": b"\1" * 90},
    },
    "numbers": {"count": {"N": "123456789"}, "small": {"N": "7"}, "fraction": {"N": "-0.00125"}},
    "a map and a list": {
        "attributes": {"M": {"firstname": {"S": "Ana"}, "vip": {"BOOL": True}, "age": {"N": "42"}}},
        "window": {"L": [{"N": "1"}, {"N": "22"}, {"N": "333"}]},
        "none": {"NULL": True},
    },
    "sets": {"tags": {"SS": ["a", "bb"]}, "sizes": {"NS": ["1", "20"]}},
}


def _write_units(client: Any, table: MainTable, item: dict[str, Any]) -> float:
    answer = client.put_item(TableName=table.table_name, Item=item, ReturnConsumedCapacity="TOTAL")
    return float(answer["ConsumedCapacity"]["CapacityUnits"])


@pytest.mark.parametrize("shape", SHAPES)
def test_an_item_sized_at_one_kilobyte_costs_one_write_unit_and_a_byte_more_two(
    client: Any, table: MainTable, shape: str
) -> None:
    key = {"pk": {"S": f"SIZE#{uuid.uuid4()}"}, "sk": {"S": "ITEM"}}
    base = {**key, **SHAPES[shape], "pad": {"B": b""}}
    padding = 1024 - (storage.item_bytes(base) - storage.ITEM_OVERHEAD_BYTES)
    assert padding > 0

    exactly_one_kb = {**base, "pad": {"B": b"\0" * padding}}
    assert storage.item_bytes(exactly_one_kb) - storage.ITEM_OVERHEAD_BYTES == 1024
    assert _write_units(client, table, exactly_one_kb) == 1.0
    assert _write_units(client, table, {**base, "pad": {"B": b"\0" * (padding + 1)}}) == 2.0
