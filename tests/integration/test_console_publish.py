"""``make console-publish`` against moto's S3: every console file with its type, and the AWS config.json."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from pushgate_local.console_publish import console_config, default_stack_name, publish

CONSOLE = Path(__file__).resolve().parents[2] / "console"
OUTPUTS = {
    "ApiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com",
    "ConsoleBucketName": "pushgate-console-files",
    "ConsoleUserPoolId": "eu-west-1_AbCdEf123",
    "ConsoleUserPoolClientId": "client123",
    "ConsoleSignInDomain": "https://pushgate-ops.auth.eu-west-1.amazoncognito.com/",
    "ConsoleIdentityPoolId": "eu-west-1:0b6e3b3c-7c3e-4f0e-9b1a-2f5d8c1e4a77",
}


def test_the_files_and_the_config_land_under_console_with_their_types(services: dict[str, str]) -> None:
    s3 = boto3.client("s3", endpoint_url=services["aws_url"], region_name="us-east-1")
    s3.create_bucket(Bucket=OUTPUTS["ConsoleBucketName"])

    written = publish(CONSOLE, OUTPUTS["ConsoleBucketName"], console_config(OUTPUTS), s3)

    expected = {f"console/{p.relative_to(CONSOLE).as_posix()}" for p in CONSOLE.rglob("*") if p.is_file()}
    assert set(written) == expected | {"console/config.json"}
    page = s3.get_object(Bucket=OUTPUTS["ConsoleBucketName"], Key="console/index.html")
    script = s3.get_object(Bucket=OUTPUTS["ConsoleBucketName"], Key="console/js/main.js")
    config = json.loads(s3.get_object(Bucket=OUTPUTS["ConsoleBucketName"], Key="console/config.json")["Body"].read())
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert script["ContentType"] == "text/javascript; charset=utf-8"
    assert config == {
        "ApiUrl": OUTPUTS["ApiUrl"],
        "SignIn": "Cognito",
        "CognitoDomain": "https://pushgate-ops.auth.eu-west-1.amazoncognito.com",
        "CognitoClientId": "client123",
        "UserPoolId": "eu-west-1_AbCdEf123",
        "IdentityPoolId": OUTPUTS["ConsoleIdentityPoolId"],
        "Region": "eu-west-1",
        "Environment": "aws",
    }


def test_a_stack_without_the_console_outputs_is_refused_by_name() -> None:
    missing = "ConsoleUserPoolId, ConsoleUserPoolClientId, ConsoleSignInDomain, ConsoleIdentityPoolId"
    with pytest.raises(ValueError, match=missing):
        console_config({"ApiUrl": "https://x", "ConsoleBucketName": "b"})


def test_the_stack_name_comes_from_samconfig(tmp_path: Path) -> None:
    assert default_stack_name(tmp_path) is None
    (tmp_path / "samconfig.toml").write_text('[default.deploy.parameters]\nstack_name = "pushgate-prod"\n')
    assert default_stack_name(tmp_path) == "pushgate-prod"
