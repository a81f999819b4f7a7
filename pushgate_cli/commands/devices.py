"""`pushgate devices list`: a person's devices in every app of the org, or one user's in one app."""

from __future__ import annotations

from typing import Annotated

import typer

from pushgate_cli.commands.contacts import show_person_devices
from pushgate_cli.errors import usage_error
from pushgate_cli.output import Commands, JsonFlag, OrgOption
from pushgate_cli.session import call_in_org

app = Commands(help="Devices.", no_args_is_help=True)


@app.command("list")
def list_devices(
    contact: Annotated[str | None, typer.Option("--contact", help="A contact's devices in every app.")] = None,
    lead: Annotated[str | None, typer.Option("--lead", help="A lead's devices in every app.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="A profile's devices in every app.")] = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """A person's devices per app: platform, status, token suffix, last registration and last change."""
    given = [
        (kind, person) for kind, person in (("contacts", contact), ("leads", lead), ("profiles", profile)) if person
    ]
    if len(given) != 1:
        raise usage_error("give one of --contact, --lead or --profile")
    ((kind, person_id),) = given
    found = call_in_org(org, "GET", kind, person_id, "devices")
    show_person_devices(kind, person_id, found, json_output=json_output)
