"""The filter grammar: every operator and function, precedence, literals, and errors with positions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from pushgate.errors import InvalidRequestError
from pushgate.odata_filter import (
    And,
    AttributeKind,
    Comparison,
    Function,
    InList,
    Not,
    Or,
    evaluate,
    lookup_plan,
    parse_filter,
)

KINDS = {
    "firstname": AttributeKind.STRING,
    "address1_city": AttributeKind.STRING,
    "emailaddress1": AttributeKind.STRING,
    "pushconsent": AttributeKind.BOOLEAN,
    "createdon": AttributeKind.DATETIME,
}


def kind_of(name: str) -> AttributeKind | None:
    return AttributeKind.ANY if name.startswith("customattributes/") else KINDS.get(name)


def parse(text: str) -> Any:
    return parse_filter(text, kind_of, field="Filter")


ANN: dict[str, Any] = {
    "firstname": "Ann",
    "address1_city": "Berlin",
    "emailaddress1": "ann@example.com",
    "pushconsent": True,
    "createdon": datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
    "customattributes/tier": "Gold",
    "customattributes/orders": 12,
    "customattributes/lastpurchase": "2026-11-20T10:00:00+01:00",
    "customattributes/vip": False,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("address1_city eq 'berlin'", True),  # strings compare case-insensitively
        ("address1_city eq 'Paris'", False),
        ("address1_city ne 'Paris'", True),
        ("address1_city ne 'BERLIN'", False),
        ("firstname gt 'amy'", True),
        ("firstname ge 'ANN'", True),
        ("firstname lt 'ann'", False),
        ("firstname le 'ann'", True),
        ("customattributes/orders gt 10", True),
        ("customattributes/orders ge 12.0", True),
        ("customattributes/orders lt 12", False),
        ("customattributes/orders le -1", False),
        ("customattributes/orders eq 12", True),
        ("customattributes/orders eq '12'", False),  # another type: eq false
        ("customattributes/orders ne '12'", True),  # ... and ne true
        ("customattributes/vip eq false", True),
        ("pushconsent eq true", True),
        ("pushconsent ne true", False),
        ("customattributes/missing eq null", True),
        ("customattributes/tier ne null", True),
        ("customattributes/missing gt 1", False),
        ("customattributes/missing ne 'x'", True),
        ("contains(emailaddress1,'EXAMPLE')", True),
        ("startswith(firstname,'an')", True),
        ("endswith(firstname,'nn')", True),
        ("endswith(firstname,'x')", False),
        ("contains(customattributes/orders,'1')", False),  # functions need text
        ("customattributes/tier in ('silver','gold')", True),
        ("customattributes/tier in ('silver')", False),
        ("createdon ge 2026-11-01", True),  # a date compares with the date of a date-time
        ("createdon eq 2026-11-02", True),
        ("createdon lt 2026-11-02T08:30:00Z", False),  # a date-time compares as an instant
        ("createdon lt 2026-11-02T09:30:01+01:00", True),
        ("customattributes/lastpurchase ge 2026-11-20T09:00:00Z", True),
        ("customattributes/lastpurchase gt 2026-11-20", False),
        ("customattributes/tier gt 2026-11-20", False),  # not a date: no match
        ("not address1_city eq 'Paris'", True),
        ("not (address1_city eq 'Berlin' or firstname eq 'x')", False),
    ],
)
def test_every_operator_function_and_literal(text: str, expected: bool) -> None:
    assert evaluate(parse(text), ANN) is expected


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    parsed = parse("firstname eq 'a' or firstname eq 'b' and not pushconsent eq true")
    assert parsed == Or(
        Comparison("firstname", "eq", "a", 0),
        And(Comparison("firstname", "eq", "b", 20), Not(Comparison("pushconsent", "eq", True, 45))),
    )
    # Parentheses regroup: (false or true) and false is false, false or (true and false) too, but
    # true or (... ) differs from (true or ...) and ...
    assert evaluate(parse("address1_city eq 'Berlin' or firstname eq 'x' and pushconsent eq false"), ANN)
    assert not evaluate(parse("(address1_city eq 'Berlin' or firstname eq 'x') and pushconsent eq false"), ANN)


def test_literals_and_the_tree() -> None:
    assert parse("firstname eq 'O''Neil'") == Comparison("firstname", "eq", "O'Neil", 0)
    assert parse("customattributes/x in (1, 2.5, true, null, 2026-01-02)") == InList(
        "customattributes/x", (1, 2.5, True, None, date(2026, 1, 2)), 0
    )
    assert parse("contains(firstname, 'an')") == Function("contains", "firstname", "an", 0)
    assert parse("createdon gt 2026-11-01T00:00:00.5Z").value == datetime(2026, 11, 1, 0, 0, 0, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "is empty"),
        ("firstname eq 'a' or", "syntax error at position 19: expected an attribute name"),
        ("(firstname eq 'a'", "position 17: expected ')' to close the '(' at position 0"),
        ("firstname eq 'a' firstname", "position 17: expected 'and', 'or' or the end"),
        ("firstname eq 'a", "position 13: unterminated string literal"),
        ("firstname eq 'a' and ;", "position 21: unexpected character ';'"),
        ("firstname has 'a'", "operator 'has' (position 10) is not supported"),
        ("firstname like 'a'", "position 10: expected an operator"),
        ("firstname eq", "position 12: expected a value after 'eq'"),
        ("tolower(firstname) eq 'a'", "function 'tolower' (position 0) is not supported"),
        ("contains(firstname 'a')", "position 19: expected ','"),
        ("contains(firstname, 1)", "contains (position 0) takes a quoted string"),
        ("contains(pushconsent, 'a')", "needs a text attribute"),
        ("firstname in 'a'", "position 13: expected '(' after 'in'"),
        ("firstname in ('a' 'b')", "position 18: expected ',' or ')'"),
        ("shoesize eq 1", "unknown attribute 'shoesize' at position 0"),
        ("firstname eq 1", "'firstname' (position 0) compares with a quoted string or null"),
        ("pushconsent eq 'yes'", "'pushconsent' (position 0) compares with true, false or null"),
        ("pushconsent gt false", "compare it with eq or ne"),
        ("createdon gt 'yesterday'", "compares with a date"),
        ("firstname gt null", "null compares only with eq and ne"),
        ("createdon gt 2026-02-30", "'2026-02-30' at position 13 is not a valid date"),
        ("createdon gt 2026-11-01T10:00", "the date-time at position 13 needs an offset"),
        ("and eq 'a'", "position 0: expected an attribute name"),
        ("firstname in (" + ",".join(["'a'"] * 101) + ")", "more than 100 terms"),
    ],
)
def test_errors_name_the_field_and_the_position(text: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=re.escape(message)) as raised:
        parse(text)
    assert raised.value.problems[0].field == "Filter"


def test_lookup_plan_covers_every_match_or_declines() -> None:
    indexed = ("emailaddress1", "contactid")
    assert lookup_plan(parse("emailaddress1 eq 'a@x.io' and firstname eq 'b'"), indexed) == [
        ("emailaddress1", "a@x.io")
    ]
    assert lookup_plan(parse("firstname eq 'b' and emailaddress1 in ('a@x.io','b@x.io')"), indexed) == [
        ("emailaddress1", "a@x.io"),
        ("emailaddress1", "b@x.io"),
    ]
    assert lookup_plan(parse("emailaddress1 eq 'a@x.io' or emailaddress1 eq 'b@x.io'"), indexed) == [
        ("emailaddress1", "a@x.io"),
        ("emailaddress1", "b@x.io"),
    ]
    assert lookup_plan(parse("emailaddress1 eq 'a@x.io' or firstname eq 'b'"), indexed) is None
    assert lookup_plan(parse("not emailaddress1 eq 'a@x.io'"), indexed) is None
    assert lookup_plan(parse("emailaddress1 ne 'a@x.io'"), indexed) is None
    assert lookup_plan(parse("startswith(emailaddress1,'a')"), indexed) is None
