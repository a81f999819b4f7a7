"""Python values to DynamoDB attribute values and back, by the rules of boto3's ``TypeSerializer``.

**Replaces** ``boto3.dynamodb.types.TypeSerializer`` and ``TypeDeserializer``. The DynamoDB
adapters talk to a botocore client (``pushgate.adapters.dynamodb.table``), so they convert items
themselves. The rules are boto3's: ``None`` is ``NULL``, ``bool`` is ``BOOL``, ``int`` and
``Decimal`` are ``N`` (38 digits, no rounding, no float), ``str`` is ``S``, ``bytes`` is ``B``, sets
of one of those are ``NS``/``SS``/``BS``, lists and tuples are ``L``, mappings are ``M``. Numbers
come back as ``Decimal``; binary values come back as ``bytes`` (boto3 wraps them in its ``Binary``).

**Saves** importing boto3 (and s3transfer with it) in every function that touches the table: 87 ms
against 0.5 ms for this module, with botocore already loaded (median of 15 fresh processes,
``python -m bench.forks``, on a 2-core machine under load: compare the two, not the absolute
numbers; the run is in docs/decisions.md).
``tests/unit/test_import_boundaries.py`` keeps boto3 out of every function's cold start.

**Parity test**: ``tests/unit/test_attribute_values.py`` serializes and reads back a corpus of
values (every type, nesting, sets, edge numbers) with both and compares, and checks that what boto3
refuses (floats, NaN, too many digits, empty sets of mixed types) is refused here too.

**Can go** when importing ``boto3.dynamodb.types`` no longer imports the ``boto3`` package (its
session, the resource factory and s3transfer come with it today), or when the functions load boto3
anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

#: DynamoDB numbers: up to 38 significant digits; anything that would round or overflow is refused.
DYNAMODB_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])
_BINARY_TYPES = (bytes, bytearray)


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _number(value: int | Decimal) -> str:
    number = str(DYNAMODB_CONTEXT.create_decimal(value))
    if number in ("Infinity", "NaN"):
        raise TypeError("Infinity and NaN not supported")
    return number


def _set_type(values: Set[Any]) -> str:
    if all(_is_number(v) for v in values):
        return "NS"
    if all(isinstance(v, str) for v in values):
        return "SS"
    if all(isinstance(v, _BINARY_TYPES) for v in values):
        return "BS"
    raise TypeError(f"Unsupported type {type(values)} for value {values}")


def _scalar(value: Any) -> tuple[str, Any] | None:
    if value is None:
        return "NULL", True
    if isinstance(value, bool):
        return "BOOL", value
    if _is_number(value):
        return "N", _number(value)
    if isinstance(value, str):
        return "S", value
    if isinstance(value, _BINARY_TYPES):
        return "B", bytes(value)
    return None


def serialize(value: Any) -> dict[str, Any]:
    """One attribute value (``{"S": "x"}``) for a Python value.

    Raises:
        TypeError: A float, an infinite or NaN number, a mixed set or a type DynamoDB has no form for.
    """
    scalar = _scalar(value)
    if scalar is not None:
        return {scalar[0]: scalar[1]}
    if isinstance(value, Set):
        kind = _set_type(value)
        if kind == "NS":
            return {"NS": [_number(v) for v in value]}
        return {kind: [bytes(v) if kind == "BS" else v for v in value]}
    if isinstance(value, Mapping):
        return {"M": {key: serialize(v) for key, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize(v) for v in value]}
    raise TypeError(f"Unsupported type {type(value)} for value {value}")


_DESERIALIZERS: dict[str, Callable[[Any], Any]] = {
    "NULL": lambda _: None,
    "BOOL": lambda value: value,
    "N": DYNAMODB_CONTEXT.create_decimal,
    "S": lambda value: value,
    "B": bytes,
    "NS": lambda values: {DYNAMODB_CONTEXT.create_decimal(v) for v in values},
    "SS": set,
    "BS": lambda values: {bytes(v) for v in values},
    "L": lambda values: [deserialize(v) for v in values],
    "M": lambda values: {key: deserialize(v) for key, v in values.items()},
}


def deserialize(value: Mapping[str, Any]) -> Any:
    """The Python value of one attribute value.

    Raises:
        TypeError: The value is not an attribute value.
    """
    if not value:
        raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")
    kind = next(iter(value))
    if kind not in _DESERIALIZERS:
        raise TypeError(f"Dynamodb type {kind} is not supported")
    return _DESERIALIZERS[kind](value[kind])
