"""Reading the operator's input files: people to import, recipients to send to, JSON options."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pushgate_cli.errors import CliError, usage_error

#: CSV cells of these attributes are booleans (``true``/``false``, ``yes``/``no``, ``1``/``0``).
BOOLEAN_ATTRIBUTES = frozenset({"trackingconsent", "pushconsent"})
TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})
#: A CSV column ``customattributes.<name>`` fills ``customattributes: {<name>: value}``.
CUSTOM_PREFIX = "customattributes."


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise usage_error(f"cannot read {path}: {error}") from None


def parse_json(value: str, what: str) -> Any:
    """A JSON option value or file content."""
    try:
        return json.loads(value)
    except ValueError as error:
        raise usage_error(f"{what} is not JSON: {error}") from None


def json_object(value: str | None, what: str) -> dict[str, Any] | None:
    """An optional JSON object option (``--data '{"k": "v"}'``)."""
    if value is None:
        return None
    parsed = parse_json(value, what)
    if not isinstance(parsed, dict):
        raise usage_error(f"{what} must be a JSON object")
    return parsed


@dataclass(frozen=True)
class PeopleFile:
    """People read from a file, with where each one is in it (for reporting a failed row)."""

    items: list[Any]
    #: Per item: the line its row starts on (CSV, counting the header as line 1) or its 1-based
    #: position in the array (JSON).
    positions: list[int]
    #: What ``positions`` count: ``Line`` or ``Item``.
    unit: str


def read_people_file(path: Path) -> PeopleFile:
    """People from a ``.csv`` (a header row of attribute names) or ``.json`` (an array, or ``{"Items"}``)."""
    content = read_text(path)
    if path.suffix.lower() == ".csv":
        rows = csv.DictReader(io.StringIO(content, newline=""))
        people: list[Any] = []
        positions: list[int] = []
        first_line = 2
        for row in rows:
            # A quoted cell may span lines: the row starts after the line the previous one ended on.
            people.append(_person_of_row(row, first_line))
            positions.append(first_line)
            first_line = rows.line_num + 1
        return PeopleFile(people, positions, "Line")
    parsed = parse_json(content, str(path))
    items = parsed.get("Items") if isinstance(parsed, dict) else parsed
    if not isinstance(items, list):
        raise usage_error(f'{path}: expected a JSON array of people (or {{"Items": [...]}})')
    return PeopleFile(items, list(range(1, len(items) + 1)), "Item")


def read_people(path: Path) -> list[Any]:
    """The people of a ``.csv`` or ``.json`` file (see :func:`read_people_file`)."""
    return read_people_file(path).items


def _person_of_row(row: dict[str, str | None], line: int) -> dict[str, Any]:
    person: dict[str, Any] = {}
    custom: dict[str, str] = {}
    for column, cell in row.items():
        if column is None:
            raise usage_error(f"line {line}: more cells than columns")
        value = (cell or "").strip()
        name = column.strip()
        if not value or not name:
            continue  # an empty cell is an attribute not sent
        if name.startswith(CUSTOM_PREFIX):
            custom[name.removeprefix(CUSTOM_PREFIX)] = value
        elif name in BOOLEAN_ATTRIBUTES:
            person[name] = _boolean(value, name, line)
        else:
            person[name] = value
    if custom:
        person["customattributes"] = custom
    return person


def _boolean(value: str, name: str, line: int) -> bool:
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise usage_error(f"line {line}: {name} must be true or false, not {value!r}")


def read_recipients(path: Path) -> list[dict[str, Any]]:
    """Recipients, duplicates dropped (first kept), from one of:

    - ``.json``: an array of user ids or of ``{"UserId", "TriggerData"?}`` objects;
    - ``.csv``: a ``UserId`` column (and an optional ``TriggerData`` column of JSON objects);
    - anything else: one user id per line (blank lines and ``#`` comments skipped).
    """
    content = read_text(path)
    suffix = path.suffix.lower()
    recipients: list[dict[str, Any]]
    if suffix == ".json":
        parsed = parse_json(content, str(path))
        if not isinstance(parsed, list):
            raise usage_error(f"{path}: expected a JSON array of user ids or recipients")
        recipients = [item if isinstance(item, dict) else {"UserId": str(item)} for item in parsed]
    elif suffix == ".csv":
        rows = list(csv.DictReader(content.splitlines()))
        if rows and "UserId" not in rows[0]:
            raise usage_error(f"{path}: no UserId column")
        recipients = []
        for row in rows:
            recipient: dict[str, Any] = {"UserId": (row["UserId"] or "").strip()}
            if (row.get("TriggerData") or "").strip():
                recipient["TriggerData"] = json_object(row["TriggerData"], f"TriggerData of {recipient['UserId']}")
            recipients.append(recipient)
    else:
        lines = (line.strip() for line in content.splitlines())
        recipients = [{"UserId": line} for line in lines if line and not line.startswith("#")]
    seen: set[str] = set()
    distinct = []
    for recipient in recipients:
        user_id = recipient.get("UserId")
        if user_id in seen:
            continue
        seen.add(str(user_id))
        distinct.append(recipient)
    if not distinct:
        raise usage_error(f"{path}: no recipients")
    return distinct


def chunks_by_size(items: list[Any], *, max_items: int, max_bytes: int) -> list[list[Any]]:
    """Consecutive chunks of at most ``max_items`` items and about ``max_bytes`` of JSON each."""
    result: list[list[Any]] = []
    current: list[Any] = []
    size = 0
    for item in items:
        item_size = len(json.dumps(item, ensure_ascii=False).encode()) + 2
        if item_size > max_bytes:
            raise CliError(f"one item is larger than {max_bytes} bytes of JSON", exit_code=2, code="UsageError")
        if current and (len(current) >= max_items or size + item_size > max_bytes):
            result.append(current)
            current, size = [], 0
        current.append(item)
        size += item_size
    if current:
        result.append(current)
    return result
