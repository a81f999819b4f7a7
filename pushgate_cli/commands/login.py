"""`pushgate login`: choose the API the other commands call."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pushgate_cli.client import ApiClient, aws_session
from pushgate_cli.config import Target, default_local_json, load_target, save_target
from pushgate_cli.errors import CliError, usage_error
from pushgate_cli.output import JsonFlag, console, done, print_json


def login(
    local: Annotated[
        bool, typer.Option("--local", help="The local stack ('make dev'), through its local.json.")
    ] = False,
    local_json: Annotated[
        Path | None, typer.Option("--local-json", help="Path of local.json (default .pushgate/local.json).")
    ] = None,
    api_url: Annotated[str | None, typer.Option("--api-url", help="A deployed stack's ApiUrl (SigV4).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region (default: botocore's).")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Save the target (local stack or AWS) in the config file and check that it answers."""
    if local == bool(api_url):
        raise usage_error("pass either --local or --api-url URL")
    previous_org = _previous_org()
    if local:
        path = (local_json or default_local_json()).resolve()
        target = Target(mode="local", local_json=str(path), org=previous_org)
    elif api_url is not None:
        if not api_url.startswith(("https://", "http://")):
            raise usage_error("--api-url must be an http(s) URL")
        chosen_region = region or aws_session().get_config_variable("region")
        if not chosen_region:
            raise usage_error("no AWS region configured: pass --region")
        target = Target(mode="aws", api_url=api_url.rstrip("/"), region=str(chosen_region), org=previous_org)
    with ApiClient.for_target(target) as client:
        health = client.call("GET", "/health")
        base_url = client.base_url
    path = save_target(target)
    if json_output:
        print_json({"Mode": target.mode, "ApiUrl": base_url, "Region": target.region, "Config": str(path)})
        return
    done(f"logged in to {base_url} ({target.mode}); saved in {path}")
    if isinstance(health, dict):
        console.print(f"  health: {health.get('Status')}, version {health.get('Version')}")


def _previous_org() -> str:
    try:
        return load_target().org
    except CliError:
        return ""
