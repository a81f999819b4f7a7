"""House rules for template.yaml that cfn-lint does not know."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pushgate.api.resolver import CONSOLE_PATH_PREFIX
from pushgate_local.console import CONTENT_SECURITY_POLICY
from pushgate_local.template import load_template, read_stack

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
STACK = read_stack(ROOT / "template.yaml")
FUNCTIONS = [name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"]
CONSOLE_AUTHORIZER = "ConsoleJwt"


def test_one_runtime_and_architecture_for_every_function() -> None:
    globals_function = TEMPLATE["Globals"]["Function"]
    assert globals_function["Runtime"] == "python3.13"
    assert globals_function["Architectures"] == ["arm64"]
    for name in FUNCTIONS:
        properties = RESOURCES[name]["Properties"]
        assert "Runtime" not in properties and "Architectures" not in properties, name


def test_one_tracing_parameter_sets_lambdas_tracing_and_what_the_functions_import() -> None:
    parameter = TEMPLATE["Parameters"]["Tracing"]
    globals_function = TEMPLATE["Globals"]["Function"]
    assert parameter["AllowedValues"] == ["Active", "PassThrough"]
    assert parameter["Default"] == "Active"
    assert globals_function["Tracing"] == {"Ref": "Tracing"}
    assert globals_function["Environment"]["Variables"]["PUSHGATE_TRACING"] == {"Ref": "Tracing"}
    for name in FUNCTIONS:
        assert "Tracing" not in RESOURCES[name]["Properties"], name


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_a_log_group_with_retention(function: str) -> None:
    groups = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::Logs::LogGroup"]
    assert any(
        g.get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/${{{function}}}"} and "RetentionInDays" in g for g in groups
    )


def _statements() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name in FUNCTIONS:
        for policy in RESOURCES[name]["Properties"].get("Policies", []):
            assert isinstance(policy, dict) and "Statement" in policy, (
                f"{name}: write explicit statements, not policy templates"
            )
            found += [(name, statement) for statement in policy["Statement"]]
    return found


def test_policies_name_actions_and_resources_exactly() -> None:
    for function, statement in _statements():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), function
        assert statement["Resource"] != "*", function


def test_every_work_queue_has_a_dead_letter_queue() -> None:
    queues = {q.logical_id: q for q in STACK.queues}
    dead_letter_queues = {q.dead_letter_logical_id for q in queues.values()} - {None}
    for name, queue in queues.items():
        if name not in dead_letter_queues:
            assert queue.dead_letter_logical_id in queues, f"{name} has no dead-letter queue"


def test_operator_routes_use_iam_and_public_routes_opt_out_explicitly() -> None:
    for function in STACK.functions:
        for route in function.routes:
            if route.path.startswith(CONSOLE_PATH_PREFIX + "/"):
                expected = CONSOLE_AUTHORIZER
            else:
                expected = "AWS_IAM" if route.path.startswith("/admin/") else "NONE"
            assert route.auth == expected, route.route_key
    for name in FUNCTIONS:
        for event in (RESOURCES[name]["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                assert "Authorizer" in event["Properties"].get("Auth", {}), f"{name}: say the route's auth explicitly"


@pytest.mark.parametrize("function", STACK.functions, ids=lambda f: f.logical_id)
def test_every_function_is_a_thin_app_module_with_sample_events(function: Any) -> None:
    app = function.code_uri / "app.py"
    assert "def lambda_handler(" in app.read_text()
    assert sorted(p.name for p in function.code_uri.glob("*.py")) == ["__init__.py", "app.py"]
    assert list((ROOT / "events" / function.code_uri.name).glob("*.json")), "add sample events under events/"


def test_the_delivery_worker_takes_one_job_per_invocation_and_its_queue_outlasts_six_timeouts() -> None:
    # A worker that dies holds back only the job it had (see docs/decisions.md, "Crash during delivery").
    function = RESOURCES["DeliverPushFunction"]["Properties"]
    (source,) = [e["Properties"] for e in function["Events"].values() if e["Type"] == "SQS"]
    assert source["BatchSize"] == 1
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert RESOURCES["DeliveryQueue"]["Properties"]["VisibilityTimeout"] >= 6 * function["Timeout"]


def test_every_operator_route_has_one_console_twin_on_the_same_function() -> None:
    # An HTTP API route takes one authorizer: SigV4 callers use /admin/..., the console's Cognito
    # users the same path under /console-api (docs/decisions.md, "Console sign-in").
    for function in STACK.functions:
        operator = sorted((r.method, r.path) for r in function.routes if r.path.startswith("/admin/"))
        console = sorted(
            (r.method, r.path.removeprefix(CONSOLE_PATH_PREFIX))
            for r in function.routes
            if r.path.startswith(CONSOLE_PATH_PREFIX + "/")
        )
        assert console == operator, function.logical_id


def test_the_console_authorizer_accepts_only_tokens_of_the_console_user_pool_client() -> None:
    auth = RESOURCES["HttpApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "AWS_IAM"
    jwt = auth["Authorizers"][CONSOLE_AUTHORIZER]
    assert jwt["IdentitySource"] == "$request.header.Authorization"
    assert "${ConsoleUserPool}" in jwt["JwtConfiguration"]["issuer"]["Fn::Sub"]
    assert jwt["JwtConfiguration"]["audience"] == [{"Ref": "ConsoleUserPoolClient"}]
    cors = RESOURCES["HttpApi"]["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == [{"Fn::Sub": "https://${ConsoleDistribution.DomainName}"}]


def test_console_users_are_invited_and_sign_in_with_the_code_flow_and_no_client_secret() -> None:
    pool = RESOURCES["ConsoleUserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    client = RESOURCES["ConsoleUserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["CallbackURLs"] == [{"Fn::Sub": "https://${ConsoleDistribution.DomainName}/console/"}]
    assert client["UserPoolId"] == {"Ref": "ConsoleUserPool"}


def test_the_console_files_are_private_and_read_only_by_the_distribution() -> None:
    bucket = RESOURCES["ConsoleBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (allow, deny) = RESOURCES["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert "${ConsoleDistribution}" in allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    distribution = RESOURCES["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = distribution["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert distribution["DefaultRootObject"] == "console/index.html"
    outputs = TEMPLATE["Outputs"]
    assert {"ConsoleUrl", "ConsoleBucketName", "ConsoleUserPoolClientId", "ConsoleSignInDomain"} <= outputs.keys()


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


def test_the_deployed_console_has_the_dev_servers_content_security_policy() -> None:
    config = RESOURCES["ConsoleResponseHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    deployed = _directives(config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"])
    local = _directives(CONTENT_SECURITY_POLICY)
    assert {k: v for k, v in deployed.items() if k != "connect-src"} == {
        k: v for k, v in local.items() if k != "connect-src"
    }
    # ...and may call only the API and the Cognito sign-in domain besides itself.
    assert deployed["connect-src"].split() == [
        "'self'",
        "https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}",
        "https://${ConsoleAuthDomainPrefix}.auth.${AWS::Region}.amazoncognito.com",
    ]
