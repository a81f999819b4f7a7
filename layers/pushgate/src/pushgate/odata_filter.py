"""The OData ``$filter`` subset the directory answers: equalities joined by ``and`` / ``or``, with parentheses.

``emailaddress1 eq 'andrew@contoso.com' or (mobilephone eq '+14255550100' and lastname eq 'Ng')``.
Literals are single-quoted strings (``''`` escapes a quote), ``true``, ``false`` and ``null``. Any
other OData operator (``ne``, ``gt``, ``not``...) or function (``contains(...)``...) is refused by
name; a syntax error names its position (0-based character offset into the ``$filter`` value).
The parsed filter comes back in disjunctive normal form (an ``or`` of ``and`` groups), which is
what an indexed evaluation needs: each group is answered from one lookup and then checked in full.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from pushgate.errors import InvalidRequestError

FILTER_FIELD = "$filter"
MAX_FILTER_LENGTH = 2000
#: Bound on the ``or`` alternatives after expansion, so ``(a or b) and (c or d) and ...`` stays cheap.
MAX_ALTERNATIVES = 16

UNSUPPORTED_OPERATORS = frozenset({"ne", "gt", "ge", "lt", "le", "has", "in", "not", "add", "sub", "mul", "div", "mod"})
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<open>\()
      | (?P<close>\))
      | (?P<string>'(?:[^']|'')*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class AttributeKind(StrEnum):
    """What literal an attribute compares with."""

    STRING = "string"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Comparison:
    """``attribute eq value``; ``position`` is where the attribute name starts in the filter."""

    attribute: str
    value: str | bool | None
    position: int


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def filter_error(problem: str) -> InvalidRequestError:
    """The 400 for a ``$filter`` the directory cannot answer."""
    return InvalidRequestError.for_field(FILTER_FIELD, problem)


def _syntax_error(position: int, expected: str) -> InvalidRequestError:
    return filter_error(f"syntax error at position {position}: {expected}")


def _unexpected(token: _Token, expected: str) -> InvalidRequestError:
    # Characters outside the grammar are reported only when the parser reaches them, so an
    # unsupported function or operator earlier in the filter is named rather than a comma after it.
    if token.kind == "other" and token.text == "'":
        return _syntax_error(token.position, "unterminated string literal (close it with ')")
    if token.kind == "other":
        return _syntax_error(token.position, f"unexpected character {token.text!r}")
    return _syntax_error(token.position, f"{expected}, found {_shown(token)}")


def _tokens(text: str) -> list[_Token]:
    found = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            break
        kind = match.lastgroup or ""
        if kind != "space":
            found.append(_Token(kind, match.group(), position))
        position = match.end()
    found.append(_Token("end", "", len(text)))
    return found


class _Parser:
    def __init__(self, text: str, attributes: Mapping[str, AttributeKind]) -> None:
        self._tokens = _tokens(text)
        self._index = 0
        self._attributes = attributes

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _take(self) -> _Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def parse(self) -> list[list[Comparison]]:
        alternatives = self._or()
        token = self._peek()
        if token.kind != "end":
            self._refuse_unsupported(token)
            raise _unexpected(token, "expected 'and', 'or' or the end")
        return alternatives

    def _or(self) -> list[list[Comparison]]:
        alternatives = self._and()
        while self._peek().kind == "word" and self._peek().text == "or":
            self._take()
            alternatives = alternatives + self._and()
            _check_size(alternatives)
        return alternatives

    def _and(self) -> list[list[Comparison]]:
        alternatives = self._primary()
        while self._peek().kind == "word" and self._peek().text == "and":
            self._take()
            right = self._primary()
            alternatives = [left_group + right_group for left_group in alternatives for right_group in right]
            _check_size(alternatives)
        return alternatives

    def _primary(self) -> list[list[Comparison]]:
        token = self._take()
        if token.kind == "open":
            inner = self._or()
            closing = self._take()
            if closing.kind != "close":
                self._refuse_unsupported(closing)
                raise _unexpected(closing, f"expected ')' to close the '(' at position {token.position}")
            return inner
        if token.kind != "word" or token.text in {"and", "or", "eq"}:
            raise _unexpected(token, "expected an attribute name or '('")
        if token.text == "not":
            raise filter_error(f"operator 'not' (position {token.position}) is not supported; use eq with and/or")
        if self._peek().kind == "open":
            raise filter_error(
                f"function '{token.text}' (position {token.position}) is not supported; use eq with and/or"
            )
        return [[self._comparison(token)]]

    def _comparison(self, name: _Token) -> Comparison:
        kind = self._attributes.get(name.text)
        if kind is None:
            raise filter_error(f"unknown attribute '{name.text}' at position {name.position}")
        operator = self._take()
        self._refuse_unsupported(operator)
        if operator.kind != "word" or operator.text != "eq":
            raise _unexpected(operator, f"expected 'eq' after '{name.text}'")
        literal = self._take()
        value = _literal(literal)
        if value is None and literal.text != "null":
            raise _unexpected(literal, "expected a value after 'eq'")
        wanted = "true, false or null" if kind is AttributeKind.BOOLEAN else "a quoted string or null"
        mismatch = f"'{name.text}' (position {name.position}) compares with {wanted}"
        if isinstance(value, float) or (
            isinstance(value, bool) != (kind is AttributeKind.BOOLEAN) and value is not None
        ):
            raise filter_error(mismatch)
        return Comparison(name.text, value, name.position)

    @staticmethod
    def _refuse_unsupported(token: _Token) -> None:
        if token.kind == "word" and token.text in UNSUPPORTED_OPERATORS:
            raise filter_error(
                f"operator '{token.text}' (position {token.position}) is not supported; use eq with and/or"
            )


def _literal(token: _Token) -> str | bool | float | None:
    if token.kind == "string":
        return token.text[1:-1].replace("''", "'")
    if token.kind == "number":
        return float(token.text)
    if token.kind == "word" and token.text in {"true", "false"}:
        return token.text == "true"
    return None


def _shown(token: _Token) -> str:
    return "the end of the filter" if token.kind == "end" else repr(token.text[:40])


def _check_size(alternatives: list[list[Comparison]]) -> None:
    if len(alternatives) > MAX_ALTERNATIVES:
        raise filter_error(f"expands to more than {MAX_ALTERNATIVES} alternatives; simplify the and/or nesting")


def parse_filter(text: str, attributes: Mapping[str, AttributeKind]) -> list[list[Comparison]]:
    """Parses a ``$filter`` value.

    Args:
        text: The value as sent.
        attributes: The attributes that may be compared, with the literal kind each takes.

    Returns:
        The filter in disjunctive normal form: a list of alternatives, each a list of equalities
        that must all hold.

    Raises:
        InvalidRequestError: Empty or too long, a syntax error (with its position), an unknown
            attribute, or an unsupported operator or function (named).
    """
    if not text.strip():
        raise filter_error("is empty")
    if len(text) > MAX_FILTER_LENGTH:
        raise filter_error(f"is longer than {MAX_FILTER_LENGTH} characters")
    return _Parser(text, attributes).parse()
