"""`pushgate send`: a message through an app to a recipients file or a segment, followed until settled.

A segment is a saved one (``--segment``) or a filter over the directory (``--filter``, ``--kind``);
its people are read by the audience worker, so the send starts with nobody accepted and grows.

A send ends its wait when every part is ``Completed`` or ``Canceled``, or ``Scheduled``: everything
left waits for its time (``--at``, ``--local-time`` or the app's quiet hours), which may be hours or
days away, so the command shows the held notifications per UTC hour and exits 0 instead.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from pushgate_cli.client import ApiClient, admin_path
from pushgate_cli.commands.sends import HOUR_COLUMNS
from pushgate_cli.errors import CliError, usage_error
from pushgate_cli.files import read_recipients
from pushgate_cli.output import JsonFlag, OrgOption, console, print_json, progress_bar, show_record, show_rows
from pushgate_cli.session import in_org

#: The sends route takes at most 10,000 recipients per request; a larger file becomes several sends.
MAX_RECIPIENTS = 10_000
POLL_INTERVAL_S = 1.0
#: Statuses after which polling learns nothing more soon (``Scheduled``: all that is left waits).
SETTLED = frozenset({"Completed", "Canceled", "Scheduled"})
TOTALS = ("Expected", "Sent", "NotSent", "Pending", "Parked", "RecipientsAccepted", "RecipientsRejected")


def send(
    message: Annotated[str, typer.Option("--message", help="MessageId of an Active message.")],
    app_id: Annotated[str, typer.Option("--app", help="MobileAppId to send through.")],
    recipients: Annotated[
        Path | None,
        typer.Option("--recipients", help="User ids: .txt (one a line), .csv (UserId column) or .json."),
    ] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="SegmentId of a saved segment.")] = None,
    filter_text: Annotated[
        str | None, typer.Option("--filter", help="An OData $filter over the directory (a segment not saved).")
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="What --filter selects: contacts, leads or profiles.")
    ] = "contacts",
    broadcast: Annotated[
        bool, typer.Option("--broadcast", help="Every Active device of the app (Audience AllActiveDevices).")
    ] = False,
    journey: Annotated[str | None, typer.Option("--journey", help="JourneyId the insights group by.")] = None,
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="Repeat-safe key (suffixed per chunk of 10,000).")
    ] = None,
    send_at: Annotated[
        str | None, typer.Option("--at", help="Deliver at this UTC instant, with an offset (2026-12-24T08:00Z).")
    ] = None,
    local_time: Annotated[
        str | None,
        typer.Option("--local-time", help="Deliver at this time in each recipient's zone (09:00 or 2026-12-24T09:00)."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Follow the send until Completed, Canceled or Scheduled.")
    ] = True,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the sends to settle (exit 3).")
    ] = 600,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Send, show progress until every send is Completed (or Canceled, or Scheduled for later), then the totals.

    Give one of ``--recipients FILE``, ``--broadcast`` (every Active device of the app), ``--segment`` or
    ``--filter``. ``--at`` and ``--local-time`` exclude each other; the API checks both (a 400 naming the field).
    """
    bodies = _bodies(
        app_id,
        message,
        audiences=_audiences(recipients, broadcast, segment, filter_text, kind),
        timing={"JourneyId": journey, "SendAt": send_at, "SendAtLocalTime": local_time},
        idempotency_key=idempotency_key,
    )
    with in_org(org) as (client, org_id):
        created = [client.call("POST", admin_path(org_id, "sends"), body=body) for body in bodies]
        statuses = _follow(client, org_id, [c["SendId"] for c in created], timeout, quiet=json_output) if wait else []
    rejected = [r for c in created for r in c["Rejected"]]
    totals = _totals(statuses)
    if json_output:
        print_json({"Sends": created, "Statuses": statuses, "Totals": totals, "Rejected": rejected})
        return
    console.print(f"Sends: {', '.join(c['SendId'] for c in created)}")
    if statuses:
        show_record("Totals", totals)
        hours = [{"SendId": s["SendId"], **hour} for s in statuses for hour in s.get("Scheduled") or []]
        if hours:
            show_rows("Scheduled (per UTC hour)", hours, ["SendId", *HOUR_COLUMNS])
    else:
        console.print(f"accepted {sum(c['Accepted'] for c in created)}; follow with 'pushgate sends get SEND_ID'")
    reasons = Counter(r["Reason"] for r in rejected)
    show_rows("Rejected recipients", [{"Reason": k, "Count": v} for k, v in reasons.items()], ["Reason", "Count"])


def _audiences(
    recipients: Path | None, broadcast: bool, segment: str | None, filter_text: str | None, kind: str
) -> list[dict[str, Any]]:
    """The audience of each request: chunks of 10,000 recipients, the app's devices, or one segment."""
    given = [
        name
        for name, value in (
            ("--recipients", recipients),
            ("--broadcast", broadcast),
            ("--segment", segment),
            ("--filter", filter_text),
        )
        if value
    ]
    if len(given) != 1:
        raise usage_error("give one of --recipients FILE, --broadcast, --segment ID or --filter F")
    if broadcast:
        return [{"Audience": "AllActiveDevices"}]
    if segment is not None:
        return [{"Audience": {"SegmentId": segment}}]
    if filter_text is not None:
        return [{"Audience": {"Filter": filter_text, "Kind": kind}}]
    assert recipients is not None  # noqa: S101 - one of the four is given
    people = read_recipients(recipients)
    return [{"Recipients": people[start : start + MAX_RECIPIENTS]} for start in range(0, len(people), MAX_RECIPIENTS)]


def _bodies(
    app_id: str,
    message: str,
    *,
    audiences: list[dict[str, Any]],
    timing: dict[str, str | None],
    idempotency_key: str | None,
) -> list[dict[str, Any]]:
    """The request bodies: one per audience (a chunk of recipients, the broadcast or the segment)."""
    common: dict[str, Any] = {"MobileAppId": app_id, "MessageId": message}
    common.update({name: value for name, value in timing.items() if value is not None})
    bodies = []
    for number, audience in enumerate(audiences):
        body = {**common, **audience}
        if idempotency_key is not None:
            body["IdempotencyKey"] = idempotency_key if len(audiences) == 1 else f"{idempotency_key}-{number}"
        bodies.append(body)
    return bodies


def _follow(
    client: ApiClient, org_id: str, send_ids: list[str], timeout: float, *, quiet: bool
) -> list[dict[str, Any]]:
    """Polls every send until all are settled (see `SETTLED`), with a bar of devices done out of expected."""
    deadline = time.monotonic() + timeout
    with progress_bar(quiet=quiet) as progress:
        task = progress.add_task("Sending", total=None)
        while True:
            statuses = [client.call("GET", admin_path(org_id, "sends", send_id)) for send_id in send_ids]
            expected = sum(int(s["Expected"]) for s in statuses)
            finished = sum(int(s["Sent"]) + int(s["NotSent"]) for s in statuses)
            progress.update(task, total=expected or None, completed=finished)
            if all(s["Status"] in SETTLED for s in statuses):
                return statuses
            if time.monotonic() > deadline:
                raise CliError(f"the send did not settle within {timeout:g} s ({finished} of {expected} done)")
            time.sleep(POLL_INTERVAL_S)


def _totals(statuses: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {name: sum(int(s.get(name, 0)) for s in statuses) for name in TOTALS}
    reasons: Counter[str] = Counter()
    for status in statuses:
        reasons.update({reason: int(count) for reason, count in (status.get("NotSentReasons") or {}).items()})
    totals["NotSentReasons"] = dict(reasons)
    totals["Status"] = overall_status([str(s["Status"]) for s in statuses])
    return totals


def overall_status(statuses: list[str]) -> str:
    """One status for several sends: theirs when they agree, else ``Scheduled`` if any part waits.

    Parts that all ended, some canceled, are ``Canceled``; anything else is ``InProgress``.
    """
    found = set(statuses)
    if len(found) == 1:
        return found.pop()
    if "Scheduled" in found:
        return "Scheduled"
    if found == {"Completed", "Canceled"}:
        return "Canceled"
    return "InProgress"
