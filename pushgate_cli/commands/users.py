"""`pushgate users link|get|unlink`: an app's own user ids linked to directory records (the user mapping)."""

from __future__ import annotations

from typing import Annotated

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.output import JsonFlag, OrgOption, done, print_json, reports_errors, show_answer
from pushgate_cli.session import call_in_org, in_org

app = typer.Typer(help="App users linked to directory records.", no_args_is_help=True)
AppId = Annotated[str, typer.Argument(help="The MobileAppId.")]
AppUserId = Annotated[str, typer.Argument(help="The app's own id for its user.")]


@app.command("link")
@reports_errors
def link(
    app_id: AppId,
    app_user_id: AppUserId,
    to: Annotated[str, typer.Option("--to", help="The directory id the app user is.")],
    kind: Annotated[str, typer.Option("--kind", help="contact, lead or profile.")] = "contact",
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Link an app user to a contact (lead, profile); linking again moves the link."""
    with in_org(org) as (client, org_id):
        linked = client.call(
            "PUT",
            admin_path(org_id, "mobileapps", app_id, "users", app_user_id),
            body={"EntityType": kind, "EntityId": to},
        )
    show_answer("App user link", linked, json_output=json_output)


@app.command("get")
@reports_errors
def get(app_id: AppId, app_user_id: AppUserId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Show whom an app user is linked to."""
    found = call_in_org(org, "GET", "mobileapps", app_id, "users", app_user_id)
    show_answer("App user link", found, json_output=json_output)


@app.command("unlink")
@reports_errors
def unlink(app_id: AppId, app_user_id: AppUserId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Remove an app user's link."""
    call_in_org(org, "DELETE", "mobileapps", app_id, "users", app_user_id)
    if json_output:
        print_json({"Unlinked": app_user_id})
    else:
        done(f"unlinked {app_user_id}")
