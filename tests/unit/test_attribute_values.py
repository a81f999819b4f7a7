"""``pushgate.runtime.attribute_values`` agrees with boto3's ``TypeSerializer``/``TypeDeserializer``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from pushgate.runtime.attribute_values import deserialize, serialize

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -17,
    10**37,
    Decimal("1.50"),
    Decimal("-1E-5"),
    "",
    "josé",
    b"\x00\xff",
    bytearray(b"job"),
    {"a", "b"},
    {1, Decimal("2.5")},
    {b"x", b"y"},
    [1, "a", None, [True, {"m": Decimal("2.0")}]],
    ("tuple", 1),
    {"nested": {"list": [b"z"], "set": {"s"}}},
]


def _comparable(value: Any) -> Any:
    # Sets come out in any order, and boto3 wraps binary values in its Binary.
    if isinstance(value, Binary):
        return bytes(value.value)
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(item, str | bytes) for item in value):
            return sorted(value)
        return [_comparable(item) for item in value]
    if isinstance(value, set):
        return {_comparable(item) for item in value}
    return value


def _stable_id(value: Any) -> str:
    """A test id that is the same in every process (set order and object addresses are not), as
    pytest-xdist's workers must collect the same ids."""
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(_stable_id(v) for v in value)) + "}"
    return "object()" if type(value) is object else repr(value)


@pytest.mark.parametrize("value", VALUES, ids=_stable_id)
def test_values_serialize_as_boto3_serializes_them(value: Any) -> None:
    assert _comparable(serialize(value)) == _comparable(TypeSerializer().serialize(value))


@pytest.mark.parametrize("value", VALUES, ids=_stable_id)
def test_attribute_values_read_back_as_boto3_reads_them(value: Any) -> None:
    stored = TypeSerializer().serialize(value)
    assert _comparable(deserialize(stored)) == _comparable(TypeDeserializer().deserialize(stored))


@pytest.mark.parametrize(
    "value",
    [1.5, Decimal("Infinity"), Decimal("NaN"), {1, "a"}, object(), Decimal("1." + "1" * 40)],
    ids=_stable_id,
)
def test_what_boto3_refuses_is_refused(value: Any) -> None:
    with pytest.raises(Exception) as ours:
        serialize(value)
    with pytest.raises(Exception) as theirs:
        TypeSerializer().serialize(value)
    assert type(ours.value) is type(theirs.value)


@pytest.mark.parametrize("value", [{}, {"X": "1"}])
def test_what_is_not_an_attribute_value_is_refused(value: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        deserialize(value)
