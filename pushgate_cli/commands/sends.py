"""`pushgate sends get`: one send's totals and progress."""

from __future__ import annotations

from typing import Annotated

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.output import JsonFlag, OrgOption, print_json, reports_errors, show_record
from pushgate_cli.session import in_org

app = typer.Typer(help="Sends (start one with 'pushgate send').", no_args_is_help=True)


@app.command("get")
@reports_errors
def get(
    send_id: Annotated[str, typer.Argument(help="The SendId.")], org: OrgOption = None, json_output: JsonFlag = False
) -> None:
    """Show a send's status and totals."""
    with in_org(org) as (client, org_id):
        found = client.call("GET", admin_path(org_id, "sends", send_id))
    if json_output:
        print_json(found)
    else:
        show_record(f"Send {send_id}", found)
