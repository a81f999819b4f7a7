"""`pushgate cleanup preview`: what the token cleanup would do now, changing nothing."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.output import JsonFlag, OrgOption, console, print_json, reports_errors, show_rows
from pushgate_cli.session import in_org

app = typer.Typer(help="Token cleanup.", no_args_is_help=True)


@app.command("preview")
@reports_errors
def preview(
    app_id: Annotated[str | None, typer.Option("--app", help="Only this MobileAppId.")] = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Dry run of the cleanup for the org: devices it would mark Stale or purge, per app and reason."""
    body: dict[str, Any] = {"AppId": app_id} if app_id else {}
    with in_org(org) as (client, org_id):
        report = client.call("POST", admin_path(org_id, "cleanup", "preview"), body=body)
    if json_output:
        print_json(report)
        return
    show_rows("Cleanup preview (nothing changed)", report["Changes"], ["AppId", "Action", "Reason", "Count"])
    console.print(f"would purge {report['Purged']}, mark stale {report['MarkedStale']}; complete: {report['Complete']}")
