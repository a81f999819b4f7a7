"""The `pushgate` command: one Typer app, a sub-command group per resource.

Exit codes (also in README): 0 done; 1 the API refused the request (4xx: the error's field and
problem are shown), or an import had failed items; 2 usage error; 3 the API cannot be reached,
answered a 5xx, a send did not settle in time (Completed, Canceled or Scheduled), or no target
is set (`pushgate login`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from pushgate_cli import output
from pushgate_cli.commands import (
    apps,
    cleanup,
    contacts,
    dev,
    devices,
    export,
    insights,
    login,
    messages,
    orgs,
    segments,
    send,
    sends,
    tokens,
    users,
)
from pushgate_cli.output import Commands

app = Commands(
    name="pushgate",
    help="Operate a Pushgate API: the local stack ('pushgate login --local') or a deployed one (SigV4).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Click's plain help: Typer's Rich panels label every flag with a "<bool>" metavar.
    rich_markup_mode=None,
)


@app.callback()
def options(
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help="Plain tables, one row per line with no width limit (the default when stdout is not a terminal).",
        ),
    ] = False,
) -> None:
    """Operate a Pushgate API: the local stack ('pushgate login --local') or a deployed one (SigV4)."""
    output.layout.wide = wide


app.command("login")(login.login)
app.add_typer(orgs.app, name="orgs")
app.add_typer(apps.app, name="apps")
app.add_typer(tokens.app, name="tokens")
app.add_typer(contacts.app, name="contacts")
app.add_typer(users.app, name="users")
app.add_typer(devices.app, name="devices")
app.add_typer(messages.app, name="messages")
app.command("send")(send.send)
app.add_typer(sends.app, name="sends")
app.add_typer(segments.app, name="segments")
app.add_typer(insights.app, name="insights")
app.add_typer(export.app, name="export")
app.add_typer(cleanup.app, name="cleanup")
app.add_typer(dev.app, name="dev")


def main() -> None:
    """Console-script entry point (``pushgate = "pushgate_cli.app:main"``)."""
    app()
