"""How commands show results: Rich for people, plain JSON (`--json`) for scripts; errors on stderr.

Nothing shown is ever cut (Rich's ``…``): an id, a token or a number is printed whole. On a
terminal a table is drawn when it fits the width; one that does not fit is printed as one block of
``Column: value`` lines per row instead. When stdout is not a terminal (a pipe, a file), or with
``pushgate --wide``, tables are plain: one row per line, columns aligned with spaces, no borders
and no width limit, so ``grep`` and ``cut`` see whole rows. A secret shown once goes on a line of
its own (:func:`show_secret`).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ParamSpec, cast

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.models import CommandFunctionType

from pushgate_cli.errors import CliError

P = ParamSpec("P")

# soft_wrap: a long line is left to the terminal to wrap, never broken (or cut) by Rich.
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)
#: Wider than any table: measures a table's natural width, whatever the terminal's.
_UNLIMITED = 1_000_000


@dataclass
class _Layout:
    #: ``pushgate --wide``: plain tables on a terminal too.
    wide: bool = False


layout = _Layout()


def plain() -> bool:
    """Whether tables are printed plain: ``--wide``, or stdout is not a terminal."""
    return layout.wide or not console.is_terminal


JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer, for scripts.")]
OrgOption = Annotated[
    str | None,
    typer.Option("--org", envvar="PUSHGATE_ORG", help="Org id (default: the one 'pushgate orgs use' saved)."),
]


def print_json(data: Any) -> None:
    """One JSON document on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def show_error(error: CliError, *, json_output: bool) -> None:
    """The error on stderr: the API's code and message, then one line per field and problem."""
    if json_output:
        sys.stderr.write(json.dumps(error.as_json(), ensure_ascii=False) + "\n")
        return
    status = f"{error.status} " if error.status is not None else ""
    label = f" ({status}{error.code})" if error.code else (f" ({error.status})" if error.status is not None else "")
    err_console.print(f"[bold red]Error{escape(label)}:[/] {escape(error.message)}")
    for problem in error.problems:
        err_console.print(f"  [bold]{escape(problem.field or '(body)')}[/]: {escape(problem.problem)}")


def reports_errors(func: Callable[P, None]) -> Callable[P, None]:
    """Shows a `CliError` raised by the command and exits with its code (see `pushgate_cli.errors`)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            func(*args, **kwargs)
        except CliError as error:
            show_error(error, json_output=bool(kwargs.get("json_output")))
            raise typer.Exit(error.exit_code) from None

    return wrapper


class Commands(typer.Typer):
    """A Typer app whose every command reports a `CliError` as :func:`reports_errors` does."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[CommandFunctionType], CommandFunctionType]:
        """Typer's command registration, with the command wrapped in :func:`reports_errors`."""
        register = super().command(*args, **kwargs)

        def register_reporting(func: CommandFunctionType) -> CommandFunctionType:
            return register(cast("CommandFunctionType", reports_errors(func)))

        return register_reporting


def cell(value: Any) -> str:
    """A value as shown: empty for ``None``, JSON for containers, the value otherwise."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def text(value: Any) -> str:
    """A cell for Rich (markup escaped)."""
    return escape(cell(value))


def _write(lines: Iterable[str]) -> None:
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


def _aligned(rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    widths = [max(cell_len(row[index]) for row in rows) for index in range(len(right))]
    lines = []
    for row in rows:
        cells = [
            " " * (width - cell_len(value)) + value if flush_right else value + " " * (width - cell_len(value))
            for value, width, flush_right in zip(row, widths, right, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _fits(table: Table) -> bool:
    natural = Measurement.get(console, console.options.update(max_width=_UNLIMITED), table).maximum
    return natural <= console.width


def _blocks(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """One block of ``Column: value`` lines per row: what a table too wide for the terminal becomes."""
    console.print(f"[bold]{escape(title)}[/]")
    width = max(cell_len(name) for name in header) + 1
    for number, row in enumerate(rows):
        if number:
            console.print()
        for name, value in zip(header, row, strict=True):
            if value:
                console.print(f"[bold]{escape(name + ':'):<{width}}[/] {escape(value)}")


def show_record(title: str, record: Mapping[str, Any], fields: Iterable[str] | None = None) -> None:
    """One object as ``name value`` lines (the named fields, in order, or all of them)."""
    names = [name for name in (fields if fields is not None else record) if name in record]
    rows = [(name, cell(record[name])) for name in names]
    if plain():
        _write([title, *_aligned(rows, (False, False))])
        return
    table = Table(title=escape(title), show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(escape(name), escape(value))
    if _fits(table):
        console.print(table)
    else:
        _blocks(title, names, [[value for _, value in rows]])


def show_rows(
    title: str,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    numeric: Iterable[str] = (),
    footer: Mapping[str, Any] | None = None,
) -> None:
    """A table of objects with the given columns (``numeric`` ones flush right; ``footer`` a last row apart)."""
    if not rows and footer is None:
        if plain():
            _write([f"{title}: none"])
        else:
            console.print(f"{escape(title)}: none")
        return
    right = [column in set(numeric) for column in columns]
    cells = [[cell(row.get(column)) for column in columns] for row in [*rows, *([footer] if footer else [])]]
    if plain():
        _write([title, *_aligned([list(columns), *cells], right)])
        return
    table = Table(title=escape(title), title_justify="left")
    for column, flush_right in zip(columns, right, strict=True):
        table.add_column(escape(column), justify="right" if flush_right else "left", overflow="fold")
    for number, row in enumerate(cells):
        if footer is not None and number == len(cells) - 1:
            table.add_section()
            table.add_row(*(escape(value) for value in row), style="bold")
        else:
            table.add_row(*(escape(value) for value in row))
    if _fits(table):
        console.print(table)
    else:
        _blocks(title, columns, cells)


def show_secret(name: str, value: str, note: str) -> None:
    """A secret shown once: a line saying what it is, then the value alone on its own line, whole."""
    console.print(f"[bold]{escape(name)}[/] ([yellow]{escape(note)}[/]):")
    _write([value])


def done(message: str) -> None:
    """A one-line confirmation."""
    console.print(f"[green]✓[/] {escape(message)}")


def progress_bar(*, quiet: bool) -> Progress:
    """A progress bar on stderr (stdout keeps only the result); hidden with ``--json``."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
    )


def show_json_or(data: Any, show: Callable[[], None], *, json_output: bool) -> None:
    """A command's answer: ``data`` as JSON with ``--json`` (for scripts), else what ``show`` prints."""
    if json_output:
        print_json(data)
    else:
        show()


def show_answer(
    title: str, record: Mapping[str, Any], fields: Iterable[str] | None = None, *, json_output: bool
) -> None:
    """One record the API answered: its JSON with ``--json``, else as :func:`show_record` lays it out."""
    show_json_or(record, lambda: show_record(title, record, fields), json_output=json_output)
