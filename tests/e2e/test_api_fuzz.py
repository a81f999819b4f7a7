"""Property-based fuzzing of every route in the dev server's OpenAPI document (schemathesis).

Each operation gets a few generated requests, valid and invalid by its schema, deterministically
(``derandomize``) so CI runs the same cases every time. Whatever is sent, the answer is never a 5xx,
its status is one the operation documents,
and every JSON 4xx has the one documented error shape; a 4xx that is not JSON must be documented as
such for that operation (the tracked-link page). Operator routes get the admin key, as an operator's
client would; public routes carry whatever the schema generates.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode

from pushgate.api.resolver import CONSOLE_PATH_PREFIX
from pushgate_local.openapi import document_in_subprocess
from pushgate_local.runtime import LocalRuntime
from tests.e2e.conftest import ADMIN_KEY, PROJECT_ROOT
from tests.e2e.registration_support import RegisteredApp, create_app

pytestmark = pytest.mark.stack

#: Generated requests per operation: enough to hit every operation with bad and good input, few
#: enough to keep the suite within a couple of minutes on two cores.
EXAMPLES_PER_OPERATION = 12


# Built at collection, the way the dev server builds what it serves at /openapi.json.
schema = schemathesis.openapi.from_dict(
    json.loads(document_in_subprocess(PROJECT_ROOT / "template.yaml", {"POWERTOOLS_TRACE_DISABLED": "true"}))
)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES_PER_OPERATION,
    deterministic=True,
)


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
    status = response.status_code
    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if case.method.upper() == "HEAD" or not response.content:
        return
    if media_type != "application/json":
        assert media_type in _documented_media_types(case, status), f"undocumented {status} {media_type}"
        return
    body = json.loads(response.content)
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


def test_the_document_covers_every_route_of_the_template(dev_stack: LocalRuntime, public: httpx.Client) -> None:
    document = public.get("/openapi.json").json()
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    routed = {(route.method, route.path) for route, _ in dev_stack.routes if "+}" not in route.path}
    # The console's twins of the operator routes are the same operations under another authorizer.
    console = {(method, path) for method, path in routed if path.startswith(CONSOLE_PATH_PREFIX + "/")}
    operator = {(method, path) for method, path in documented if path.startswith("/admin/")}

    assert routed - console == documented, (routed - console) ^ documented
    assert {(method, path.removeprefix(CONSOLE_PATH_PREFIX)) for method, path in console} == operator
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
