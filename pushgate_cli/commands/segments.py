"""`pushgate segments create|list|get|delete|preview`: saved segments (named filters over the directory)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.output import Commands, JsonFlag, OrgOption, print_json, show_json_or, show_record, show_rows
from pushgate_cli.session import call_in_org, every_page_in_org, in_org

app = Commands(help="Saved segments: named filters over the directory, to preview and send to.", no_args_is_help=True)

SegmentIdArgument = Annotated[str, typer.Argument(help="The SegmentId.")]
KindOption = Annotated[str, typer.Option("--kind", help="contacts, leads or profiles.")]
COLUMNS = ("SegmentId", "Name", "Kind", "Filter")
SAMPLE_COLUMNS = ("PersonId", "Kind", "FirstName", "LastName", "Email")


def _show_segment(segment: dict[str, Any]) -> None:
    show_record(f"Segment {segment.get('Name', '')}", segment)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The segment's name.")],
    filter_text: Annotated[str, typer.Option("--filter", help="An OData $filter over the directory.")],
    kind: KindOption = "contacts",
    description: Annotated[str | None, typer.Option("--description", help="Free text.")] = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Save a segment; the filter is checked now (a bad one is refused with its position)."""
    body: dict[str, Any] = {"Name": name, "Filter": filter_text, "Kind": kind}
    if description is not None:
        body["Description"] = description
    created = call_in_org(org, "POST", "segments", body=body)
    show_json_or(created, lambda: _show_segment(created), json_output=json_output)


@app.command("list")
def list_segments(org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """List the org's segments (every page)."""
    found = every_page_in_org(org, "segments", items="Segments", params={"MaxResults": 100})
    show_json_or({"Segments": found}, lambda: show_rows("Segments", found, COLUMNS), json_output=json_output)


@app.command("get")
def get(segment_id: SegmentIdArgument, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Show one segment."""
    found = call_in_org(org, "GET", "segments", segment_id)
    show_json_or(found, lambda: _show_segment(found), json_output=json_output)


@app.command("delete")
def delete(segment_id: SegmentIdArgument, org: OrgOption = None) -> None:
    """Delete a segment (sends already accepted keep their filter)."""
    call_in_org(org, "DELETE", "segments", segment_id)
    typer.echo(f"deleted segment {segment_id}")


@app.command("preview")
def preview(
    app_id: Annotated[str, typer.Option("--app", help="MobileAppId whose devices are counted.")],
    segment_id: Annotated[str | None, typer.Argument(help="A saved segment's id (or give --filter).")] = None,
    filter_text: Annotated[str | None, typer.Option("--filter", help="An OData $filter not saved.")] = None,
    kind: KindOption = "contacts",
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """How many people and devices a segment reaches now through an app, and a sample of ten."""
    if (segment_id is None) == (filter_text is None):
        raise typer.BadParameter("give a SegmentId or --filter, not both", param_hint="--filter")
    audience = {"SegmentId": segment_id} if segment_id is not None else {"Filter": filter_text, "Kind": kind}
    with in_org(org) as (client, org_id):
        found = client.call(
            "POST", admin_path(org_id, "audiences", "preview"), body={"MobileAppId": app_id, "Audience": audience}
        )
    if json_output:
        print_json(found)
        return
    devices = found["Devices"]
    show_record(
        "Audience preview",
        {
            "People": found["People"],
            "Matched": found["Matched"],
            "NoConsent": found["NoConsent"],
            "Devices": devices["Total"],
            "Ios": devices["Ios"],
            "Android": devices["Android"],
        },
    )
    show_rows("Sample", found["Sample"], SAMPLE_COLUMNS)
