"""What text Pushgate accepts from clients: Unicode without control characters.

Two rules, applied everywhere a client sends text (bodies, path parameters, query parameters):

- **Free text** (a message ``Body``, a description, custom data, a PEM key) may hold tab, line feed
  and carriage return, and no other C0 control character (U+0000-U+001F) nor DEL (U+007F).
- **A line** (names, titles, subtitles, ids, tokens, path and query parameters) holds no control
  character at all.

Text that is not valid Unicode (invalid UTF-8 bytes, or a JSON ``\\ud800`` escape that leaves a
lone surrogate) is refused under both rules: it could not be stored or sent to a device intact.
See ``docs/decisions.md`` ("Text, bodies and path parameters").
"""

from __future__ import annotations

import re

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

_FREE_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def text_problem(value: str, *, single_line: bool) -> str | None:
    """Why a text is not acceptable, or ``None`` when it is.

    Args:
        value: The text as decoded.
        single_line: Apply the line rule (no tab, CR or LF either) instead of the free-text rule.

    Returns:
        A problem naming the first offending character by code point, never the value itself.
    """
    if _SURROGATE.search(value):
        return "is not valid UTF-8 text"
    found = (_LINE_CONTROL if single_line else _FREE_TEXT_CONTROL).search(value)
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    if single_line:
        return f"must be a single line without control characters (found {code})"
    return f"must not contain control characters other than tab and line breaks (found {code})"


def single_line(value: str) -> str:
    """Pydantic validator: the value unchanged, or a ``single_line`` error."""
    problem = text_problem(value, single_line=True)
    if problem is not None:
        raise PydanticCustomError("single_line", problem)
    return value


#: Marks an annotated ``str`` as one line without control characters (a name, title, id or token);
#: put it after the type's ``StringConstraints`` so that they apply to the string first.
SINGLE_LINE = AfterValidator(single_line)
