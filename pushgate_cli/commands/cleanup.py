"""`pushgate cleanup preview`: what the token cleanup would do now, changing nothing; `pushgate cleanup
run`: run the scheduled cleanup now (locally through the dev server, in AWS by invoking the function)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer

from pushgate_cli.client import aws_session
from pushgate_cli.config import load_target
from pushgate_cli.errors import CliError
from pushgate_cli.output import Commands, JsonFlag, OrgOption, console, print_json, show_record, show_rows
from pushgate_cli.session import api, call_in_org

#: The cleanup function and its daily schedule, as template.yaml names them.
CLEANUP_FUNCTION = "CleanupTokensFunction"
DAILY_SCHEDULE = "Daily"
#: The alias every function publishes (template.yaml's AutoPublishAlias): the version the schedule
#: invokes, and the one a SnapStart snapshot is taken of; the unqualified name is $LATEST, never snapshotted.
LIVE_ALIAS = "live"
#: The stack `sam deploy` created, unless --stack or $PUSHGATE_STACK_NAME says otherwise.
DEFAULT_STACK = "pushgate"

app = Commands(help="Token cleanup.", no_args_is_help=True)


@app.command("preview")
def preview(
    app_id: Annotated[str | None, typer.Option("--app", help="Only this MobileAppId.")] = None,
    org: OrgOption = None,
    json_output: JsonFlag = False,
) -> None:
    """Dry run of the cleanup for the org: devices it would mark Stale or purge, per app and reason."""
    body: dict[str, Any] = {"AppId": app_id} if app_id else {}
    report = call_in_org(org, "POST", "cleanup", "preview", body=body)
    if json_output:
        print_json(report)
        return
    show_rows("Cleanup preview (nothing changed)", report["Changes"], ["AppId", "Action", "Reason", "Count"])
    console.print(f"would purge {report['Purged']}, mark stale {report['MarkedStale']}; complete: {report['Complete']}")


def _invoke_in_aws(stack: str, region: str, event: dict[str, Any]) -> dict[str, Any]:
    """Invokes the deployed cleanup function (its name read from the stack) and returns its report."""
    session = aws_session()
    region = region or str(session.get_config_variable("region") or "")
    if not region:
        raise CliError("no AWS region: run 'pushgate login --api-url URL --region REGION'")
    try:
        # Any: the CloudFormation and Lambda clients have no type stubs in this project.
        stacks: Any = session.create_client("cloudformation", region_name=region)
        functions: Any = session.create_client("lambda", region_name=region)
        found = stacks.describe_stack_resource(StackName=stack, LogicalResourceId=CLEANUP_FUNCTION)
        name = found["StackResourceDetail"]["PhysicalResourceId"]
        answer = functions.invoke(FunctionName=name, Qualifier=LIVE_ALIAS, Payload=json.dumps(event).encode())
    except Exception as error:  # botocore's errors have no common base worth naming here
        raise CliError(f"cannot invoke the cleanup of stack {stack}: {error}") from None
    result: Any = json.loads(answer["Payload"].read() or b"null")
    if answer.get("FunctionError"):
        raise CliError(f"the cleanup failed: {result}")
    return result if isinstance(result, dict) else {"Result": result}


@app.command("run")
def run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what a run would change; change nothing.")] = False,
    stack: Annotated[
        str | None, typer.Option("--stack", help="AWS: the stack (default $PUSHGATE_STACK_NAME or pushgate).")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Run the scheduled token cleanup now, for every org (as its daily schedule would).

    Locally the dev server invokes the function on its local clock; in AWS the deployed function is invoked.
    """
    event: dict[str, Any] = {"DryRun": True} if dry_run else {}
    target = load_target()
    if target.mode == "local":
        with api() as client:
            answer = client.call("POST", f"/_local/schedules/{CLEANUP_FUNCTION}/{DAILY_SCHEDULE}", body=event)
        if not answer.get("ok"):
            raise CliError(f"the cleanup failed: {answer.get('result')}")
        report: dict[str, Any] = answer.get("result") or {}
    else:
        report = _invoke_in_aws(stack or os.environ.get("PUSHGATE_STACK_NAME") or DEFAULT_STACK, target.region, event)
    if json_output:
        print_json(report)
        return
    if "Error" in report:
        raise CliError(f"the cleanup refused its input: {report['Error'].get('Message')}")
    title = "Token cleanup" + (" (dry run: nothing changed)" if dry_run else "")
    show_record(title, {name: value for name, value in report.items() if name != "Changes"})
    if report.get("Changes"):
        show_rows("Changes", report["Changes"], ["AppId", "Action", "Reason", "Count"])
