"""`pushgate contacts`: import people in chunks the import route takes; search, get, update and erase
one; the person page's devices, app-user links and recent notifications."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.errors import EXIT_REFUSED
from pushgate_cli.files import PeopleFile, chunks_by_size, read_people_file
from pushgate_cli.output import (
    Commands,
    JsonFlag,
    OrgOption,
    console,
    done,
    print_json,
    progress_bar,
    show_answer,
    show_json_or,
    show_record,
    show_rows,
)
from pushgate_cli.session import in_org

app = Commands(help="The directory: contacts, leads and profiles.", no_args_is_help=True)
#: The import route's limits: 1,000 people and 5 MiB per request (kept under with room for the envelope).
MAX_ITEMS = 1_000
MAX_BYTES = 4 * 1024 * 1024
STATUSES = ("Created", "Updated", "Unchanged", "Failed")


@app.command("import")
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


KindOption = Annotated[str, typer.Option("--kind", help="contacts, leads or profiles.")]
PersonId = Annotated[str, typer.Argument(help="The contact's (lead's, profile's) id.")]
DEVICE_COLUMNS = ("AppName", "MobileAppId", "Platform", "Status", "TokenSuffix", "LastRegisteredAt", "LastOutcome")
LINK_COLUMNS = ("MobileAppId", "AppUserId", "CreatedAt", "ModifiedAt")
NOTIFICATION_COLUMNS = ("SentAt", "MessageName", "MobileAppId", "Outcome", "Reason", "Platform", "SendId")


def checked_kind(kind: str) -> str:
    """The collection name, checked (``contacts``, ``leads`` or ``profiles``)."""
    if kind not in ("contacts", "leads", "profiles"):
        raise typer.BadParameter("must be contacts, leads or profiles", param_hint="--kind")
    return kind


def _read_person(org: str | None, kind: str, person_id: str, *below: str) -> Any:
    """The person (or what ``below`` names under them: ``devices``, ``links``...) as the org's API answers."""
    with in_org(org) as (client, org_id):
        return client.call("GET", admin_path(org_id, checked_kind(kind), person_id, *below))


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@app.command("get")
def get(
    person_id: PersonId, kind: KindOption = "contacts", org: OrgOption = None, json_output: JsonFlag = False
) -> None:
    """Show one person's attributes."""
    found = _read_person(org, kind, person_id)
    show_answer(f"{kind[:-1].capitalize()} {person_id}", found, json_output=json_output)


@app.command("search")
def search(
    email: Annotated[str | None, typer.Option("--email", help="emailaddress1 equals this.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="mobilephone or telephone1 equals this (E.164).")] = None,
    filter_text: Annotated[str | None, typer.Option("--filter", help="An OData $filter (eq, and, or).")] = None,
    top: Annotated[int, typer.Option("--top", help="At most this many (1-1000).", min=1, max=1000)] = 50,
    kind: KindOption = "contacts",
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Find people by email, phone or an OData $filter (without any: the first --top people)."""
    clauses = [f"emailaddress1 eq {_quoted(email)}"] if email else []
    if phone:
        clauses.append(f"(mobilephone eq {_quoted(phone)} or telephone1 eq {_quoted(phone)})")
    if filter_text:
        clauses.append(f"({filter_text})")
    params: dict[str, str | int | None] = {"$top": top, "$filter": " and ".join(clauses) or None}
    with in_org(org) as (client, org_id):
        found = client.call("GET", admin_path(org_id, checked_kind(kind)), params=params)
    people = found.get("value", [])
    if json_output:
        print_json(people)
        return
    id_name = f"{kind[:-1]}id"
    show_rows(f"{kind.capitalize()} found", people, [id_name, "firstname", "lastname", "emailaddress1", "mobilephone"])


@app.command("update")
def update(
    person_id: PersonId,
    attributes: Annotated[
        list[str] | None, typer.Option("--set", help="NAME=VALUE (a JSON value, else text); NAME= clears; repeatable.")
    ] = None,
    kind: KindOption = "contacts",
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Change some attributes of a person (the others stay as they are)."""
    changes: dict[str, Any] = {}
    for pair in attributes or []:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise typer.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--set")
        changes[name] = _value(value)
    if not changes:
        raise typer.BadParameter("give at least one NAME=VALUE", param_hint="--set")
    with in_org(org) as (client, org_id):
        updated = client.call("PATCH", admin_path(org_id, checked_kind(kind), person_id), body=changes)
    show_answer(f"{kind[:-1].capitalize()} {person_id}", updated, json_output=json_output)


def _value(text: str) -> Any:
    if text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


@app.command("delete")
def delete(
    person_id: PersonId,
    erase: Annotated[bool, typer.Option("--erase", help="Show what the erasure removed, per kind.")] = False,
    kind: KindOption = "contacts",
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Erase a person: the record, its lookups, app-user links and devices."""
    with in_org(org) as (client, org_id):
        report = client.call(
            "DELETE", admin_path(org_id, checked_kind(kind), person_id), params={"erase": "true" if erase else None}
        )
    if json_output:
        print_json(report or {"Erased": person_id})
    elif report:
        show_record(f"Erased {kind[:-1]} {person_id}", report)
    else:
        done(f"erased {kind[:-1]} {person_id}")


@app.command("devices")
def devices(
    person_id: PersonId, kind: KindOption = "contacts", org: OrgOption = None, json_output: JsonFlag = False
) -> None:
    """The person's devices in every app (token suffix only), with status and the last change."""
    show_person_devices(kind, person_id, _read_person(org, kind, person_id, "devices"), json_output=json_output)


def show_person_devices(kind: str, person_id: str, found: dict[str, Any], *, json_output: bool) -> None:
    """A person's devices as the API answered them (``contacts devices`` and ``devices list``)."""
    if json_output:
        print_json(found)
        return
    rows = [{**d, "LastOutcome": outcome_text(d.get("LastOutcome"))} for d in found["Devices"]]
    show_rows(f"Devices of {kind[:-1]} {person_id}", rows, DEVICE_COLUMNS)


def outcome_text(last: dict[str, Any] | None) -> str:
    if not last:
        return ""
    return " ".join(str(part) for part in (last["Reason"], last.get("Code"), last["At"]) if part)


@app.command("links")
def links(
    person_id: PersonId, kind: KindOption = "contacts", org: OrgOption = None, json_output: JsonFlag = False
) -> None:
    """The app-user links pointing at the person."""
    found = _read_person(org, kind, person_id, "links")
    title = f"App users linked to {kind[:-1]} {person_id}"
    show_json_or(found, lambda: show_rows(title, found["Links"], LINK_COLUMNS), json_output=json_output)


@app.command("notifications")
def notifications(
    person_id: PersonId, kind: KindOption = "contacts", org: OrgOption = None, json_output: JsonFlag = False
) -> None:
    """The person's notifications in the org's recent sends (the answer says how many sends were read)."""
    found = _read_person(org, kind, person_id, "notifications")
    if json_output:
        print_json(found)
        return
    show_rows(f"Recent notifications of {kind[:-1]} {person_id}", found["Notifications"], NOTIFICATION_COLUMNS)
    console.print(
        f"searched the {found['SendsSearched']} newest sends (of at most {found['RecentSendsLimit']}); "
        f"{found['SendsSkipped']} larger than {found['MaxLedgerEntries']} ledger entries skipped"
    )
