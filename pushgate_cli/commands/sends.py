"""`pushgate sends list|get|recipients|cancel`: the history, one send's totals, progress, scheduled hours and ledger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.output import Commands, JsonFlag, OrgOption, console, print_json, show_json_or, show_record, show_rows
from pushgate_cli.session import call_in_org, every_page_in_org, in_org

app = Commands(help="Sends (start one with 'pushgate send').", no_args_is_help=True)

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
def get(send_id: SendId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Show a send's status and totals, and its scheduled hours."""
    found = call_in_org(org, "GET", "sends", send_id)
    show_json_or(found, lambda: show_send(found), json_output=json_output)


@app.command("cancel")
def cancel(send_id: SendId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Stop what has not gone out yet (held and queued devices become NotSent / Canceled)."""
    canceled = call_in_org(org, "POST", "sends", send_id, "cancel")
    if json_output:
        print_json(canceled)
        return
    show_send(canceled)
    if canceled.get("Status") == "Canceling":
        # Jobs a delivery worker had already started finish on their own.
        console.print(f"jobs already started finish; follow with 'pushgate sends get {send_id}'")


#: The columns of the history (the totals flattened: the ones an operator scans for).
LIST_COLUMNS = ("SendId", "CreatedAt", "MessageName", "MobileAppId", "Audience", "Status", "Sent", "NotSent", "Pending")
LEDGER_COLUMNS = ("UserId", "Outcome", "Reason", "Platform", "DeviceTokenSha256", "Verdict", "At")


@app.command("list")
def list_sends(
    message: Annotated[str | None, typer.Option("--message", help="Only this MessageId's sends.")] = None,
    app_id: Annotated[str | None, typer.Option("--app", help="Only this MobileAppId's sends.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="The newest N sends (1-1000).", min=1, max=1000)] = 25,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """The org's sends, newest first, with status and totals (sends made before the history existed are not listed)."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    with in_org(org) as (client, org_id):
        while len(found) < limit:
            params = {"MessageId": message, "MobileAppId": app_id, "MaxResults": min(100, limit - len(found))}
            page = client.call("GET", admin_path(org_id, "sends"), params={**params, "NextToken": token})
            found.extend(page["Sends"])
            token = page.get("NextToken")
            if not token:
                break
    if json_output:
        print_json({"Sends": found})
        return
    rows = [
        {**send, **send.get("Totals", {}), "MessageName": send.get("MessageName") or send["MessageId"]}
        for send in found
    ]
    show_rows("Sends (newest first)", rows, LIST_COLUMNS)


@app.command("recipients")
def recipients(
    send_id: SendId,
    outcome: Annotated[str | None, typer.Option("--outcome", help="Only Sent or NotSent.")] = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """The send's ledger: one row per recipient and device, every page."""
    params = {"Limit": 1000, "Outcome": outcome}
    entries = every_page_in_org(org, "sends", send_id, "recipients", items="Recipients", params=params)
    title = f"Ledger of send {send_id} ({len(entries)} entries)"
    show_json_or({"Recipients": entries}, lambda: show_rows(title, entries, LEDGER_COLUMNS), json_output=json_output)
