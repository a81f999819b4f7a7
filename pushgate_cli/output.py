"""How commands show results: Rich for people, plain JSON (`--json`) for scripts; errors on stderr."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, ParamSpec

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pushgate_cli.errors import CliError

P = ParamSpec("P")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

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


def text(value: Any) -> str:
    """A cell: empty for ``None``, JSON for containers, the value otherwise (markup escaped)."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return escape(json.dumps(value, ensure_ascii=False))
    return escape(str(value))


def show_record(title: str, record: Mapping[str, Any], fields: Iterable[str] | None = None) -> None:
    """A two-column table of one object (the named fields, in order, or all of them)."""
    table = Table(title=escape(title), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for name in fields if fields is not None else record:
        if name in record:
            table.add_row(escape(name), text(record[name]))
    console.print(table)


def show_rows(title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """A table of objects with the given columns."""
    if not rows:
        console.print(f"{escape(title)}: none")
        return
    table = Table(title=escape(title), title_justify="left")
    for column in columns:
        table.add_column(escape(column))
    for row in rows:
        table.add_row(*(text(row.get(column)) for column in columns))
    console.print(table)


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
