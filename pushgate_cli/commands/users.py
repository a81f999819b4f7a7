"""`pushgate users link|get|unlink`: an app's own user ids linked to directory records (the user mapping)."""

from __future__ import annotations

from typing import Annotated

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.output import Commands, JsonFlag, OrgOption, done, show_answer, show_json_or
from pushgate_cli.session import call_in_org, in_org

app = Commands(help="App users linked to directory records.", no_args_is_help=True)
AppId = Annotated[str, typer.Argument(help="The MobileAppId.")]
AppUserId = Annotated[str, typer.Argument(help="The app's own id for its user.")]


@app.command("link")
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
def get(app_id: AppId, app_user_id: AppUserId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Show whom an app user is linked to."""
    found = call_in_org(org, "GET", "mobileapps", app_id, "users", app_user_id)
    show_answer("App user link", found, json_output=json_output)


@app.command("unlink")
def unlink(app_id: AppId, app_user_id: AppUserId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Remove an app user's link."""
    call_in_org(org, "DELETE", "mobileapps", app_id, "users", app_user_id)
    show_json_or({"Unlinked": app_user_id}, lambda: done(f"unlinked {app_user_id}"), json_output=json_output)
