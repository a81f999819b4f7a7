"""`pushgate export`: every interaction record of a message or journey into a file (NDJSON or CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.output import Commands, JsonFlag, OrgOption, done, err_console, print_json
from pushgate_cli.session import in_org

app = Commands(help="Export interaction records (sent, not sent, opened, clicked).", no_args_is_help=True)
PAGE_SIZE = 1_000
NEXT_TOKEN_HEADER = "X-Next-Token"  # noqa: S105 - a header name
OutputOption = Annotated[Path, typer.Option("--output", "-o", help="The file to write (replaced).")]
FormatOption = Annotated[
    str | None, typer.Option("--format", help="ndjson or csv (default: from the file's suffix, else ndjson).")
]


def _export(
    *, dimension: str, entity_id: str, output: Path, fmt: str | None, org: str | None, json_output: bool
) -> None:
    chosen = fmt or ("csv" if output.suffix.lower() == ".csv" else "ndjson")
    if chosen not in ("ndjson", "csv"):
        raise typer.BadParameter("must be ndjson or csv", param_hint="--format")
    records = pages = 0
    with in_org(org) as (client, org_id), output.open("w", encoding="utf-8", newline="") as file:
        token: str | None = None
        while True:
            response = client.send(
                "GET",
                admin_path(org_id, "insights", dimension, entity_id, "interactions"),
                params={"Format": chosen, "Limit": PAGE_SIZE, "NextToken": token},
            )
            lines = response.text.splitlines(keepends=True)
            if chosen == "csv" and pages > 0:
                lines = lines[1:]  # every page repeats the header row
            file.writelines(lines)
            records += len(lines) - (1 if chosen == "csv" and pages == 0 and lines else 0)
            pages += 1
            if not json_output:
                err_console.print(f"  {records} records", end="\r")
            token = response.headers.get(NEXT_TOKEN_HEADER)
            if not token:
                break
    if json_output:
        print_json({"Output": str(output), "Format": chosen, "Records": records, "Pages": pages})
    else:
        done(f"{records} records written to {output} ({chosen})")


@app.command("message")
def message(
    message_id: Annotated[str, typer.Argument(help="The MessageId.")],
    output: OutputOption,
    fmt: FormatOption = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Export the records of one message."""
    _export(dimension="messages", entity_id=message_id, output=output, fmt=fmt, org=org, json_output=json_output)


@app.command("journey")
def journey(
    journey_id: Annotated[str, typer.Argument(help="The JourneyId.")],
    output: OutputOption,
    fmt: FormatOption = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Export the records of one journey."""
    _export(dimension="journeys", entity_id=journey_id, output=output, fmt=fmt, org=org, json_output=json_output)
