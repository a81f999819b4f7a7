"""`pushgate dev credentials`: throw-away APNs and FCM credentials the local stack's simulator accepts.

The files have the shapes Apple and Google hand out (an ``AuthKey_<KEY ID>.p8`` and a
service-account JSON), generated here with fresh keys, so `pushgate apps create` and the local
provider simulator take them as they would real ones. They are worthless against Apple and Google.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from pushgate_cli.errors import usage_error
from pushgate_cli.output import Commands, JsonFlag, console, done, print_json, show_record

app = Commands(help="Local development helpers.", no_args_is_help=True)
#: Apple's Key ID and Team ID: 10 upper-case letters or digits.
APPLE_ID = re.compile(r"[A-Z0-9]{10}")
SERVICE_ACCOUNT_FILE = "sa.json"


def _apple_id(value: str, option: str) -> str:
    if not APPLE_ID.fullmatch(value):
        raise usage_error(f"{option} must be 10 upper-case letters or digits, as Apple issues them")
    return value


@app.command("credentials")
def credentials(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write the files in.")] = Path(),
    key_id: Annotated[str, typer.Option("--key-id", help="APNs Key ID (the .p8 is named after it).")] = "ABCDE12345",
    team_id: Annotated[str, typer.Option("--team-id", help="Apple Team ID.")] = "TEAM123456",
    project_id: Annotated[str, typer.Option("--project-id", help="Firebase project id.")] = "pushgate-local",
    force: Annotated[bool, typer.Option("--force", help="Replace files that exist.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Write AuthKey_<KEY ID>.p8 and sa.json: test credentials for the local stack, never for Apple or Google."""
    # The local runtime only: importing it here keeps every other command free of its imports.
    from pushgate_local.credentials import generate_apns_auth_key, generate_fcm_service_account  # noqa: PLC0415

    key = generate_apns_auth_key(key_id=_apple_id(key_id, "--key-id"), team_id=_apple_id(team_id, "--team-id"))
    account = generate_fcm_service_account(project_id)
    p8, service_account = output / key.file_name, output / SERVICE_ACCOUNT_FILE
    existing = [str(path) for path in (p8, service_account) if path.exists()]
    if existing and not force:
        raise usage_error(f"{', '.join(existing)} exists: pass --force to replace it")
    try:
        output.mkdir(parents=True, exist_ok=True)
        for path, content in ((p8, key.private_key_pem), (service_account, account.to_json() + "\n")):
            path.write_text(content, encoding="utf-8")
            path.chmod(0o600)  # private keys, even throw-away ones
    except OSError as error:
        raise usage_error(f"cannot write to {output}: {error}") from None
    written = {
        "P8": str(p8),
        "KeyId": key.key_id,
        "TeamId": key.team_id,
        "ServiceAccount": str(service_account),
        "ProjectId": account.project_id,
    }
    if json_output:
        print_json(written)
        return
    show_record("Test credentials (local simulator only)", written)
    done("written; use them with:")
    console.print(
        f'  pushgate apps create "My app" --ios-p8 {p8} --team-id {key.team_id} '
        f"--bundle-id com.contoso.app --android-service-account {service_account}",
        soft_wrap=True,
    )
