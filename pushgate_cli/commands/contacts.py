"""`pushgate contacts import`: people into the directory, in chunks the import route takes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.errors import EXIT_REFUSED
from pushgate_cli.files import PeopleFile, chunks_by_size, read_people_file
from pushgate_cli.output import JsonFlag, OrgOption, print_json, progress_bar, reports_errors, show_record, show_rows
from pushgate_cli.session import in_org

app = typer.Typer(help="The directory: contacts, leads and profiles.", no_args_is_help=True)
#: The import route's limits: 1,000 people and 5 MiB per request (kept under with room for the envelope).
MAX_ITEMS = 1_000
MAX_BYTES = 4 * 1024 * 1024
STATUSES = ("Created", "Updated", "Unchanged", "Failed")


@app.command("import")
@reports_errors
def import_people(
    file: Annotated[Path, typer.Argument(help="A .csv (header row of attribute names) or .json (array).")],
    kind: Annotated[str, typer.Option("--kind", help="contacts, leads or profiles.")] = "contacts",
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Upsert people (by id) in chunks of up to 1,000, with a progress bar; exit 1 if any failed."""
    if kind not in ("contacts", "leads", "profiles"):
        raise typer.BadParameter("must be contacts, leads or profiles", param_hint="--kind")
    source = read_people_file(file)
    people = source.items
    counts = dict.fromkeys(STATUSES, 0)
    results: list[dict[str, Any]] = []
    with in_org(org) as (client, org_id), progress_bar(quiet=json_output) as progress:
        task = progress.add_task(f"Importing {kind}", total=len(people))
        offset = 0
        for chunk in chunks_by_size(people, max_items=MAX_ITEMS, max_bytes=MAX_BYTES):
            answer = client.call("POST", admin_path(org_id, kind, "import"), body={"Items": chunk})
            for item in answer["Results"]:
                results.append(_located(item, offset + int(item["Index"]), source, kind))
            for status, count in answer["Counts"].items():
                counts[status] = counts.get(status, 0) + int(count)
            offset += len(chunk)
            progress.update(task, advance=len(chunk))
    failed = [item for item in results if item["Status"] == "Failed"]
    if json_output:
        print_json({"Counts": counts, "Results": results})
    else:
        show_record(f"Imported {len(people)} {kind} from {file.name}", counts)
        columns = [source.unit, "Id", "Code", "Field", "Problem"]
        show_rows("Failed", [_failure_row(item, source.unit) for item in failed], columns, numeric=[source.unit])
    if failed:
        raise typer.Exit(EXIT_REFUSED)


def _located(item: dict[str, Any], index: int, source: PeopleFile, kind: str) -> dict[str, Any]:
    """An import result with its index in the whole file, its line (or item) and its id as the file gave it."""
    located = {**item, "Index": index, source.unit: source.positions[index]}
    person = source.items[index]
    given = person.get(f"{kind.removesuffix('s')}id") if isinstance(person, dict) else None
    if not located.get("Id") and isinstance(given, str | int):
        # The API names no id for an item it could not read; the row had one.
        located["Id"] = str(given)
    return located


def _failure_row(item: dict[str, Any], unit: str) -> dict[str, Any]:
    error = item.get("Error") or {}
    details = error.get("Details") or [{}]
    # Items[3].emailaddress1 -> emailaddress1: the row is named by its line already.
    fields = (str(d.get("Field", "")).partition("].")[2] or str(d.get("Field", "")) for d in details)
    return {
        unit: item[unit],
        "Id": item.get("Id"),
        "Code": error.get("Code"),
        "Field": "; ".join(fields),
        "Problem": "; ".join(str(d.get("Problem") or error.get("Message", "")) for d in details),
    }
