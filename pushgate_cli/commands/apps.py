"""`pushgate apps`: mobile app configurations (APNs and FCM credentials), their live check, their delivery policy."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from pushgate_cli.client import admin_path
from pushgate_cli.errors import usage_error
from pushgate_cli.output import (
    Commands,
    JsonFlag,
    OrgOption,
    done,
    print_json,
    show_answer,
    show_json_or,
    show_record,
    show_rows,
)
from pushgate_cli.session import call_in_org, every_page_in_org, in_org

app = Commands(help="Mobile app configurations.", no_args_is_help=True)
FIELDS = ("MobileAppId", "Name", "Description", "Ios", "Android", "CredentialValidation", "UserResolveEnabled")
#: Apple names downloaded keys AuthKey_<KEY ID>.p8.
P8_NAME = re.compile(r"AuthKey_([A-Z0-9]{10})\.p8$")

AppId = Annotated[str, typer.Argument(help="The MobileAppId.")]


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise usage_error(f"cannot read {what} {path}: {error}") from None


def ios_body(p8: Path, key_id: str | None, team_id: str | None, bundle_id: str | None, mode: str) -> dict[str, Any]:
    """The token-auth ``Ios`` body; the key id defaults to the one in Apple's file name."""
    if key_id is None and (match := P8_NAME.search(p8.name)):
        key_id = match.group(1)
    missing = [
        name for name, value in (("--key-id", key_id), ("--team-id", team_id), ("--bundle-id", bundle_id)) if not value
    ]
    if missing:
        raise usage_error(f"--ios-p8 needs {', '.join(missing)}")
    return {
        "AuthMode": "Token",
        "AppMode": mode,
        "BundleId": bundle_id,
        "TeamId": team_id,
        "KeyId": key_id,
        "SigningKey": read_text(p8, "the .p8 key"),
    }


def android_body(service_account: Path) -> dict[str, Any]:
    try:
        account = json.loads(read_text(service_account, "the service account"))
    except ValueError as error:
        raise usage_error(f"{service_account} is not JSON: {error}") from None
    return {"ServiceAccountJson": account}


def show_validation(result: dict[str, Any]) -> None:
    rows = [{"Platform": platform, **check} for platform, check in (result.get("CredentialValidation") or {}).items()]
    show_rows("Credential validation", rows, ["Platform", "Status", "Reason", "CheckedAt"])


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The app's name.")],
    ios_p8: Annotated[Path | None, typer.Option("--ios-p8", help="APNs auth key (AuthKey_XXXXXXXXXX.p8).")] = None,
    key_id: Annotated[str | None, typer.Option("--key-id", help="APNs Key ID (default: from the .p8 name).")] = None,
    team_id: Annotated[str | None, typer.Option("--team-id", help="Apple Team ID.")] = None,
    bundle_id: Annotated[str | None, typer.Option("--bundle-id", help="The iOS bundle id.")] = None,
    app_mode: Annotated[str, typer.Option("--app-mode", help="Sandbox or Production.")] = "Sandbox",
    android_service_account: Annotated[
        Path | None, typer.Option("--android-service-account", help="FCM service-account key (JSON).")
    ] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    user_resolve: Annotated[bool, typer.Option("--user-resolve", help="Allow the public user resolve.")] = False,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Create an app with its iOS and/or Android credentials (checked on save)."""
    body: dict[str, Any] = {"Name": name}
    if description is not None:
        body["Description"] = description
    if user_resolve:
        body["UserResolveEnabled"] = True
    if ios_p8 is not None:
        body["Ios"] = ios_body(ios_p8, key_id, team_id, bundle_id, app_mode)
    if android_service_account is not None:
        body["Android"] = android_body(android_service_account)
    created = call_in_org(org, "POST", "mobileapps", body=body)
    if json_output:
        print_json(created)
        return
    show_record("Mobile app", created, FIELDS[:3])
    show_validation(created)


@app.command("list")
def list_apps(org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """List the org's apps (every page)."""
    apps = every_page_in_org(org, "mobileapps", items="MobileApps")
    if json_output:
        print_json({"MobileApps": apps})
        return
    rows = [
        {**a, "Platforms": ", ".join(p for p in ("Ios", "Android") if a.get(p)), "Created": a.get("CreatedAt")}
        for a in apps
    ]
    show_rows("Mobile apps", rows, ["MobileAppId", "Name", "Platforms", "Created"])


@app.command("get")
def get(app_id: AppId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Show an app (credentials redacted)."""
    found = call_in_org(org, "GET", "mobileapps", app_id)
    show_answer("Mobile app", found, FIELDS, json_output=json_output)


@app.command("validate")
def validate(app_id: AppId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Check the app's credentials live against APNs and FCM."""
    result = call_in_org(org, "POST", "mobileapps", app_id, "validate")
    show_json_or(result, lambda: show_validation(result), json_output=json_output)


@app.command("delete")
def delete(app_id: AppId, org: OrgOption = None, json_output: JsonFlag = False) -> None:
    """Delete an app with its tokens and secrets."""
    call_in_org(org, "DELETE", "mobileapps", app_id)
    show_json_or({"Deleted": app_id}, lambda: done(f"deleted app {app_id}"), json_output=json_output)


#: The parts of a policy the ``PUT`` takes (its answer adds ``MobileAppId``, ``IsDefault``...).
POLICY_PARTS = ("DefaultTimeZone", "QuietHours", "FrequencyCap", "CategoryCaps", "UncertainDelivery")
#: ``--uncertain-delivery`` values (any case; ``resend-collapsed`` too) and the API's spelling.
UNCERTAIN_DELIVERY = {"skip": "Skip", "resendcollapsed": "ResendCollapsed"}
OFF = "off"


def parse_quiet_hours(value: str) -> dict[str, str] | None:
    """``21:00-08:00`` as the API's ``{"Start", "End"}`` (the API checks the times); ``off``: none."""
    if value.strip().lower() == OFF:
        return None
    start, dash, end = value.partition("-")
    if not dash or not start.strip() or not end.strip():
        raise usage_error(f"--quiet-hours {value!r}: expected START-END (21:00-08:00) or {OFF}")
    return {"Start": start.strip(), "End": end.strip()}


def parse_cap(value: str, option: str = "--cap") -> dict[str, int] | None:
    """``3/24`` (3 notifications per 24 hours) as the API's cap; ``off``: none."""
    if value.strip().lower() == OFF:
        return None
    count, slash, hours = value.partition("/")
    try:
        if not slash:
            raise ValueError(value)
        return {"MaxNotifications": int(count), "PeriodHours": int(hours)}
    except ValueError:
        raise usage_error(f"{option} {value!r}: expected MAX/HOURS (3/24) or {OFF}") from None


def parse_category_cap(value: str) -> tuple[str, dict[str, int] | None]:
    """``promotions=1/24`` as (category, cap); ``promotions=off`` removes that category's cap."""
    name, equals, cap = value.partition("=")
    if not equals or not name.strip():
        raise usage_error(f"--category-cap {value!r}: expected CATEGORY=MAX/HOURS (promotions=1/24) or CATEGORY={OFF}")
    return name.strip(), parse_cap(cap, "--category-cap")


def parse_uncertain_delivery(value: str) -> str:
    """``skip`` or ``resend-collapsed`` (any case) as the API's ``UncertainDelivery``."""
    found = UNCERTAIN_DELIVERY.get(value.strip().lower().replace("-", ""))
    if found is None:
        raise usage_error(f"--uncertain-delivery {value!r}: expected Skip or ResendCollapsed")
    return found


@dataclass(frozen=True)
class PolicyChanges:
    """What the command line changes: whole parts (``None``: off) and single category caps."""

    parts: dict[str, Any] = field(default_factory=dict)
    category_caps: dict[str, dict[str, int] | None] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        *,
        zone: str | None,
        quiet_hours: str | None,
        cap: str | None,
        category_caps: list[str],
        uncertain_delivery: str | None = None,
    ) -> PolicyChanges:
        """The options, checked before any request (exit 2 for a malformed one)."""
        parts: dict[str, Any] = {}
        if zone is not None:
            parts["DefaultTimeZone"] = zone
        if uncertain_delivery is not None:
            parts["UncertainDelivery"] = parse_uncertain_delivery(uncertain_delivery)
        if quiet_hours is not None:
            parts["QuietHours"] = parse_quiet_hours(quiet_hours)
        if cap is not None:
            parts["FrequencyCap"] = parse_cap(cap)
        return cls(parts, dict(parse_category_cap(option) for option in category_caps))

    def __bool__(self) -> bool:
        return bool(self.parts or self.category_caps)

    def applied_to(self, current: dict[str, Any]) -> dict[str, Any]:
        """The whole ``PUT`` body: ``current`` (the policy just read) with these changes.

        The API's ``PUT`` replaces the policy (a part left out is off), so every part not given on
        the command line is copied from the current one.
        """
        body: dict[str, Any] = {part: current.get(part) for part in POLICY_PARTS} | self.parts
        caps = dict(body["CategoryCaps"] or {})
        for name, limit in self.category_caps.items():
            if limit is None:
                caps.pop(name, None)
            else:
                caps[name] = limit
        body["CategoryCaps"] = caps
        return {part: value for part, value in body.items() if value is not None}


def show_policy(policy: dict[str, Any]) -> None:
    quiet = policy.get("QuietHours")
    cap = policy.get("FrequencyCap")
    shown = {
        **policy,
        "QuietHours": f"{quiet['Start']}-{quiet['End']} (recipient-local)" if quiet else OFF,
        "FrequencyCap": f"{cap['MaxNotifications']} per {cap['PeriodHours']} h" if cap else OFF,
    }
    fields = ("MobileAppId", "DefaultTimeZone", "DefaultTimeZoneResolved", "QuietHours", "FrequencyCap")
    show_record("Delivery policy", shown, (*fields, "UncertainDelivery", "IsDefault", "UpdatedAt"))
    rows = [
        {"Category": name, "MaxNotifications": c["MaxNotifications"], "PeriodHours": c["PeriodHours"]}
        for name, c in (policy.get("CategoryCaps") or {}).items()
    ]
    show_rows("Category caps", rows, ["Category", "MaxNotifications", "PeriodHours"])


@app.command("delivery-policy")
def delivery_policy(
    app_id: AppId,
    zone: Annotated[
        str | None, typer.Option("--zone", help="DefaultTimeZone: IANA, Windows id or Dataverse code.")
    ] = None,
    quiet_hours: Annotated[
        str | None, typer.Option("--quiet-hours", help="Recipient-local START-END (21:00-08:00), or off.")
    ] = None,
    cap: Annotated[str | None, typer.Option("--cap", help="MAX/HOURS over all messages (3/24), or off.")] = None,
    category_caps: Annotated[
        list[str] | None,
        typer.Option("--category-cap", help="CATEGORY=MAX/HOURS (promotions=1/24) or CATEGORY=off; repeatable."),
    ] = None,
    uncertain_delivery: Annotated[
        str | None,
        typer.Option(
            "--uncertain-delivery",
            help="A notification a crashed worker may have sent: ResendCollapsed (again, under a collapse id "
            "of its own, so the device shows one) or Skip (recorded DeliveryUncertain).",
        ),
    ] = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Show the app's delivery policy, or change the parts given (the others stay as they are)."""
    changes = PolicyChanges.parse(
        zone=zone,
        quiet_hours=quiet_hours,
        cap=cap,
        category_caps=category_caps or [],
        uncertain_delivery=uncertain_delivery,
    )
    with in_org(org) as (client, org_id):
        path = admin_path(org_id, "mobileapps", app_id, "delivery-policy")
        policy = client.call("GET", path)
        if changes:
            policy = client.call("PUT", path, body=changes.applied_to(policy))
    show_json_or(policy, lambda: show_policy(policy), json_output=json_output)


def ios_certificate_body(p12: Path, password: str, bundle_id: str | None, mode: str) -> dict[str, Any]:
    """The certificate-auth ``Ios`` body: the .p12 file as base64 (the bundle id defaults to the certificate's)."""
    try:
        encoded = base64.b64encode(p12.read_bytes()).decode()
    except OSError as error:
        raise usage_error(f"cannot read the .p12 file {p12}: {error}") from None
    body: dict[str, Any] = {
        "AuthMode": "Certificate",
        "AppMode": mode,
        "Certificate": encoded,
        "CertificatePassword": password,
    }
    if bundle_id:
        body["BundleId"] = bundle_id
    return body


def _removals(*, remove_ios: bool, remove_android: bool) -> dict[str, None]:
    """``null`` for each platform to remove (the API deletes its credentials)."""
    return {name: None for name, remove in (("Ios", remove_ios), ("Android", remove_android)) if remove}


@app.command("update")
def update(
    app_id: AppId,
    name: Annotated[str | None, typer.Option("--name")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    ios_p8: Annotated[Path | None, typer.Option("--ios-p8", help="New APNs auth key (token auth).")] = None,
    ios_p12: Annotated[
        Path | None, typer.Option("--ios-p12", help="New APNs certificate (.p12; certificate auth).")
    ] = None,
    p12_password: Annotated[
        str, typer.Option("--p12-password", envvar="PUSHGATE_P12_PASSWORD", help="The .p12's export password.")
    ] = "",
    key_id: Annotated[str | None, typer.Option("--key-id", help="APNs Key ID (default: from the .p8 name).")] = None,
    team_id: Annotated[str | None, typer.Option("--team-id", help="Apple Team ID.")] = None,
    bundle_id: Annotated[str | None, typer.Option("--bundle-id", help="The iOS bundle id.")] = None,
    app_mode: Annotated[str, typer.Option("--app-mode", help="Sandbox or Production.")] = "Sandbox",
    android_service_account: Annotated[
        Path | None, typer.Option("--android-service-account", help="New FCM service-account key (JSON).")
    ] = None,
    remove_ios: Annotated[bool, typer.Option("--remove-ios", help="Remove the iOS app.")] = False,
    remove_android: Annotated[bool, typer.Option("--remove-android", help="Remove the Android app.")] = False,
    user_resolve: Annotated[
        bool | None, typer.Option("--user-resolve/--no-user-resolve", help="Allow the public user resolve.")
    ] = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Change an app: what is given changes (new credentials are checked on save), the rest stays."""
    if ios_p8 is not None and ios_p12 is not None:
        raise usage_error("give --ios-p8 or --ios-p12, not both")
    body: dict[str, Any] = {}
    for field_name, value in (("Name", name), ("Description", description), ("UserResolveEnabled", user_resolve)):
        if value is not None:
            body[field_name] = value
    if ios_p8 is not None:
        body["Ios"] = ios_body(ios_p8, key_id, team_id, bundle_id, app_mode)
    elif ios_p12 is not None:
        body["Ios"] = ios_certificate_body(ios_p12, p12_password, bundle_id, app_mode)
    body.update(_removals(remove_ios=remove_ios and "Ios" not in body, remove_android=remove_android))
    if android_service_account is not None:
        body["Android"] = android_body(android_service_account)
    if not body:
        raise usage_error("nothing to change: give --name, --description, credentials or --remove-ios/--remove-android")
    updated = call_in_org(org, "PATCH", "mobileapps", app_id, body=body)
    if json_output:
        print_json(updated)
        return
    show_record("Mobile app", updated, FIELDS)
    show_validation(updated)


@app.command("token-policy")
def token_policy(
    app_id: AppId,
    stale_after_days: Annotated[
        int | None, typer.Option("--stale-after-days", help="Not registered for this long: Stale (7-3650).")
    ] = None,
    invalid_grace_days: Annotated[
        int | None, typer.Option("--invalid-grace-days", help="Invalid devices are purged after this (0-365).")
    ] = None,
    stale_grace_days: Annotated[
        int | None, typer.Option("--stale-grace-days", help="Stale devices are purged after this (0-365).")
    ] = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Show the app's token policy, or change the parts given (the others stay as they are)."""
    changes = {
        name: value
        for name, value in (
            ("StaleAfterDays", stale_after_days),
            ("InvalidGraceDays", invalid_grace_days),
            ("StaleGraceDays", stale_grace_days),
        )
        if value is not None
    }
    with in_org(org) as (client, org_id):
        path = admin_path(org_id, "mobileapps", app_id, "token-policy")
        policy = client.call("GET", path)
        if changes:
            current = {name: policy[name] for name in ("StaleAfterDays", "InvalidGraceDays", "StaleGraceDays")}
            policy = client.call("PUT", path, body={**current, **changes})
    show_answer("Token policy", policy, json_output=json_output)
