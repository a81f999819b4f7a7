"""`pushgate messages`: push message templates, their preview, activation and test send."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pushgate_cli.errors import usage_error
from pushgate_cli.files import json_object, parse_json, read_text
from pushgate_cli.output import (
    Commands,
    JsonFlag,
    OrgOption,
    console,
    print_json,
    show_answer,
    show_json_or,
    show_record,
    show_rows,
    text,
)
from pushgate_cli.session import call_in_org, every_page_in_org

app = Commands(help="Push messages.", no_args_is_help=True)
FIELDS = ("MessageId", "Name", "Status", "Version", "Title", "Subtitle", "Body", "OnClick", "Data", "UpdatedAt")
MessageId = Annotated[str, typer.Argument(help="The MessageId.")]
ContactOption = Annotated[str | None, typer.Option("--contact", help="Sample contact attributes (JSON object).")]
TriggerOption = Annotated[str | None, typer.Option("--trigger-data", help="Sample trigger data (JSON object).")]
LocaleOption = Annotated[str | None, typer.Option("--locale", help="Render this localization.")]


def _sample(contact: str | None, trigger_data: str | None, locale: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if (parsed := json_object(contact, "--contact")) is not None:
        body["Contact"] = parsed
    if (parsed := json_object(trigger_data, "--trigger-data")) is not None:
        body["TriggerData"] = parsed
    if locale is not None:
        body["Locale"] = locale
    return body


@app.command("create")
def create(
    file: Annotated[Path | None, typer.Option("--file", help="The whole body as JSON (options override it).")] = None,
    name: Annotated[str | None, typer.Option("--name")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Title template ({{contact.firstname}}...).")] = None,
    body_text: Annotated[str | None, typer.Option("--body", help="Body template.")] = None,
    subtitle: Annotated[str | None, typer.Option("--subtitle")] = None,
    image_url: Annotated[str | None, typer.Option("--image-url")] = None,
    url: Annotated[str | None, typer.Option("--url", help="On click: open this URL (else the app opens).")] = None,
    data: Annotated[str | None, typer.Option("--data", help="Custom data keys (JSON object).")] = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Create a Draft message (a bad template is refused naming the field and character)."""
    body: dict[str, Any] = {}
    if file is not None:
        loaded = parse_json(read_text(file), str(file))
        if not isinstance(loaded, dict):
            raise usage_error(f"{file} must hold a JSON object")
        body.update(loaded)
    options = {"Name": name, "Title": title, "Body": body_text, "Subtitle": subtitle, "ImageUrl": image_url}
    body.update({key: value for key, value in options.items() if value is not None})
    if url is not None:
        body["OnClick"] = {"Behavior": "OpenUrl", "Url": url}
    if (parsed := json_object(data, "--data")) is not None:
        body["Data"] = parsed
    created = call_in_org(org, "POST", "pushmessages", body=body)
    show_answer("Push message", created, FIELDS, json_output=json_output)


@app.command("list")
def list_messages(org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """List the org's messages (every page)."""
    messages = every_page_in_org(org, "pushmessages", items="PushMessages")
    columns = ["MessageId", "Name", "Status", "Version", "UpdatedAt"]
    show_json_or(
        {"PushMessages": messages}, lambda: show_rows("Push messages", messages, columns), json_output=json_output
    )


@app.command("get")
def get(message_id: MessageId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Show a message."""
    found = call_in_org(org, "GET", "pushmessages", message_id)
    show_answer("Push message", found, FIELDS, json_output=json_output)


@app.command("preview")
def preview(
    message_id: MessageId,
    user: Annotated[str | None, typer.Option("--user", help="Render for this directory user.")] = None,
    app_id: Annotated[str | None, typer.Option("--app", help="MobileAppId (its Ios/Android options apply).")] = None,
    contact: ContactOption = None,
    trigger_data: TriggerOption = None,
    locale: LocaleOption = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """The exact APNs and FCM payloads, their sizes and warnings."""
    body = _sample(contact, trigger_data, locale)
    if user is not None:
        body["UserId"] = user
    if app_id is not None:
        body["MobileAppId"] = app_id
    result = call_in_org(org, "POST", "pushmessages", message_id, "preview", body=body)
    if json_output:
        print_json(result)
        return
    show_record("Rendered", result["Rendered"])
    console.print(f"[bold]APNs[/] ({result['Apns']['SizeBytes']} of {result['Apns']['LimitBytes']} bytes)")
    console.print_json(data=result["Apns"]["Payload"])
    console.print(f"[bold]FCM[/] ({result['Fcm']['MessageSizeBytes']} of {result['Fcm']['LimitBytes']} bytes)")
    console.print_json(data=result["Fcm"]["Body"])
    for warning in result.get("Warnings") or []:
        console.print(f"[yellow]warning[/] {text(warning['Field'])}: {text(warning['Warning'])}")


def _transition(action: str, message_id: str, org: str | None, json_output: bool) -> None:
    result = call_in_org(org, "POST", "pushmessages", message_id, action)
    show_answer(
        "Push message", result, ("MessageId", "Name", "Status", "Version", "StatusChangedAt"), json_output=json_output
    )


@app.command("activate")
def activate(message_id: MessageId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Draft/Inactive → Active (sends need an Active message)."""
    _transition("activate", message_id, org, json_output)


@app.command("deactivate")
def deactivate(message_id: MessageId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Active → Inactive."""
    _transition("deactivate", message_id, org, json_output)


@app.command("testsend")
def testsend(
    message_id: MessageId,
    app_id: Annotated[str, typer.Option("--app", help="MobileAppId whose credentials send.")],
    device_token: Annotated[str | None, typer.Option("--device-token", help="One device (with --platform).")] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="Ios or Android.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Every Active device of this user instead.")] = None,
    contact: ContactOption = None,
    trigger_data: TriggerOption = None,
    locale: LocaleOption = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Send the message to one device (or a user's devices) now; one verdict per device."""
    if (device_token is None) == (user is None):
        raise usage_error("pass either --device-token (with --platform) or --user")
    body = {"MobileAppId": app_id, **_sample(contact, trigger_data, locale)}
    if device_token is not None:
        body.update({"DeviceToken": device_token, "Platform": platform})
    else:
        body["UserId"] = user
    result = call_in_org(org, "POST", "pushmessages", message_id, "testsend", body=body)
    columns = ["Platform", "DeviceToken", "Verdict", "Status", "Reason"]
    show_json_or(result, lambda: show_rows("Test send", result["Results"], columns), json_output=json_output)
