"""The CSV Pushgate writes: a header row, CRLF lines, and no cell a spreadsheet runs as a formula.

Exported cells hold text that clients chose (a bot click's ``UserAgent`` is whatever the
requester sent). Excel, LibreOffice and Google Sheets read a cell that starts with ``=``, ``+``,
``-`` or ``@`` (or with a tab or carriage return before one) as a formula, which can fetch URLs
with the sheet's data or run commands. OWASP's rule for CSV injection is to prefix such a cell with
``'``: spreadsheets then show it as text and hide the quote. Every CSV writer of the product goes
through :func:`csv_text`, so the rule holds in one place (see ``docs/decisions.md``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

#: What a cell may not start with (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A cell's text, with ``'`` put before it when it would start a formula (``None`` is empty)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """A CSV document: the header row, then one line per row, every cell passed through :func:`spreadsheet_safe`.

    Args:
        columns: The columns, in order (each row's keys; a missing key is an empty cell).
        rows: The records.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(column) for column in columns])
    writer.writerows([spreadsheet_safe(row.get(column)) for column in columns] for row in rows)
    return buffer.getvalue()
