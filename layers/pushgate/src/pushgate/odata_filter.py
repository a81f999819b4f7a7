"""The OData ``$filter`` subset of the directory, of segments and of segment sends.

``address1_city eq 'Berlin' and (customattributes/tier in ('gold','platinum') or not pushconsent eq false)``

Grammar (OData v4, the part a directory of people needs), from loosest to tightest binding::

    filter     = or
    or         = and *( "or" and )
    and        = unary *( "and" unary )
    unary      = "not" unary / primary
    primary    = "(" or ")"
               / function "(" attribute "," string ")"        ; contains, startswith, endswith
               / attribute "in" "(" literal *( "," literal ) ")"
               / attribute operator literal                   ; eq ne gt ge lt le

Attributes are the directory's standard attributes (``emailaddress1``, ``createdon``...) and custom
ones as ``customattributes/<name>``. Literals are single-quoted strings (``''`` escapes a quote),
numbers, ``true``/``false``/``null``, dates (``2026-11-01``) and date-times with an offset
(``2026-11-01T09:30:00Z``). Strings compare case-insensitively (as Dataverse's default collation
does); a date literal compares with the date of a date-time, a date-time literal as an instant.
A comparison of values of different types (a custom attribute holding a number against a string)
is false for ``eq`` and the ordering operators and true for ``ne``, as a comparison with ``null``
is. Every error names its position: the 0-based character offset in the filter text.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Final

from pushgate.errors import InvalidRequestError

FILTER_FIELD = "$filter"
MAX_FILTER_LENGTH: Final = 2000
#: Bound on the terms of one filter (comparisons and ``in`` values), so evaluation stays cheap.
MAX_TERMS: Final = 100
#: Prefix of a custom attribute's name in a filter (``customattributes/tier``).
CUSTOM_PREFIX: Final = "customattributes/"

COMPARISON_OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
FUNCTIONS = frozenset({"contains", "startswith", "endswith"})
#: OData operators outside the subset: named in the error instead of a bare syntax error.
UNSUPPORTED_OPERATORS = frozenset({"has", "add", "sub", "mul", "div", "mod"})
_KEYWORDS = COMPARISON_OPERATORS | {"and", "or", "not", "in"} | UNSUPPORTED_OPERATORS
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<open>\()
      | (?P<close>\))
      | (?P<comma>,)
      | (?P<string>'(?:[^']|'')*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)
      | (?P<date>\d{4}-\d{2}-\d{2})
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)?)
      | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class AttributeKind(StrEnum):
    """What literals an attribute compares with."""

    STRING = "string"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    #: A custom attribute: any literal (its stored values may be strings, numbers or booleans).
    ANY = "any"


Literal = str | bool | int | float | date | datetime | None


@dataclass(frozen=True)
class Comparison:
    """``attribute <operator> value``; ``position`` is where the attribute name starts."""

    attribute: str
    operator: str
    value: Literal
    position: int


@dataclass(frozen=True)
class InList:
    """``attribute in (values...)``."""

    attribute: str
    values: tuple[Literal, ...]
    position: int


@dataclass(frozen=True)
class Function:
    """``contains(attribute, 'text')`` (or ``startswith`` / ``endswith``)."""

    name: str
    attribute: str
    value: str
    position: int


@dataclass(frozen=True)
class Not:
    """``not operand``."""

    operand: Expression


@dataclass(frozen=True)
class And:
    """``left and right``."""

    left: Expression
    right: Expression


@dataclass(frozen=True)
class Or:
    """``left or right``."""

    left: Expression
    right: Expression


Expression = Comparison | InList | Function | Not | And | Or


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def filter_error(problem: str, field: str = FILTER_FIELD) -> InvalidRequestError:
    """The 400 for a filter that cannot be answered, naming the field it came in."""
    return InvalidRequestError.for_field(field, problem)


def _tokens(text: str) -> list[_Token]:
    found = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # pragma: no cover - the last alternative matches any character
            break
        kind = match.lastgroup or ""
        if kind != "space":
            found.append(_Token(kind, match.group(), position))
        position = match.end()
    found.append(_Token("end", "", len(text)))
    return found


def _shown(token: _Token) -> str:
    return "the end of the filter" if token.kind == "end" else repr(token.text[:40])


class _Parser:
    def __init__(self, text: str, attributes: Callable[[str], AttributeKind | None], field: str) -> None:
        self._tokens = _tokens(text)
        self._index = 0
        self._attributes = attributes
        self._field = field
        self._terms = 0

    # ------------------------------------------------------------------ helpers
    def _error(self, problem: str) -> InvalidRequestError:
        return filter_error(problem, self._field)

    def _syntax(self, token: _Token, expected: str) -> InvalidRequestError:
        if token.kind == "other" and token.text == "'":
            return self._error(f"syntax error at position {token.position}: unterminated string literal")
        if token.kind == "other":
            return self._error(f"syntax error at position {token.position}: unexpected character {token.text!r}")
        if token.kind == "word" and token.text in UNSUPPORTED_OPERATORS:
            return self._error(f"operator '{token.text}' (position {token.position}) is not supported")
        return self._error(f"syntax error at position {token.position}: {expected}, found {_shown(token)}")

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _take(self) -> _Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _is_word(self, text: str) -> bool:
        token = self._peek()
        return token.kind == "word" and token.text == text

    def _count_term(self, position: int) -> None:
        self._terms += 1
        if self._terms > MAX_TERMS:
            raise self._error(f"has more than {MAX_TERMS} terms (at position {position}); split it")

    # ------------------------------------------------------------------ grammar
    def parse(self) -> Expression:
        expression = self._or()
        token = self._peek()
        if token.kind != "end":
            raise self._syntax(token, "expected 'and', 'or' or the end")
        return expression

    def _or(self) -> Expression:
        expression = self._and()
        while self._is_word("or"):
            self._take()
            expression = Or(expression, self._and())
        return expression

    def _and(self) -> Expression:
        expression = self._unary()
        while self._is_word("and"):
            self._take()
            expression = And(expression, self._unary())
        return expression

    def _unary(self) -> Expression:
        if self._is_word("not"):
            self._take()
            return Not(self._unary())
        return self._primary()

    def _primary(self) -> Expression:
        token = self._take()
        if token.kind == "open":
            inner = self._or()
            closing = self._take()
            if closing.kind != "close":
                raise self._syntax(closing, f"expected ')' to close the '(' at position {token.position}")
            return inner
        if token.kind != "word" or token.text in _KEYWORDS:
            raise self._syntax(token, "expected an attribute name, a function, 'not' or '('")
        if self._peek().kind == "open":
            return self._function(token)
        kind = self._attribute(token)
        operator = self._take()
        if operator.kind == "word" and operator.text == "in":
            return self._in(token, kind)
        if operator.kind != "word" or operator.text not in COMPARISON_OPERATORS:
            raise self._syntax(operator, f"expected an operator (eq, ne, gt, ge, lt, le, in) after '{token.text}'")
        literal_token = self._take()
        value = self._literal(literal_token, f"expected a value after '{operator.text}'")
        self._check_type(token, kind, operator.text, value, literal_token)
        self._count_term(token.position)
        return Comparison(token.text, operator.text, value, token.position)

    def _attribute(self, token: _Token) -> AttributeKind:
        kind = self._attributes(token.text)
        if kind is None:
            raise self._error(f"unknown attribute '{token.text[:64]}' at position {token.position}")
        return kind

    def _function(self, name: _Token) -> Function:
        if name.text not in FUNCTIONS:
            supported = ", ".join(sorted(FUNCTIONS))
            raise self._error(
                f"function '{name.text[:64]}' (position {name.position}) is not supported; use {supported}"
            )
        self._take()  # the '('
        attribute = self._take()
        if attribute.kind != "word" or attribute.text in _KEYWORDS:
            raise self._syntax(attribute, f"expected an attribute name as the first argument of {name.text}")
        kind = self._attribute(attribute)
        if kind not in {AttributeKind.STRING, AttributeKind.ANY}:
            raise self._error(f"{name.text} (position {name.position}) needs a text attribute, not '{attribute.text}'")
        comma = self._take()
        if comma.kind != "comma":
            raise self._syntax(comma, f"expected ',' after '{attribute.text}'")
        literal_token = self._take()
        value = self._literal(literal_token, f"expected a quoted string as the second argument of {name.text}")
        if not isinstance(value, str):
            raise self._error(
                f"{name.text} (position {name.position}) takes a quoted string, found {_shown(literal_token)}"
            )
        closing = self._take()
        if closing.kind != "close":
            raise self._syntax(closing, f"expected ')' to close {name.text}")
        self._count_term(name.position)
        return Function(name.text, attribute.text, value, name.position)

    def _in(self, attribute: _Token, kind: AttributeKind) -> InList:
        opening = self._take()
        if opening.kind != "open":
            raise self._syntax(opening, "expected '(' after 'in'")
        values: list[Literal] = []
        while True:
            literal_token = self._take()
            value = self._literal(literal_token, "expected a value in the 'in' list")
            self._check_type(attribute, kind, "eq", value, literal_token)
            self._count_term(literal_token.position)
            values.append(value)
            separator = self._take()
            if separator.kind == "close":
                return InList(attribute.text, tuple(values), attribute.position)
            if separator.kind != "comma":
                raise self._syntax(separator, "expected ',' or ')' in the 'in' list")

    def _literal(self, token: _Token, expected: str) -> Literal:
        if token.kind == "string":
            return token.text[1:-1].replace("''", "'")
        if token.kind == "number":
            number = float(token.text)
            return int(token.text) if token.text.lstrip("-").isdigit() else number
        if token.kind == "date":
            try:
                return date.fromisoformat(token.text)
            except ValueError:
                raise self._error(f"'{token.text}' at position {token.position} is not a valid date") from None
        if token.kind == "datetime":
            try:
                value = datetime.fromisoformat(token.text)
            except ValueError:
                raise self._error(f"'{token.text}' at position {token.position} is not a valid date-time") from None
            if value.tzinfo is None:
                raise self._error(
                    f"the date-time at position {token.position} needs an offset (Z or +hh:mm), as OData requires"
                )
            return value
        if token.kind == "word" and token.text in {"true", "false"}:
            return token.text == "true"
        if token.kind == "word" and token.text == "null":
            return None
        raise self._syntax(token, expected)

    def _check_type(
        self, attribute: _Token, kind: AttributeKind, operator: str, value: Literal, literal: _Token
    ) -> None:
        where = f"'{attribute.text}' (position {attribute.position})"
        if value is None:
            if operator not in {"eq", "ne"}:
                raise self._error(f"{where}: null compares only with eq and ne")
            return
        if kind is AttributeKind.ANY:
            return
        if kind is AttributeKind.BOOLEAN:
            if not isinstance(value, bool):
                raise self._error(f"{where} compares with true, false or null, found {_shown(literal)}")
            if operator not in {"eq", "ne"}:
                raise self._error(f"{where} is true or false: compare it with eq or ne")
        elif kind is AttributeKind.DATETIME:
            if not isinstance(value, date):
                raise self._error(f"{where} compares with a date (2026-11-01) or date-time, found {_shown(literal)}")
        elif not isinstance(value, str):
            raise self._error(f"{where} compares with a quoted string or null, found {_shown(literal)}")


def parse_filter(
    text: str, attributes: Callable[[str], AttributeKind | None], *, field: str = FILTER_FIELD
) -> Expression:
    """Parses a filter.

    Args:
        text: The filter as sent.
        attributes: The kind of literal each attribute name compares with (``None``: no such attribute).
        field: The request field the filter came in, named by every error (``$filter``, ``Filter``...).

    Returns:
        The expression tree.

    Raises:
        InvalidRequestError: Empty or too long, a syntax error, an unknown attribute or function, or
            a literal of the wrong type; the problem names the position.
    """
    if not text.strip():
        raise filter_error("is empty", field)
    if len(text) > MAX_FILTER_LENGTH:
        raise filter_error(f"is longer than {MAX_FILTER_LENGTH} characters", field)
    return _Parser(text, attributes, field).parse()


# ---------------------------------------------------------------------------------------- evaluation


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _as_datetime(datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


def _comparable(actual: Any, expected: Literal) -> tuple[Any, Any] | None:
    """The two values in one comparable form, or ``None`` when their types differ."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return (actual, expected) if isinstance(actual, bool) and isinstance(expected, bool) else None
    if isinstance(expected, str):
        return (actual.casefold(), expected.casefold()) if isinstance(actual, str) else None
    if isinstance(expected, int | float):
        return (actual, expected) if isinstance(actual, int | float) else None
    if isinstance(expected, datetime):
        instant = _as_datetime(actual)
        return None if instant is None else (instant, expected)
    if isinstance(expected, date):
        instant = _as_datetime(actual)
        return None if instant is None else (instant.astimezone(UTC).date(), expected)
    return None


_OPERATORS: Final[Mapping[str, Callable[[Any, Any], Any]]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _compare(actual: Any, name: str, expected: Literal) -> bool:
    if expected is None or actual is None:
        same = actual is None and expected is None
        return same if name == "eq" else (not same if name == "ne" else False)
    pair = _comparable(actual, expected)
    if pair is None:
        return name == "ne"
    return bool(_OPERATORS[name](*pair))


def _call(name: str, actual: Any, text: str) -> bool:
    if not isinstance(actual, str):
        return False
    haystack, needle = actual.casefold(), text.casefold()
    if name == "contains":
        return needle in haystack
    return haystack.startswith(needle) if name == "startswith" else haystack.endswith(needle)


def evaluate(expression: Expression, values: Mapping[str, Any]) -> bool:
    """Whether a record matches.

    Args:
        expression: A parsed filter.
        values: The record's attribute values by filter name (absent ones are ``null``).
    """
    if isinstance(expression, Comparison):
        return _compare(values.get(expression.attribute), expression.operator, expression.value)
    if isinstance(expression, InList):
        actual = values.get(expression.attribute)
        return any(_compare(actual, "eq", value) for value in expression.values)
    if isinstance(expression, Function):
        return _call(expression.name, values.get(expression.attribute), expression.value)
    if isinstance(expression, Not):
        return not evaluate(expression.operand, values)
    if isinstance(expression, And):
        return evaluate(expression.left, values) and evaluate(expression.right, values)
    return evaluate(expression.left, values) or evaluate(expression.right, values)


def lookup_plan(expression: Expression, indexed: Sequence[str]) -> list[tuple[str, str]] | None:
    """The equalities on indexed attributes whose matches hold every match of the filter, if any do.

    ``a eq 'x'`` and ``a in ('x','y')`` on an indexed attribute are answered by lookups; ``and``
    needs one side answered so; ``or`` needs both; ``not`` never is. The filter is then checked in
    full on the people found.

    Returns:
        ``(attribute, value)`` pairs to look up, or ``None`` when the filter needs a read of every person.
    """
    if isinstance(expression, Comparison | InList):
        values = expression.values if isinstance(expression, InList) else (expression.value,)
        is_equality = isinstance(expression, InList) or expression.operator == "eq"
        if is_equality and expression.attribute in indexed and all(isinstance(v, str) for v in values):
            return [(expression.attribute, str(v)) for v in values]
        return None
    if isinstance(expression, And):
        left = lookup_plan(expression.left, indexed)
        return left if left is not None else lookup_plan(expression.right, indexed)
    if isinstance(expression, Or):
        left = lookup_plan(expression.left, indexed)
        right = lookup_plan(expression.right, indexed) if left is not None else None
        return None if left is None or right is None else left + right
    return None


def rewrite_literals(expression: Expression, rewrite: Callable[[str, Literal, int], Literal]) -> Expression:
    """The expression with every equality literal (``eq``, ``ne``, ``in``) passed through ``rewrite``.

    The directory uses it to put emails, phone numbers and ids in their stored form (and to refuse
    malformed ones) before comparing.
    """
    if isinstance(expression, Comparison) and expression.operator in {"eq", "ne"}:
        value = rewrite(expression.attribute, expression.value, expression.position)
        return Comparison(expression.attribute, expression.operator, value, expression.position)
    if isinstance(expression, InList):
        values = tuple(rewrite(expression.attribute, v, expression.position) for v in expression.values)
        return InList(expression.attribute, values, expression.position)
    if isinstance(expression, Not):
        return Not(rewrite_literals(expression.operand, rewrite))
    if isinstance(expression, And):
        return And(rewrite_literals(expression.left, rewrite), rewrite_literals(expression.right, rewrite))
    if isinstance(expression, Or):
        return Or(rewrite_literals(expression.left, rewrite), rewrite_literals(expression.right, rewrite))
    return expression
