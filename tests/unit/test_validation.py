"""The one validation-error converter: locations, the context's wording, the body fallback, duplicates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from pushgate.errors import FieldProblem
from pushgate.validation import field_problems, location_of


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    Name: str
    Count: int


def _error(value: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        _Item.model_validate(value)
    return caught.value


def test_pydantic_errors_name_each_field_under_the_prefix_with_pydantic_words() -> None:
    # Given an object with a missing field and a wrong type
    error = _error({"Count": "many"})

    # When converted without a context's wording
    problems = field_problems(error, prefix="Items.3")

    # Then each problem names the dotted field and keeps pydantic's message
    assert [p.field for p in problems] == ["Items.3.Name", "Items.3.Count"]
    assert problems[0].problem == "Field required"


def test_a_context_words_its_problems_and_an_empty_location_is_the_fallback() -> None:
    def describe(detail: Mapping[str, Any]) -> tuple[list[str], str | None]:
        return location_of(detail)[1:], {"missing": "is required"}.get(detail["type"])

    details = [
        {"loc": ("body", "Name"), "type": "missing", "msg": "Field required"},
        {"loc": ("body",), "type": "json_invalid", "msg": "Invalid JSON"},
        {"loc": ("body", "Name"), "type": "missing", "msg": "Field required"},
    ]

    assert field_problems(details, describe=describe, fallback="(body)", deduplicate=True) == [
        FieldProblem("Name", "is required"),
        FieldProblem("(body)", "Invalid JSON"),
    ]
    assert len(field_problems(details, describe=describe)) == 3
