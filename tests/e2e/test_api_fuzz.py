"""Property-based fuzzing of every route in the dev server's OpenAPI document (schemathesis).

Each operation gets a few generated requests, valid and invalid by its schema, deterministically
(``derandomize``) so CI runs the same cases every time. Whatever is sent, the answer is never a 5xx,
its status is one the operation documents,
and every JSON 4xx has the one documented error shape; a 4xx that is not JSON must be documented as
such for that operation (the tracked-link page). Operator routes get the admin key, as an operator's
client would; public routes carry whatever the schema generates. The public device routes run again
as an ASP.NET Core client sends them (camelCase names, a trailing slash), and stateful scenarios
follow the document's links (create -> read -> delete) with the same checks.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from pushgate.api.resolver import PUBLIC_PATH_PREFIX
from pushgate_local.credentials import generate_fcm_service_account
from pushgate_local.openapi import document_in_subprocess
from pushgate_local.runtime import LocalRuntime
from tests.e2e.conftest import ADMIN_KEY, PROJECT_ROOT
from tests.e2e.registration_support import RegisteredApp, create_app

pytestmark = pytest.mark.stack

#: Generated requests per operation: enough to hit every operation with bad and good input, few
#: enough to keep the suite within a couple of minutes on two cores.
EXAMPLES_PER_OPERATION = 12


# Built at collection, the way the dev server builds what it serves at /openapi.json.
DOCUMENT = json.loads(document_in_subprocess(PROJECT_ROOT / "template.yaml", {"POWERTOOLS_TRACE_DISABLED": "true"}))
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES_PER_OPERATION,
    deterministic=True,
)


def _any_success(document: dict[str, Any]) -> dict[str, Any]:
    """The document with each operation's documented successes (200, 201, 202, 204) read as one ``2XX``.

    Schemathesis follows a link only from the status it is declared on, and infers one set of links
    per operation from one success response (the first documented, whose body carries the ids).
    """
    copied: dict[str, Any] = json.loads(json.dumps(document))
    for operations in copied["paths"].values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            successes = [responses.pop(code) for code in sorted(responses) if code.startswith("2")]
            if successes:
                responses["2XX"] = successes[0]
    return copied


def _text_of(*names: str) -> dict[str, Any]:
    """An object of the named short plain-text fields (no control characters, which the API refuses)."""
    return {
        "type": "object",
        "properties": {name: {"type": "string", "pattern": "^[A-Za-z]{1,40}$"} for name in names},
        "required": list(names),
        "additionalProperties": False,
    }


#: The bodies with which the stateful scenarios create what their links lead to. The document's own
#: are truthful but rarely succeed with generated data: a person's attributes are a free-form object
#: (almost every generated one names an attribute the directory does not know), a message's and a
#: token's texts are any strings (most hold a control character, refused), and an app needs the
#: credentials of a platform. Without a create that succeeds no link is followed.
CREATE_BODIES: Final = {
    **{kind: _text_of("firstname") for kind in ("contacts", "leads", "profiles")},
    "pushmessages": _text_of("Name", "Title", "Body"),
    "mobileapps": {
        "const": {
            "Name": "Fuzzed app",
            "Android": {"ServiceAccountJson": generate_fcm_service_account("contoso-devices").info},
        }
    },
    "mobileapps/{appId}/tokens": _text_of("Label"),
}


def _link(document: dict[str, Any], path: str, method: str, parameters: dict[str, str]) -> dict[str, Any]:
    return {"operationId": document["paths"][path][method]["operationId"], "parameters": parameters}


def _with_links(document: dict[str, Any]) -> dict[str, Any]:
    """Links from each create to reading, changing and deleting what it created, and :data:`CREATE_BODIES`.

    Declared, not inferred: schemathesis' own inference links creating an org to every route under
    it with only ``{orgId}`` filled in, so that most scenarios read or delete a generated person,
    message, app or token id (a 400 or a 404) instead of one a step created; and it matches neither
    a person's id, which comes back under its Dataverse name (``contactid``), nor an app's
    (``MobileAppId``) to the route's ``{personId}`` and ``{appId}``.
    """
    org = "/admin/v1/orgs/{orgId}"
    in_org = {"orgId": "$request.path.orgId"}
    ids = {
        "contacts": ("personId", "contactid"),
        "leads": ("personId", "leadid"),
        "profiles": ("personId", "profileid"),
        "pushmessages": ("messageId", "MessageId"),
        "mobileapps": ("appId", "MobileAppId"),
        "mobileapps/{appId}/tokens": ("tokenId", "TokenId"),
    }
    links: dict[str, dict[str, dict[str, Any]]] = {
        "/admin/v1/orgs": {
            "GetOrg": _link(document, org, "get", {"orgId": "$response.body#/OrgId"}),
            **{
                f"Create{kind.title()}": _link(document, f"{org}/{kind}", "post", {"orgId": "$response.body#/OrgId"})
                for kind in ("contacts", "leads", "profiles", "pushmessages", "mobileapps")
            },
        },
        f"{org}/mobileapps": {
            "CreateToken": _link(
                document,
                f"{org}/mobileapps/{{appId}}/tokens",
                "post",
                {**in_org, "appId": "$response.body#/MobileAppId"},
            )
        },
    }
    for kind, (parameter, field) in ids.items():
        collection = f"{org}/{kind}"
        document["paths"][collection]["post"]["requestBody"]["content"]["application/json"]["schema"] = CREATE_BODIES[
            kind
        ]
        one = document["paths"][f"{collection}/{{{parameter}}}"]
        # The tokens' route names the app too: the one in the create's path.
        known = {**in_org, "appId": "$request.path.appId"} if "{appId}" in kind else in_org
        links.setdefault(collection, {}).update(
            {
                f"{method.title()}Created": _link(
                    document, f"{collection}/{{{parameter}}}", method, {**known, parameter: f"$response.body#/{field}"}
                )
                for method in ("get", "patch", "delete")
                if method in one
            }
        )
    for path, declared in links.items():
        document["paths"][path]["post"]["responses"]["2XX"]["links"] = declared
    return document


#: The resources with a create, a read and a delete route, which the stateful scenarios chain through
#: links (an org, then its apps' tokens, messages and people). Valid requests only, so that what a
#: step creates exists for the next.
STATEFUL_PATHS = (
    r"^/admin/v1/orgs(/\{orgId\}(/pushmessages(/\{messageId\})?|/(contacts|leads|profiles)(/\{personId\})?"
    r"|/mobileapps(/\{appId\}(/tokens(/\{tokenId\})?)?)?)?)?$"
)
stateful_schema = (
    schemathesis.openapi.from_dict(_with_links(_any_success(DOCUMENT)))
    .include(path_regex=STATEFUL_PATHS)
    # The lists of orgs is no create -> read -> delete step; its NextToken would be linked to nothing.
    .exclude(method="GET", path="/admin/v1/orgs")
)
stateful_schema.config.generation.update(modes=[GenerationMode.POSITIVE], deterministic=True)
# Only the links that _with_links declares (none inferred: see there).
stateful_schema.config.phases.stateful.inference.algorithms = []
#: The public device routes, also sent as ASP.NET Core clients send them.
public_schema = schema.include(path_regex=f"^{re.escape(PUBLIC_PATH_PREFIX)}")


@pytest.fixture(scope="module")
def fuzz_app(admin: httpx.Client) -> RegisteredApp:
    org = admin.post("/admin/v1/orgs", json={"Name": "Fuzzed org"})
    assert org.status_code == 201, org.text
    return create_app(admin, org.json()["OrgId"])


def _documented_media_types(case: Any, status: int) -> set[str]:
    responses = case.operation.definition.raw.get("responses", {})
    documented = responses.get(str(status)) or responses.get("default") or {}
    return set(documented.get("content", {}))


def _check_error_shape(case: Any, response: Any) -> None:
    content_type = (response.headers.get("content-type") or [""])[0]
    _check_error_body(case, response.status_code, content_type, response.content)


def _check_error_body(case: Any, status: int, content_type: str, content: bytes) -> None:
    media_type = content_type.split(";", maxsplit=1)[0].strip()
    if case.method.upper() == "HEAD" or not content:
        return
    if media_type != "application/json":
        assert media_type in _documented_media_types(case, status), f"undocumented {status} {media_type}"
        return
    body = json.loads(content)
    assert set(body) == {"Error"}, body
    error = body["Error"]
    assert set(error) == {"Code", "Message", "Details"}, body
    assert isinstance(error["Code"], str) and isinstance(error["Message"], str), body
    assert all(set(detail) == {"Field", "Problem"} for detail in error["Details"]), body


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_route_answers_5xx_and_every_4xx_has_the_error_shape(
    case: Any, dev_stack: LocalRuntime, fuzz_app: RegisteredApp
) -> None:
    # Requests name a real org and app, so they get past the lookups into bodies and services (the
    # app is never the one deleted, so the operations after DELETE .../mobileapps/{appId} still reach it).
    substitutes = {"orgId": fuzz_app.org_id}
    if case.method.upper() != "DELETE":
        substitutes["appId"] = fuzz_app.app_id
    for name, value in substitutes.items():
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = value
    response = case.call(base_url=dev_stack.api_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60)

    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
    # Whatever a route answers, its document says it can (a generated client knows every answer).
    documented = case.operation.definition.raw.get("responses", {})
    assert str(response.status_code) in documented, (
        f"{case.method} {case.formatted_path} -> {response.status_code}, documented {sorted(documented)}"
    )
    if 400 <= response.status_code < 500:
        _check_error_shape(case, response)


def _aspnet_names(value: Any, depth: int = 0) -> Any:
    """The body as an ASP.NET Core client may send it: camelCase names, all lower case one level down."""
    if isinstance(value, list):
        return [_aspnet_names(item, depth) for item in value]
    if not isinstance(value, dict):
        return value
    renamed = {}
    for name, item in value.items():
        sent = name[:1].lower() + name[1:] if depth == 0 else name.lower()
        renamed[sent] = _aspnet_names(item, depth + 1)
    return renamed


def _sent(body: Any, field: str) -> bool:
    """Whether the body holds the field an error names (``[1].UserId``, ``Contract.Token``), in any letter case."""
    value = body
    for part in re.findall(r"\[(\d+)\]|([^.\[\]]+)", field):
        index, name = part
        if index:
            if not isinstance(value, list) or int(index) >= len(value):
                return False
            value = value[int(index)]
            continue
        found = [item for key, item in value.items() if key.lower() == name.lower()] if isinstance(value, dict) else []
        if not found:
            return False
        value = found[0]
    return True


@public_schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_public_device_routes_with_aspnet_style_names_and_a_trailing_slash_answer_no_5xx(
    case: Any, dev_stack: LocalRuntime, fuzz_app: RegisteredApp
) -> None:
    # Every generated request, as an app written against CI-J's ASP.NET Core API sends it: names in
    # camelCase (lower case inside nested objects and batch elements) and the path with a trailing
    # slash. Whatever is sent, no 5xx, the error shape on every 4xx, and never "is required" for a
    # field the body holds in another letter case.
    if "orgId" in (case.path_parameters or {}):
        case.path_parameters["orgId"] = fuzz_app.org_id
    sent_body = None if isinstance(case.body, NotSet) else _aspnet_names(case.body)
    # Invalid cases may carry raw bytes (not JSON at all): those go as they are.
    raw = sent_body if isinstance(sent_body, bytes) else None
    response = httpx.request(
        case.method,
        f"{dev_stack.api_url}{case.formatted_path}/",
        params=case.query or None,
        headers=case.headers or None,
        content=raw,
        json=None if raw is not None else sent_body,
        timeout=60,
    )

    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}/ -> {response.status_code}: {response.text[:500]}"
    )
    # The route itself always answers (a 404 may say an id is unknown, never that the path is).
    assert "no route for" not in response.text, response.text[:300]
    if 400 <= response.status_code < 500:
        _check_error_body(case, response.status_code, response.headers.get("content-type", ""), response.content)
        if response.headers.get("content-type", "").startswith("application/json") and raw is None:
            missing = [
                d["Field"]
                for d in response.json()["Error"]["Details"]
                if d["Problem"].startswith("is required") and _sent(sent_body, d["Field"])
            ]
            assert not missing, (missing, sent_body)


#: Scenarios of the stateful run and steps in each: enough for create -> read -> delete chains of
#: several resources, few enough for a couple of minutes on two cores.
STATEFUL_SCENARIOS = 60
STATEFUL_STEPS = 12


def test_stateful_links_create_read_delete_answer_no_5xx(dev_stack: LocalRuntime) -> None:
    # Schemathesis runs scenarios that follow the copy's links (POST /admin/v1/orgs -> POST .../contacts
    # in that org -> GET/DELETE .../contacts/{personId} with the id the answer carried, ...), so reads
    # and deletes meet resources that exist.
    steps: list[tuple[str, int, bool]] = []

    class Workflow(stateful_schema.as_state_machine()):  # type: ignore[misc]
        def step(self, input: Any) -> Any:
            output = super().step(input)
            steps.append((input.case.operation.label, output.response.status_code, input.transition is not None))
            return output

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": dev_stack.api_url, "headers": {"Authorization": f"Bearer {ADMIN_KEY}"}, "timeout": 60}

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
            )
            if 400 <= response.status_code < 500:
                _check_error_shape(case, response)

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )

    # Followed links reached what earlier steps created: a read and a delete of it succeeded.
    followed = {label.split(" ")[0] for label, status, linked in steps if linked and 200 <= status < 300}
    assert followed >= {"GET", "DELETE"}, sorted(set(steps))


def test_the_document_covers_every_route_of_the_template(dev_stack: LocalRuntime, public: httpx.Client) -> None:
    document = public.get("/openapi.json").json()
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    routed = {(route.method, route.path) for route, _ in dev_stack.routes if "+}" not in route.path}
    # The public device routes are greedy (one per path family, so that each path also takes a
    # trailing slash); the resolver's paths under each are documented.
    greedy = [route.path.removesuffix("{proxy+}") for route, _ in dev_stack.routes if route.path.endswith("+}")]
    public_paths = {(method, path) for method, path in documented if path.startswith(PUBLIC_PATH_PREFIX)}

    assert routed == documented - public_paths, routed ^ (documented - public_paths)
    assert all(any(path.startswith(prefix) for prefix in greedy) for _, path in public_paths), public_paths
    assert all(any(path.startswith(prefix) for _, path in public_paths) for prefix in greedy), greedy
    assert ("POST", "/api/v1.0/orgs/{orgId}/pushdeviceregistration/devices/batch") in public_paths
    assert document["paths"]["/admin/v1/orgs"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateOrgRequest"
    }
    assert document["components"]["schemas"]["ErrorBody"]["required"] == ["Error"]


def test_swagger_ui_is_served_from_the_dev_server(public: httpx.Client) -> None:
    page = public.get("/docs")
    script = public.get("/docs/swagger-ui-bundle.min.js")

    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'url: "/openapi.json"' in page.text
    assert script.status_code == 200 and len(script.content) > 100_000
    assert public.get("/docs/nothing.js").status_code == 404
