"""What a send leaves stored in DynamoDB and S3, by each service's own size rules, for W5's storage terms.

A send's ledger stays stored for the interaction retention (``InteractionRetentionDays``, 90 days by
default). In the table: the send record, each job's claim item (and its outcomes item, where a stack
keeps outcomes in the table), the page markers and the outcomes decided without a job, all in the
send's partition, and one tracking-key item per job. DynamoDB bills their size each month, at the
raw size of every attribute name and value plus 100 bytes a item for indexing
(https://aws.amazon.com/dynamodb/pricing/on-demand/, "Data storage";
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
In the ledger bucket: one object of encoded outcomes per job, under ``outcomes/<orgId>/<sendId>/``.
S3 Standard bills the bytes of each object, with no minimum object size or per-object overhead
(those apply to the infrequent-access and archive classes; https://aws.amazon.com/s3/pricing/).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

#: Bytes DynamoDB adds to every stored item for indexing.
ITEM_OVERHEAD_BYTES = 100
#: Keys per ``BatchGetItem``.
_BATCH_GET = 100


def _number_bytes(text: str) -> int:
    """A number's size as the engine bills it (DynamoDB Local, probed byte by byte): its significant
    digits in base-100 pairs aligned on the decimal point, plus a byte, plus one more when negative;
    zero is one byte. (AWS's guide gives the same as "approximately one byte per two significant
    digits, plus one".)"""
    value = Decimal(text)
    if value == 0:
        return 1
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 - a stored number is finite
    highest, lowest = exponent + len(digits) - 1, exponent
    return (highest // 2 - lowest // 2 + 1) + 1 + sign


def _text_bytes(text: str) -> int:
    return len(text.encode())


#: Sizes of the scalar and set types by their wire tag (binary values arrive as ``bytes``).
_SCALAR_BYTES: dict[str, Any] = {
    "S": _text_bytes,
    "N": _number_bytes,
    "B": len,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
}
_SET_MEMBER_BYTES: dict[str, Any] = {"SS": _text_bytes, "NS": _number_bytes, "BS": len}


def attribute_bytes(value: Mapping[str, Any]) -> int:
    """The size of one attribute value in DynamoDB's wire form (``{"S": ...}``, ``{"M": {...}}``...):
    a list or map is 3 bytes plus a byte and the size of each element (and each key's name)."""
    ((kind, inner),) = value.items()
    if kind in _SCALAR_BYTES:
        return int(_SCALAR_BYTES[kind](inner))
    if kind in _SET_MEMBER_BYTES:
        return sum(int(_SET_MEMBER_BYTES[kind](member)) for member in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_bytes(member) for member in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + attribute_bytes(member) for name, member in inner.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_bytes(item: Mapping[str, Mapping[str, Any]]) -> int:
    """The billed storage of one item: its names and values, plus the per-item overhead."""
    return ITEM_OVERHEAD_BYTES + sum(len(name.encode()) + attribute_bytes(value) for name, value in item.items())


def stored_by_sends(client: Any, table: str, partitions: Iterable[str], tracking_keys: Iterable[str]) -> dict[str, int]:
    """Items and bytes of the sends' partitions and of their tracking-key items (strongly consistent reads).

    Args:
        client: A low-level DynamoDB client (not metered: this is the bench looking, not a function).
        table: The main table's name.
        partitions: The sends' partition keys (``SEND#<org>#<send>``).
        tracking_keys: The tracking keys of the sends' jobs (``tracking_key_key``).
    """
    from pushgate.adapters.dynamodb.keys import PARTITION_KEY, tracking_key_key  # noqa: PLC0415 - as bench.w6's

    items = size = 0
    for partition in partitions:
        request: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": f"{PARTITION_KEY} = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ConsistentRead": True,
        }
        while True:
            page = client.query(**request)
            items += len(page["Items"])
            size += sum(item_bytes(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    keys = sorted(set(tracking_keys))
    for start in range(0, len(keys), _BATCH_GET):
        wanted: Any = {
            table: {
                "Keys": [
                    {name: {"S": value} for name, value in tracking_key_key(key).as_dict().items()}
                    for key in keys[start : start + _BATCH_GET]
                ],
                "ConsistentRead": True,
            }
        }
        while wanted:
            answer = client.batch_get_item(RequestItems=wanted)
            found = answer["Responses"].get(table, [])
            items += len(found)
            size += sum(item_bytes(item) for item in found)
            wanted = answer.get("UnprocessedKeys") or None
    return {"items": items, "bytes": size}


def stored_objects(client: Any, bucket: str, prefixes: Iterable[str]) -> dict[str, int]:
    """Objects and bytes under the sends' folders of the ledger bucket (``ListObjectsV2``).

    Args:
        client: A low-level S3 client (not metered: this is the bench looking, not a function).
        bucket: The ledger bucket's name.
        prefixes: The sends' folders (``outcomes/<orgId>/<sendId>/``).
    """
    objects = size = 0
    for prefix in prefixes:
        request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        while True:
            page = client.list_objects_v2(**request)
            contents = page.get("Contents", [])
            objects += len(contents)
            size += sum(int(entry["Size"]) for entry in contents)
            if not page.get("IsTruncated"):
                break
            request["ContinuationToken"] = page["NextContinuationToken"]
    return {"objects": objects, "bytes": size}
