"""Personalization templates: placeholders with defaults and conditional blocks, compiled once, rendered safely.

The syntax is the Handlebars-like one CI-J users write in push messages. Grammar (spaces inside a
tag are free)::

    template    := ( text | placeholder | if-block )*
    placeholder := "{{" path [ "|" "default" ":" string ] "}}"
    if-block    := "{{#if" condition "}}" template
                   ( "{{else if" condition "}}" template )*
                   [ "{{else}}" template ]
                   "{{/if}}"
    condition   := path [ ( "==" | "!=" ) literal ]
    path        := source "." name ( "." name )*          (at most 6 names after the source)
    source      := "contact" | "lead" | "profile" | "trigger"
    name        := [A-Za-z_][A-Za-z0-9_]*
    literal     := string | number | "true" | "false"
    string      := '"' ( any character but '"' and '\\' | '\\"' | '\\\\' | '\\n' )* '"'
    number      := [ "-" ] digits [ "." digits ]
    text        := anything else; "\\{{" writes a literal "{{"

``contact``, ``lead`` and ``profile`` all name the recipient's directory record (whatever kind it
is), ``trigger`` the data passed with the send. Rendering rules:

- A placeholder writes the value as text: strings as they are, numbers without exponent,
  ``true``/``false``. A missing, null or empty value, or a structured one (object, list), writes
  the default, or nothing. The raw placeholder never reaches the output.
- A condition on a bare path is true when the value exists and is not ``false``, ``0``, ``""``,
  null or an empty object/list. ``==``/``!=`` compare with the literal: strings exactly
  (case-sensitive), numbers numerically (``"3"`` equals ``3``), booleans by their text.
  A missing value is never equal to anything.
- Values are inserted verbatim (no HTML or JSON escaping): payloads are built as dicts and JSON
  encoded afterwards, so quotes, backslashes and control characters in values cannot break out.
  An ``escape`` function can be given per template (URLs percent-encode what they insert). A value
  is never rendered again, so a value containing ``{{...}}`` stays text.

Safety limits: sources of at most :data:`MAX_SOURCE_CHARS` characters, blocks nested at most
:data:`MAX_NESTING_DEPTH` deep, output of at most :data:`MAX_OUTPUT_CHARS` characters unless the
caller says otherwise. Lookups are ``Mapping.get`` only: no attribute access, no code execution.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

#: Largest template source accepted.
MAX_SOURCE_CHARS: Final = 8192
#: Deepest nesting of ``{{#if}}`` blocks.
MAX_NESTING_DEPTH: Final = 8
#: Most attribute names after the data source in one path.
MAX_PATH_NAMES: Final = 6
#: Default bound on rendered output.
MAX_OUTPUT_CHARS: Final = 8192

RECIPIENT_SOURCE: Final = "contact"
TRIGGER_SOURCE: Final = "trigger"
#: Data-source names as written in templates → the key of the render data they read.
SOURCES: Final[Mapping[str, str]] = {
    "contact": RECIPIENT_SOURCE,
    "lead": RECIPIENT_SOURCE,
    "profile": RECIPIENT_SOURCE,
    "trigger": TRIGGER_SOURCE,
}

#: What templates render from: ``{"contact": {...}, "trigger": {...}}``.
TemplateData = Mapping[str, Mapping[str, Any]]


class TemplateSyntaxError(ValueError):
    """A template cannot be compiled.

    Attributes:
        reason: What is wrong, for an operator.
        offset: 0-based character offset in the template source where the problem starts.
    """

    def __init__(self, reason: str, offset: int) -> None:
        """Builds the error."""
        super().__init__(f"at character {offset}: {reason}")
        self.reason = reason
        self.offset = offset


class RenderLimitError(ValueError):
    """Rendering would produce more than the allowed number of characters."""

    def __init__(self, limit: int) -> None:
        """Builds the error."""
        super().__init__(f"renders to more than {limit} characters")
        self.limit = limit


class _Missing:
    __slots__ = ()


_MISSING: Final = _Missing()


# ------------------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class _Text:
    value: str


@dataclass(frozen=True, slots=True)
class _Tag:
    content: str
    offset: int  # offset of the opening "{{"


def _find_tag_end(source: str, start: int, open_at: int) -> int:
    # Skips string literals so a default such as "}}" does not end the tag early.
    index = start
    string_start = -1
    length = len(source)
    while index < length:
        char = source[index]
        if string_start >= 0:
            if char == "\\":
                index += 2
                continue
            if char == '"':
                string_start = -1
        elif char == '"':
            string_start = index
        elif source.startswith("}}", index):
            return index
        elif source.startswith("{{", index):
            raise TemplateSyntaxError("this tag is not closed with '}}' before the next '{{'", open_at)
        index += 1
    if string_start >= 0:
        raise TemplateSyntaxError("this string is not closed with '\"'", string_start)
    raise TemplateSyntaxError("this tag is not closed with '}}'", open_at)


def _tokenize(source: str) -> Iterator[_Text | _Tag]:
    text: list[str] = []
    position = 0
    while True:
        open_at = source.find("{{", position)
        if open_at < 0:
            text.append(source[position:])
            break
        if open_at > 0 and source[open_at - 1] == "\\":
            text.append(source[position : open_at - 1])
            text.append("{{")
            position = open_at + 2
            continue
        text.append(source[position:open_at])
        close_at = _find_tag_end(source, open_at + 2, open_at)
        joined = "".join(text)
        if joined:
            yield _Text(joined)
        text = []
        yield _Tag(source[open_at + 2 : close_at], open_at)
        position = close_at + 2
    joined = "".join(text)
    if joined:
        yield _Text(joined)


_LEXEME = re.compile(
    r"""(?P<space>\s+)
      |(?P<string>"(?:[^"\\]|\\.)*")
      |(?P<number>-?\d+(?:\.\d+)?)
      |(?P<op>==|!=|\||:)
      |(?P<word>[#/]?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)""",
    re.VERBOSE | re.DOTALL,
)
_STRING_ESCAPES: Final = {'"': '"', "\\": "\\", "n": "\n"}


@dataclass(frozen=True, slots=True)
class _Lexeme:
    kind: str
    text: str
    offset: int


def _lex(tag: _Tag) -> list[_Lexeme]:
    base = tag.offset + 2
    content = tag.content
    lexemes: list[_Lexeme] = []
    position = 0
    while position < len(content):
        match = _LEXEME.match(content, position)
        if match is None:
            char = content[position]
            if char == '"':
                raise TemplateSyntaxError("this string is not closed with '\"'", base + position)
            if char == "." and lexemes and lexemes[-1].kind == "word":
                raise TemplateSyntaxError("a name must follow '.' (names are letters, digits, '_')", base + position)
            raise TemplateSyntaxError(f"unexpected character {char!r}", base + position)
        kind = match.lastgroup or ""
        if kind != "space":
            lexemes.append(_Lexeme(kind, match.group(), base + position))
        position = match.end()
    return lexemes


def _string_value(lexeme: _Lexeme) -> str:
    raw = lexeme.text[1:-1]
    out: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\":
            escaped = raw[index + 1]
            if escaped not in _STRING_ESCAPES:
                raise TemplateSyntaxError(
                    f"unknown escape '\\{escaped}' (use \\\", \\\\ or \\n)", lexeme.offset + 1 + index
                )
            out.append(_STRING_ESCAPES[escaped])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


# ------------------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True, slots=True)
class _Path:
    source: str  # the render-data key (aliases resolved)
    names: tuple[str, ...]
    written: str  # as written, for listings


@dataclass(frozen=True, slots=True)
class _Condition:
    path: _Path
    operator: str | None = None  # "==" or "!="
    literal: str | Decimal | bool | None = None


@dataclass(frozen=True, slots=True)
class _Placeholder:
    path: _Path
    default: str


@dataclass(frozen=True, slots=True)
class _If:
    branches: tuple[tuple[_Condition, tuple[_Node, ...]], ...]
    otherwise: tuple[_Node, ...]


_Node = _Text | _Placeholder | _If


def _parse_path(lexeme: _Lexeme) -> _Path:
    if lexeme.kind != "word" or lexeme.text.startswith(("#", "/")):
        raise TemplateSyntaxError(
            f"expected a placeholder such as contact.firstname, found {lexeme.text!r}", lexeme.offset
        )
    names = lexeme.text.split(".")
    written_source = names[0]
    if written_source not in SOURCES:
        known = ", ".join(SOURCES)
        raise TemplateSyntaxError(f"unknown data source {written_source!r} (known: {known})", lexeme.offset)
    if len(names) < 2:
        raise TemplateSyntaxError(
            f"{written_source!r} needs an attribute, for example {written_source}.firstname", lexeme.offset
        )
    if len(names) - 1 > MAX_PATH_NAMES:
        raise TemplateSyntaxError(f"a path has at most {MAX_PATH_NAMES} names after the source", lexeme.offset)
    return _Path(SOURCES[written_source], tuple(names[1:]), lexeme.text)


def _parse_literal(lexeme: _Lexeme) -> str | Decimal | bool:
    if lexeme.kind == "string":
        return _string_value(lexeme)
    if lexeme.kind == "number":
        return Decimal(lexeme.text)
    if lexeme.kind == "word" and lexeme.text in {"true", "false"}:
        return lexeme.text == "true"
    raise TemplateSyntaxError(
        f'expected a literal ("text", a number, true or false), found {lexeme.text!r}', lexeme.offset
    )


def _parse_condition(lexemes: list[_Lexeme], tag: _Tag) -> _Condition:
    if not lexemes:
        raise TemplateSyntaxError("the condition is missing, for example {{#if contact.firstname}}", tag.offset)
    path = _parse_path(lexemes[0])
    if len(lexemes) == 1:
        return _Condition(path)
    operator = lexemes[1]
    if operator.kind != "op" or operator.text not in {"==", "!="}:
        raise TemplateSyntaxError(f"expected '==' or '!=', found {operator.text!r}", operator.offset)
    if len(lexemes) == 2:
        raise TemplateSyntaxError(f"a literal must follow {operator.text!r}", operator.offset)
    if len(lexemes) > 3:
        raise TemplateSyntaxError(f"unexpected {lexemes[3].text!r} after the condition", lexemes[3].offset)
    return _Condition(path, operator.text, _parse_literal(lexemes[2]))


def _parse_placeholder(lexemes: list[_Lexeme]) -> _Placeholder:
    path = _parse_path(lexemes[0])
    rest = lexemes[1:]
    if not rest:
        return _Placeholder(path, "")
    shape = [(lexeme.kind, lexeme.text) for lexeme in rest[:3]]
    if shape != [("op", "|"), ("word", "default"), ("op", ":")]:
        raise TemplateSyntaxError(
            f'unexpected {rest[0].text!r}; a default is written {{{{{path.written} | default: "text"}}}}',
            rest[0].offset,
        )
    if len(rest) < 4 or rest[3].kind != "string":
        offset = rest[3].offset if len(rest) >= 4 else rest[2].offset
        raise TemplateSyntaxError('the default must be a string in double quotes, for example "there"', offset)
    if len(rest) > 4:
        raise TemplateSyntaxError(f"unexpected {rest[4].text!r} after the default", rest[4].offset)
    return _Placeholder(path, _string_value(rest[3]))


@dataclass
class _OpenBlock:
    offset: int
    branches: list[tuple[_Condition, list[_Node]]] = field(default_factory=list)
    otherwise: list[_Node] | None = None

    @property
    def current(self) -> list[_Node]:
        return self.otherwise if self.otherwise is not None else self.branches[-1][1]


class _Parser:
    """Builds the tree from the token stream with an explicit stack (no recursion on input depth)."""

    def __init__(self) -> None:
        self.root: list[_Node] = []
        self.stack: list[_OpenBlock] = []

    def current(self) -> list[_Node]:
        return self.stack[-1].current if self.stack else self.root

    def parse(self, source: str) -> tuple[_Node, ...]:
        for token in _tokenize(source):
            if isinstance(token, _Text):
                self.current().append(token)
            else:
                self.tag(token)
        if self.stack:
            raise TemplateSyntaxError("this {{#if}} block is never closed with {{/if}}", self.stack[-1].offset)
        return tuple(self.root)

    def tag(self, token: _Tag) -> None:
        lexemes = _lex(token)
        if not lexemes:
            raise TemplateSyntaxError("empty tag '{{}}'", token.offset)
        head = lexemes[0]
        keyword = head.text if head.kind == "word" else ""
        if keyword == "#if":
            self.open_block(token, lexemes)
        elif keyword == "else":
            self.else_branch(token, lexemes)
        elif keyword == "/if":
            self.close_block(token, lexemes)
        elif keyword.startswith(("#", "/")):
            raise TemplateSyntaxError(f"unknown block {keyword!r} (only {{{{#if}}}} blocks exist)", head.offset)
        else:
            self.current().append(_parse_placeholder(lexemes))

    def open_block(self, token: _Tag, lexemes: list[_Lexeme]) -> None:
        if len(self.stack) >= MAX_NESTING_DEPTH:
            raise TemplateSyntaxError(f"blocks nest more than {MAX_NESTING_DEPTH} levels deep", token.offset)
        block = _OpenBlock(token.offset)
        block.branches.append((_parse_condition(lexemes[1:], token), []))
        self.stack.append(block)

    def else_branch(self, token: _Tag, lexemes: list[_Lexeme]) -> None:
        if not self.stack:
            raise TemplateSyntaxError("'{{else}}' outside an {{#if}} block", token.offset)
        block = self.stack[-1]
        if block.otherwise is not None:
            raise TemplateSyntaxError("nothing may follow '{{else}}' in a block but '{{/if}}'", token.offset)
        if len(lexemes) == 1:
            block.otherwise = []
        elif lexemes[1].kind == "word" and lexemes[1].text == "if":
            block.branches.append((_parse_condition(lexemes[2:], token), []))
        else:
            raise TemplateSyntaxError("write '{{else}}' or '{{else if condition}}'", lexemes[1].offset)

    def close_block(self, token: _Tag, lexemes: list[_Lexeme]) -> None:
        if len(lexemes) > 1:
            raise TemplateSyntaxError("'{{/if}}' takes nothing else", lexemes[1].offset)
        if not self.stack:
            raise TemplateSyntaxError("'{{/if}}' without an opening {{#if}}", token.offset)
        block = self.stack.pop()
        branches = tuple((condition, tuple(nodes)) for condition, nodes in block.branches)
        self.current().append(_If(branches, tuple(block.otherwise or ())))


def _parse(source: str) -> tuple[_Node, ...]:
    return _Parser().parse(source)


# ------------------------------------------------------------------------------------- rendering


def _lookup(data: TemplateData, path: _Path) -> object:
    value: object = data.get(path.source, _MISSING)
    for name in path.names:
        if not isinstance(value, Mapping):
            return _MISSING
        value = value.get(name, _MISSING)
    return value


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        return str(value)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def value_text(value: object) -> str | None:
    """How a data value is written into a template's output.

    Args:
        value: A value from the render data.

    Returns:
        The text, or ``None`` when the value counts as missing (absent, null, empty string, object, list).
    """
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, float):
        return _decimal_text(Decimal(repr(value))) if math.isfinite(value) else None
    return None


def _truthy(value: object) -> bool:
    if value is _MISSING or value is None or value is False:
        return False
    if isinstance(value, str | Mapping | list | tuple):
        return len(value) > 0
    if isinstance(value, int | float | Decimal):
        return value != 0
    return True


def _equals(value: object, literal: str | Decimal | bool | None) -> bool:
    text = value_text(value)
    if text is None:
        return False
    if isinstance(literal, bool):
        return text == ("true" if literal else "false")
    if isinstance(literal, Decimal):
        try:
            return Decimal(text) == literal
        except InvalidOperation:
            return False
    return text == literal


def _holds(condition: _Condition, data: TemplateData) -> bool:
    value = _lookup(data, condition.path)
    if condition.operator is None:
        return _truthy(value)
    equal = _equals(value, condition.literal)
    return equal if condition.operator == "==" else not equal


class _Sink:
    __slots__ = ("limit", "parts", "size")

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.limit:
            raise RenderLimitError(self.limit)
        self.parts.append(text)


_Emit = Callable[[TemplateData, _Sink], None]


def _compile_nodes(nodes: tuple[_Node, ...], escape: Callable[[str], str] | None) -> _Emit:
    emitters = [_compile_node(node, escape) for node in nodes]

    def emit_all(data: TemplateData, sink: _Sink) -> None:
        for emit in emitters:
            emit(data, sink)

    return emit_all


def _compile_node(node: _Node, escape: Callable[[str], str] | None) -> _Emit:
    if isinstance(node, _Text):
        text = node.value

        def emit_text(_: TemplateData, sink: _Sink) -> None:
            sink.write(text)

        return emit_text
    if isinstance(node, _Placeholder):
        path = node.path
        default = escape(node.default) if escape and node.default else node.default

        def emit_value(data: TemplateData, sink: _Sink) -> None:
            text = value_text(_lookup(data, path))
            if text is None:
                sink.write(default)
            else:
                sink.write(escape(text) if escape else text)

        return emit_value
    branches = [(condition, _compile_nodes(body, escape)) for condition, body in node.branches]
    otherwise = _compile_nodes(node.otherwise, escape)

    def emit_block(data: TemplateData, sink: _Sink) -> None:
        for condition, emit in branches:
            if _holds(condition, data):
                emit(data, sink)
                return
        otherwise(data, sink)

    return emit_block


def _path_nodes(nodes: tuple[_Node, ...]) -> Iterator[_Path]:
    for node in nodes:
        if isinstance(node, _Placeholder):
            yield node.path
        elif isinstance(node, _If):
            for condition, body in node.branches:
                yield condition.path
                yield from _path_nodes(body)
            yield from _path_nodes(node.otherwise)


@dataclass(frozen=True)
class CompiledTemplate:
    """A parsed template, ready to render many times.

    Attributes:
        source: The template as written.
        placeholders: Every path the template reads, in order of appearance, without repeats.
    """

    source: str
    placeholders: tuple[str, ...]
    _emit: _Emit | None = field(repr=False, compare=False)
    _paths: tuple[_Path, ...] = field(default=(), repr=False, compare=False)

    def missing(self, data: TemplateData) -> tuple[str, ...]:
        """The paths this template reads that have no value in ``data`` (as written in the template).

        Args:
            data: The render data.

        Returns:
            Paths whose value is absent, null, empty or structured.
        """
        return tuple(
            path.written
            for path in self._paths
            if value_text(_lookup(data, path)) is None and not _truthy(_lookup(data, path))
        )

    @property
    def is_constant(self) -> bool:
        """Whether the template has no tags (it renders to its source unchanged)."""
        return self._emit is None

    def render(self, data: TemplateData, *, max_chars: int = MAX_OUTPUT_CHARS) -> str:
        """Renders the template.

        Args:
            data: ``{"contact": {...}, "trigger": {...}}``; either may be absent.
            max_chars: Largest output allowed.

        Returns:
            The text.

        Raises:
            RenderLimitError: The output would exceed ``max_chars``.
        """
        sink = _Sink(max_chars)
        if self._emit is None:
            sink.write(self.source)
        else:
            self._emit(data, sink)
        return "".join(sink.parts)


def compile_template(source: str, *, escape: Callable[[str], str] | None = None) -> CompiledTemplate:
    """Parses and compiles a template.

    Args:
        source: The template text.
        escape: Applied to every inserted value and default (not to the literal text), for contexts
            such as URLs.

    Returns:
        The compiled template.

    Raises:
        TemplateSyntaxError: The template is malformed, names an unknown data source, nests too
            deep or is too long; ``offset`` says where.
    """
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateSyntaxError(f"a template has at most {MAX_SOURCE_CHARS} characters", MAX_SOURCE_CHARS)
    if "{{" not in source:
        return CompiledTemplate(source, (), None)
    nodes = _parse(source)
    paths = tuple({path.written: path for path in _path_nodes(nodes)}.values())
    return CompiledTemplate(source, tuple(p.written for p in paths), _compile_nodes(nodes, escape), paths)
