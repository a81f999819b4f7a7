"""``make console-publish``: uploads ``console/`` to the deployed stack's bucket, with its ``config.json``.

SAM deploys the bucket, the CloudFront distribution and the Cognito user pool, but no files; this
puts the pages there (each with its content type), writes the ``config.json`` that points them at
the API's operator routes, the Cognito sign-in and the identity pool whose credentials sign the
calls, and invalidates the distribution's copy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3

from pushgate_local.console import CONFIG_NAME, CONSOLE_PREFIX, content_type

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Pages and scripts are revalidated on each load, so a publish shows at once after the invalidation.
CACHE_CONTROL = "no-cache"
REQUIRED_OUTPUTS = (
    "ApiUrl",
    "ConsoleBucketName",
    "ConsoleUserPoolId",
    "ConsoleUserPoolClientId",
    "ConsoleSignInDomain",
    "ConsoleIdentityPoolId",
)


def console_config(outputs: Mapping[str, str]) -> dict[str, str]:
    """The deployed console's ``config.json``: the API, the Cognito client and the identity pool."""
    missing = [name for name in REQUIRED_OUTPUTS if not outputs.get(name)]
    if missing:
        raise ValueError(f"the stack has no output {', '.join(missing)}: deploy the current template.yaml first")
    identity_pool = outputs["ConsoleIdentityPoolId"]
    return {
        "ApiUrl": outputs["ApiUrl"].rstrip("/"),
        "SignIn": "Cognito",
        "CognitoDomain": outputs["ConsoleSignInDomain"].rstrip("/"),
        "CognitoClientId": outputs["ConsoleUserPoolClientId"],
        "UserPoolId": outputs["ConsoleUserPoolId"],
        "IdentityPoolId": identity_pool,
        # An identity pool's id is "<region>:<uuid>"; the API, the pools and the signatures share it.
        "Region": identity_pool.partition(":")[0],
        "Environment": "aws",
    }


def publish(root: Path, bucket: str, config: Mapping[str, str], s3: Any) -> list[str]:
    """Uploads every file under ``root`` and ``config.json`` below ``console/``; returns the keys written."""
    prefix = CONSOLE_PREFIX.strip("/") + "/"
    written = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(root).as_posix()
        s3.put_object(
            Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(path), CacheControl=CACHE_CONTROL
        )
        written.append(key)
    s3.put_object(
        Bucket=bucket,
        Key=prefix + CONFIG_NAME,
        Body=json.dumps(config).encode(),
        ContentType="application/json",
        CacheControl=CACHE_CONTROL,
    )
    written.append(prefix + CONFIG_NAME)
    return written


def default_stack_name(project_root: Path) -> str | None:
    """The stack ``sam deploy --guided`` saved in ``samconfig.toml``, if any."""
    path = project_root / "samconfig.toml"
    if not path.is_file():
        return None
    saved = tomllib.loads(path.read_text(encoding="utf-8"))
    name = saved.get("default", {}).get("deploy", {}).get("parameters", {}).get("stack_name")
    return str(name) if name else None


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="console_publish", description=__doc__)
    parser.add_argument("--stack", default=default_stack_name(PROJECT_ROOT), help="stack name (samconfig.toml's)")
    args = parser.parse_args(argv)
    if not args.stack:
        parser.error("no stack name: pass --stack NAME (or deploy once with 'make deploy')")
    stacks = boto3.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    try:
        config = console_config(outputs)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    written = publish(PROJECT_ROOT / "console", outputs["ConsoleBucketName"], config, boto3.client("s3"))
    boto3.client("cloudfront").create_invalidation(
        DistributionId=outputs["ConsoleDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": [f"{CONSOLE_PREFIX}*"]},
            "CallerReference": str(time.time()),
        },
    )
    print(f"published {len(written)} files; the console is at {outputs.get('ConsoleUrl')}")
    print("add operators with: aws cognito-idp admin-create-user --user-pool-id", outputs.get("ConsoleUserPoolId"))
    print("  --username operator@example.com --user-attributes Name=email,Value=operator@example.com")
    return 0


if __name__ == "__main__":
    sys.exit(main())
