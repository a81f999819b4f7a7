"""`pushgate tokens`: the ApiTokens apps send."""

from __future__ import annotations

from typing import Annotated

import typer

from pushgate_cli.output import (
    Commands,
    JsonFlag,
    OrgOption,
    done,
    print_json,
    show_json_or,
    show_record,
    show_rows,
    show_secret,
)
from pushgate_cli.session import call_in_org

app = Commands(help="ApiTokens of an app.", no_args_is_help=True)
AppId = Annotated[str, typer.Argument(help="The MobileAppId.")]


@app.command("create")
def create(
    app_id: AppId,
    label: Annotated[str, typer.Option("--label", help="A name to recognise the token by.")] = "",
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Issue a token (shown this once)."""
    issued = call_in_org(org, "POST", "mobileapps", app_id, "tokens", body={"Label": label})
    if json_output:
        print_json(issued)
        return
    show_record("Token", issued, ("TokenId", "Label", "CreatedAt"))
    show_secret("ApiToken", issued["ApiToken"], "shown only now: store it in the app's configuration")


@app.command("list")
def list_tokens(app_id: AppId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """List the app's tokens (never the token itself)."""
    found = call_in_org(org, "GET", "mobileapps", app_id, "tokens")
    columns = ["TokenId", "Label", "CreatedAt", "LastUsedAt"]
    show_json_or(found, lambda: show_rows("Tokens", found["Tokens"], columns), json_output=json_output)


@app.command("revoke")
def revoke(
    app_id: AppId,
    token_id: Annotated[str, typer.Argument(help="The TokenId.")],
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Revoke a token (effective within 30 s)."""
    call_in_org(org, "DELETE", "mobileapps", app_id, "tokens", token_id)
    show_json_or({"Revoked": token_id}, lambda: done(f"revoked token {token_id}"), json_output=json_output)
