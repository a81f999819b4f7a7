"""`pushgate insights`: sent, not sent, opens, clicks and rates per message, journey or app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pushgate_cli.chart import FORMATS, write_chart
from pushgate_cli.client import ApiClient, admin_path
from pushgate_cli.errors import usage_error
from pushgate_cli.output import Commands, JsonFlag, OrgOption, console, done, print_json, show_rows, text
from pushgate_cli.session import in_org

app = Commands(help="Insights per message, journey or app.", no_args_is_help=True)
COUNTS = ("Inflow", "Sent", "NotSent", "Opened", "UniqueOpens", "Clicks", "UniqueClicks", "BotClicks")
RATES = ("OpenRate", "ClickThroughRate", "ClickToOpenRate")

FromOption = Annotated[str | None, typer.Option("--from", help="First UTC day (YYYY-MM-DD; default 30 days ago).")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last UTC day (default today).")]
ChartOption = Annotated[Path | None, typer.Option("--chart", help="Also write a per-day bar chart (.svg or .png).")]


def _rate(value: Any) -> str:
    return "-" if value is None else f"{float(value) * 100:.1f}%"


def show_insights(result: dict[str, Any]) -> None:
    """One row per day with activity, then the overall row."""

    def row(day: str, counts: dict[str, Any]) -> dict[str, Any]:
        return {"Day": day, **{n: counts[n] for n in COUNTS}, **{n: _rate(counts[n]) for n in RATES}}

    active = [row(str(d["Day"]), d) for d in result["Days"] if any(int(d.get(n) or 0) for n in COUNTS)]
    show_rows(
        f"{result['Dimension']} {result['Id']}: {result['From']} to {result['To']}",
        active,
        ["Day", *COUNTS, *RATES],
        numeric=(*COUNTS, *RATES),
        footer=row("Overall", result["Overall"]),
    )
    overall = result["Overall"]
    if overall.get("NotSentReasons"):
        console.print("Not sent: " + ", ".join(f"{text(k)} {v}" for k, v in overall["NotSentReasons"].items()))


#: What each dimension's insights are of, and where its name is read (journeys have none here).
_NAMED = {"messages": ("pushmessages", "message"), "apps": ("mobileapps", "app")}


def _chart_title(client: ApiClient, org_id: str, dimension: str, entity_id: str, result: dict[str, Any]) -> str:
    """``Welcome (message): 2026-11-07 to 2026-12-06``: the entity's name, not its id, when it has one."""
    name = f"journey {entity_id}"
    if dimension in _NAMED:
        collection, noun = _NAMED[dimension]
        found = client.call("GET", admin_path(org_id, collection, entity_id))
        name = f"{found.get('Name') or entity_id} ({noun})"
    return f"{name}: {result['From']} to {result['To']} (UTC days)"


def _insights(
    *,
    dimension: str,
    entity_id: str,
    since: str | None,
    until: str | None,
    chart: Path | None,
    org: str | None,
    json_output: bool,
) -> None:
    if chart is not None and chart.suffix.lower() not in FORMATS:
        raise usage_error("--chart writes SVG or PNG: give a path ending in .svg or .png")
    with in_org(org) as (client, org_id):
        result = client.call(
            "GET", admin_path(org_id, "insights", dimension, entity_id), params={"From": since, "To": until}
        )
        title = _chart_title(client, org_id, dimension, entity_id, result) if chart is not None else ""
    if chart is not None:
        write_chart(chart, title, result["Days"])
    if json_output:
        print_json(result)
        return
    show_insights(result)
    if chart is not None:
        done(f"chart written to {chart}")


def _dimension_command(name: str, dimension: str, noun: str, id_field: str) -> None:
    """Registers ``pushgate insights <name> <id>``: the commands differ only in what the id names."""

    def command(
        entity_id: str,
        since: FromOption = None,
        until: ToOption = None,
        chart: ChartOption = None,
        org: OrgOption = None,
        json_output: JsonFlag = False,
    ) -> None:
        _insights(
            dimension=dimension,
            entity_id=entity_id,
            since=since,
            until=until,
            chart=chart,
            org=org,
            json_output=json_output,
        )

    command.__doc__ = f"Insights of one {noun}."
    # Typer reads an argument's help and shown name from its annotation, and a string annotation
    # (this module's) cannot see this command's id field: this one is the object itself.
    command.__annotations__["entity_id"] = Annotated[str, typer.Argument(help=f"The {id_field}.", metavar=f"{noun}_id")]
    app.command(name)(command)


_dimension_command("message", "messages", "message", "MessageId")
_dimension_command("journey", "journeys", "journey", "JourneyId")
_dimension_command("app", "apps", "app", "MobileAppId")
