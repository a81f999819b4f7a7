"""The OpenAPI document tells the truth: each operation's documented success codes are the ones its
handler answers, each has an area tag and a summary that is not its path, and error codes appear
only where they can happen (``/health`` cannot answer 409, 413 or 415).

The handlers' answers are read from their source (the status literals they return, directly or
through a module helper or one of :mod:`pushgate.api.routes_kit`), in a child process that imports
the functions as the document builder does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pushgate_local.openapi import _segments_match, document_in_subprocess

ROOT = Path(__file__).resolve().parents[2]

_ANSWERS_SCRIPT = r"""
import importlib.util, inspect, json, re, sys
from pathlib import Path
from pushgate_local.template import read_stack

STATUS = re.compile(r"(?:return [^\n]*, |\), |status_code=|_empty\(|_json\(|\b(?:if|else) )(\d{3})\b|\b(\d{3}) if\b")
HELPER = re.compile(r"\b([a-z_]\w*)\(")
SHARED = "pushgate.api.routes_kit"

def codes(function, module, seen):
    source = inspect.getsource(inspect.unwrap(function))
    found = {int(a or b) for a, b in STATUS.findall(source)}
    for name in HELPER.findall(source):
        helper = getattr(module, name, None)
        # The module's own helpers (``_name``) and the answers the routes share (``no_content``).
        shared = inspect.isfunction(helper) and helper.__module__ == SHARED
        if (name.startswith("_") or shared) and inspect.isfunction(helper) and name not in seen:
            seen.add(name)
            found |= codes(helper, module, seen)
    return found

answers = []
for spec in read_stack(Path(sys.argv[1])).functions:
    if not spec.routes:
        continue
    module_name, _ = spec.handler.rsplit(".", 1)
    source = spec.code_uri / f"{module_name.replace('.', '/')}.py"
    loaded = importlib.util.spec_from_file_location(f"answers_{spec.logical_id}", source)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    for route in [*module.app._static_routes, *module.app._dynamic_routes]:
        found = sorted(c for c in codes(route.func, module, set()) if c < 400 or c == 503)
        answers.append([route.method.lower(), route.openapi_path, found or [200]])
print(json.dumps(answers))
"""


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(document_in_subprocess(ROOT / "template.yaml", {"POWERTOOLS_TRACE_DISABLED": "true"}))


@pytest.fixture(scope="module")
def answers() -> list[tuple[str, str, list[int]]]:
    completed = subprocess.run(  # noqa: S603 - this interpreter, a script of this file
        [sys.executable, "-c", _ANSWERS_SCRIPT, str(ROOT / "template.yaml")],
        env={**os.environ, "POWERTOOLS_TRACE_DISABLED": "true"},
        capture_output=True,
        check=True,
        timeout=120,
        cwd=ROOT,
    )
    return [tuple(row) for row in json.loads(completed.stdout)]  # type: ignore[misc]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_every_operations_documented_success_codes_are_what_its_handler_answers(
    document: dict[str, Any], answers: list[tuple[str, str, list[int]]]
) -> None:
    checked = 0
    for method, path, operation in _operations(document):
        # The handler whose path is the operation's own; else the one whose variables the template fixes
        # (``/{entitySet}`` for ``/contacts``).
        exact = [codes for m, p, codes in answers if m == method and p == path]
        handler = exact or [codes for m, p, codes in answers if m == method and _segments_match(p, path)]
        assert handler, f"no handler found for {method.upper()} {path}"
        documented = sorted(int(code) for code in operation["responses"] if int(code) < 400 or path == "/health")
        assert documented == handler[0], f"{method.upper()} {path}: documented {documented}, answers {handler[0]}"
        checked += 1
    assert checked == len(_operations(document)) > 80


def test_the_known_non_200_answers_are_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert sorted(paths["/admin/v1/orgs"]["post"]["responses"])[0] == "201"
    assert "200" not in paths["/admin/v1/orgs/{orgId}/sends"]["post"]["responses"]
    assert "202" in paths["/admin/v1/orgs/{orgId}/sends"]["post"]["responses"]
    deleted = paths["/admin/v1/orgs/{orgId}/mobileapps/{appId}"]["delete"]["responses"]
    assert "204" in deleted and "content" not in deleted["204"]
    created = paths["/admin/v1/orgs/{orgId}/mobileapps"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/MobileAppResponse"}


def test_every_operation_has_an_area_tag_and_a_real_summary(document: dict[str, Any]) -> None:
    areas = [tag["name"] for tag in document["tags"]]
    for required in ("Apps", "Tokens", "Directory", "Messages", "Sends", "Insights", "Devices", "Interactions"):
        assert required in areas
    assert {"Cleanup", "Health", "Orgs"} <= set(areas)
    assert "Other" not in areas and "default" not in areas
    for method, path, operation in _operations(document):
        assert operation["tags"] in ([area] for area in areas), f"{method} {path}: {operation['tags']}"
        assert "/" not in operation["summary"], f"{method} {path}: {operation['summary']}"
    assert document["paths"]["/admin/v1/orgs/{orgId}/sends"]["get"]["tags"] == ["Sends"]
    assert document["paths"]["/admin/v1/orgs/{orgId}/leads/{personId}"]["get"]["summary"] == "Get person (leads)"


def test_error_codes_appear_only_where_they_can_happen(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert sorted(paths["/health"]["get"]["responses"]) == ["200", "503"]
    read = paths["/admin/v1/orgs/{orgId}/sends/{sendId}"]["get"]["responses"]
    assert not {"409", "413", "415"} & set(read)
    assert {"400", "401", "403", "404", "503"} <= set(read)
    listing = paths["/admin/v1/orgs"]["get"]["responses"]
    assert "404" not in listing
    link = paths["/l/{trackingId}"]["get"]["responses"]
    assert not {"401", "403", "409", "413", "415"} & set(link)
    write = paths["/admin/v1/orgs/{orgId}/mobileapps"]["post"]["responses"]
    assert {"409", "413", "415"} <= set(write)
