"""House rules for template.yaml that cfn-lint does not know."""

from __future__ import annotations

import re
from collections import Counter
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from pushgate_local.console import CONTENT_SECURITY_POLICY
from pushgate_local.template import load_template, read_stack

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
STACK = read_stack(ROOT / "template.yaml")
FUNCTIONS = [name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"]
ROUTES = [route for function in STACK.functions for route in function.routes]
#: The acceptance limit of issue 29: route blocks and policies stay short enough to read.
MAX_TEMPLATE_LINES = 1400


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


def test_operator_routes_take_the_iam_default_and_public_routes_opt_out_explicitly() -> None:
    # A route that forgets its Auth gets AWS_IAM: an omission fails closed, never open.
    assert RESOURCES["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    for route in ROUTES:
        assert route.auth == ("AWS_IAM" if route.path.startswith("/admin/v1/") else "NONE"), route.route_key
    for name in FUNCTIONS:
        for event in (RESOURCES[name]["Properties"].get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                assert event["Properties"]["ApiId"] == {"Ref": "HttpApi"}, name
                if not event["Properties"]["Path"].startswith("/admin/"):
                    assert event["Properties"]["Auth"] == {"Authorizer": "NONE"}, f"{name}: say NONE explicitly"


def test_one_route_per_operation_and_no_other_authorizer() -> None:
    # The console calls the operator routes the CLI calls (SigV4 with its identity pool's credentials),
    # so no operation has a second route under another prefix or authorizer (docs/decisions.md).
    keys = Counter((route.method, route.path) for route in ROUTES)
    assert [key for key, count in keys.items() if count > 1] == []
    # Operator routes, the CI-J device API, the tracked-link redirect and the health check.
    assert all(route.path.startswith(("/admin/v1/", "/api/", "/l/", "/health")) for route in ROUTES)
    assert "Authorizers" not in RESOURCES["HttpApi"]["Properties"]["Auth"]
    assert len(ROUTES) == sum(
        1
        for name in FUNCTIONS
        for e in (RESOURCES[name]["Properties"].get("Events") or {}).values()
        if e["Type"] == "HttpApi"
    )


def test_the_template_stays_within_its_line_budget() -> None:
    assert len((ROOT / "template.yaml").read_text().splitlines()) <= MAX_TEMPLATE_LINES


@pytest.mark.parametrize("function", STACK.functions, ids=lambda f: f.logical_id)
def test_every_function_is_a_thin_app_module_with_sample_events(function: Any) -> None:
    app = function.code_uri / "app.py"
    # The handler the template names: a function, or the SQS worker kit's handler bound to its name.
    assert re.search(r"^(def lambda_handler\(|lambda_handler = )", app.read_text(), flags=re.MULTILINE)
    assert sorted(p.name for p in function.code_uri.glob("*.py")) == ["__init__.py", "app.py"]
    assert list((ROOT / "events" / function.code_uri.name).glob("*.json")), "add sample events under events/"


def test_the_delivery_worker_takes_one_job_per_invocation_and_its_queue_outlasts_six_timeouts() -> None:
    # A worker that dies holds back only the job it had (see docs/decisions.md, "Crash during delivery").
    function = RESOURCES["DeliverPushFunction"]["Properties"]
    (source,) = [e["Properties"] for e in function["Events"].values() if e["Type"] == "SQS"]
    assert source["BatchSize"] == 1
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert RESOURCES["DeliveryQueue"]["Properties"]["VisibilityTimeout"] >= 6 * function["Timeout"]


def _invoke_arn(method: str, path: str) -> str:
    """The execute-api ARN API Gateway checks a SigV4 caller's permission against, as a !Sub string."""
    return (
        f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{HttpApi}}/$default/{method}{path}"
    )


def test_the_console_identity_pool_role_may_invoke_the_operator_routes_and_nothing_else() -> None:
    pool = RESOURCES["ConsoleIdentityPool"]["Properties"]
    assert pool["AllowUnauthenticatedIdentities"] is False and pool["AllowClassicFlow"] is False
    (provider,) = pool["CognitoIdentityProviders"]
    assert provider["ClientId"] == {"Ref": "ConsoleUserPoolClient"}
    assert provider["ProviderName"] == {"Fn::GetAtt": ["ConsoleUserPool", "ProviderName"]}
    roles = RESOURCES["ConsoleIdentityPoolRoles"]["Properties"]
    assert roles["IdentityPoolId"] == {"Ref": "ConsoleIdentityPool"}
    assert roles["Roles"] == {"authenticated": {"Fn::GetAtt": ["ConsoleOperatorRole", "Arn"]}}  # no guest role

    role = RESOURCES["ConsoleOperatorRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Federated": "cognito-identity.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"]["StringEquals"] == {"cognito-identity.amazonaws.com:aud": {"Ref": "ConsoleIdentityPool"}}
    assert trust["Condition"]["ForAnyValue:StringLike"] == {"cognito-identity.amazonaws.com:amr": "authenticated"}
    assert "ManagedPolicyArns" not in role
    (policy,) = role["Policies"]
    (grant,) = policy["PolicyDocument"]["Statement"]
    assert (grant["Effect"], grant["Action"]) == ("Allow", "execute-api:Invoke")
    resource = grant["Resource"]["Fn::Sub"]
    # IAM's * matches across slashes, as fnmatch's does: every operator route, and no other route.
    for route in ROUTES:
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] if route.method == "ANY" else [route.method]:
            allowed = fnmatchcase(_invoke_arn(method, route.path.replace("{", "x").replace("}", "x")), resource)
            assert allowed == route.path.startswith("/admin/v1/"), route.route_key
    # The API may be called with these credentials, nothing else of the account.
    grants = [
        s
        for name, r in RESOURCES.items()
        if r["Type"] == "AWS::IAM::Role"
        for p in r["Properties"].get("Policies", [])
        for s in p["PolicyDocument"]["Statement"]
        if "cognito-identity" in str(r["Properties"]["AssumeRolePolicyDocument"])
    ]
    assert grants == [grant]


def test_the_console_signs_from_its_own_origin_with_sigv4_headers_allowed() -> None:
    cors = RESOURCES["HttpApi"]["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == [{"Fn::Sub": "https://${ConsoleDistribution.DomainName}"}]
    assert {"authorization", "content-type", "x-amz-date", "x-amz-security-token"} <= set(cors["AllowHeaders"])


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
    assert {
        "ConsoleUrl",
        "ConsoleBucketName",
        "ConsoleUserPoolId",
        "ConsoleUserPoolClientId",
        "ConsoleSignInDomain",
        "ConsoleIdentityPoolId",
    } <= outputs.keys()


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


def test_the_deployed_console_has_the_dev_servers_content_security_policy() -> None:
    config = RESOURCES["ConsoleResponseHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    deployed = _directives(config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"])
    local = _directives(CONTENT_SECURITY_POLICY)
    assert {k: v for k, v in deployed.items() if k != "connect-src"} == {
        k: v for k, v in local.items() if k != "connect-src"
    }
    # ...and may call only the API, the Cognito sign-in domain and the identity pool besides itself.
    assert deployed["connect-src"].split() == [
        "'self'",
        "https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}",
        "https://${ConsoleAuthDomainPrefix}.auth.${AWS::Region}.amazoncognito.com",
        "https://cognito-identity.${AWS::Region}.amazonaws.com",
    ]
