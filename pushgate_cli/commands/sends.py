"""`pushgate sends get|cancel`: one send's totals, progress and scheduled hours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.output import JsonFlag, OrgOption, console, print_json, reports_errors, show_record, show_rows
from pushgate_cli.session import in_org

app = typer.Typer(help="Sends (start one with 'pushgate send').", no_args_is_help=True)

SendId = Annotated[str, typer.Argument(help="The SendId.")]
#: The columns of a send's ``Scheduled`` list (one row per UTC hour with held notifications).
HOUR_COLUMNS = ("Hour", "Recipients", "Devices", "Released", "State")


def show_send(send: Mapping[str, Any]) -> None:
    """A send's fields, then its held notifications per UTC hour when it has any."""
    show_record(f"Send {send.get('SendId', '')}", {name: value for name, value in send.items() if name != "Scheduled"})
    hours = send.get("Scheduled") or []
    if hours:
        show_rows("Scheduled (per UTC hour)", hours, HOUR_COLUMNS)


@app.command("get")
@reports_errors
def get(send_id: SendId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Show a send's status and totals, and its scheduled hours."""
    with in_org(org) as (client, org_id):
        found = client.call("GET", admin_path(org_id, "sends", send_id))
    if json_output:
        print_json(found)
    else:
        show_send(found)


@app.command("cancel")
@reports_errors
def cancel(send_id: SendId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Stop what has not gone out yet (held and queued devices become NotSent / Canceled)."""
    with in_org(org) as (client, org_id):
        canceled = client.call("POST", admin_path(org_id, "sends", send_id, "cancel"))
    if json_output:
        print_json(canceled)
        return
    show_send(canceled)
    if canceled.get("Status") == "Canceling":
        # Jobs a delivery worker had already started finish on their own.
        console.print(f"jobs already started finish; follow with 'pushgate sends get {send_id}'")
