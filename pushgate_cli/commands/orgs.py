"""`pushgate orgs`: create, list and read orgs, and choose the default one."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.config import load_target, resolve_org, save_target
from pushgate_cli.output import Commands, JsonFlag, OrgOption, done, show_answer, show_json_or, show_rows
from pushgate_cli.session import api

app = Commands(help="Orgs.", no_args_is_help=True)
FIELDS = ("OrgId", "Name", "CreatedAt")


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The org's name.")],
    use: Annotated[bool, typer.Option("--use", help="Make it the default org of later commands.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Create an org."""
    with api() as client:
        org = client.call("POST", "/admin/v1/orgs", body={"Name": name})
    if use:
        save_target(load_target().with_org(org["OrgId"]))
    show_answer("Org", org, FIELDS, json_output=json_output)
    if use and not json_output:
        done(f"default org is now {org['OrgId']}")


@app.command("get")
def get(org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Show an org (default: the saved one)."""
    org_id = resolve_org(load_target(), org)
    with api() as client:
        found = client.call("GET", admin_path(org_id))
    show_answer("Org", found, FIELDS, json_output=json_output)


@app.command("use")
def use(org_id: Annotated[str, typer.Argument(help="The org later commands work in.")]) -> None:
    """Save the default org (checked first)."""
    target = load_target()
    with api() as client:
        client.call("GET", admin_path(org_id))
    save_target(target.with_org(org_id))
    done(f"default org is now {org_id}")


@app.command("list")
def list_orgs(json_output: JsonFlag = False) -> None:
    """List every org, oldest first (every page)."""
    with api() as client:
        found: list[dict[str, Any]] = client.every_page("/admin/v1/orgs", "Orgs", {"MaxResults": 100})
    show_json_or({"Orgs": found}, lambda: show_rows("Orgs", found, FIELDS), json_output=json_output)
