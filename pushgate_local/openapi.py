"""One OpenAPI document for every HTTP route of ``template.yaml``, and the Swagger UI page that shows it.

Each function has its own Powertools resolver, so each documents its own routes
(``pushgate.api.openapi``); this module imports every HTTP function of the template, in a process
of its own, and merges their documents. The dev server serves the result at ``/openapi.json`` and
Swagger UI at ``/docs``. ``python -m pushgate_local.openapi [template.yaml]`` prints it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from pushgate_local.template import HttpRoute, read_stack

DESCRIPTION = (
    "Pushgate's public device API (CI-J compatible, `ApiToken` in the body) and operator API "
    "(`/admin/v1`, IAM in AWS, `Authorization: Bearer <admin_key>` locally). Every error is "
    '`{"Error": {"Code", "Message", "Details": [{"Field", "Problem"}]}}`.'
)
_SWAGGER_ASSETS = {"swagger-ui-bundle.min.js": "application/javascript", "swagger-ui.min.css": "text/css"}


def build_document(template_path: Path) -> dict[str, Any]:
    """Imports each HTTP function of the template and merges their documents (run it in its own process)."""
    from pushgate import __version__  # noqa: PLC0415 - the layer is imported only in the builder process
    from pushgate.api.openapi import merge_documents, openapi_document  # noqa: PLC0415

    documents = []
    for spec in read_stack(template_path).functions:
        if not spec.routes:
            continue
        module_name, _ = spec.handler.rsplit(".", 1)
        source = spec.code_uri / f"{module_name.replace('.', '/')}.py"
        loaded = importlib.util.spec_from_file_location(f"pushgate_function_{spec.logical_id}", source)
        if loaded is None or loaded.loader is None:
            raise ImportError(f"cannot load {source}")
        module = importlib.util.module_from_spec(loaded)
        loaded.loader.exec_module(module)
        documents.append(_as_routed(openapi_document(module.app, version=__version__), spec.routes))
    return merge_documents(documents, title="Pushgate", version=__version__, description=DESCRIPTION)


def _segments_match(resolver_path: str, route_path: str) -> bool:
    ours, theirs = resolver_path.strip("/").split("/"), route_path.strip("/").split("/")
    return len(ours) == len(theirs) and all(
        mine == routed or (mine.startswith("{") and (not routed.startswith("{") or mine == routed))
        for mine, routed in zip(ours, theirs, strict=True)
    )


def _is_under(resolver_path: str, greedy_route_path: str) -> bool:
    """Whether a greedy route (``.../pushdeviceregistration/{proxy+}``) routes the resolver's path."""
    ours = resolver_path.strip("/").split("/")
    prefix = greedy_route_path.strip("/").split("/")[:-1]
    return len(ours) > len(prefix) and _segments_match("/".join(ours[: len(prefix)]), "/".join(prefix))


def _as_routed(document: dict[str, Any], routes: list[HttpRoute]) -> dict[str, Any]:
    """The function's operations under the paths API Gateway routes to it (``/contacts`` for ``/{entitySet}``).

    A resolver variable that the template fixes to a literal is no longer a parameter. A greedy
    route (``{proxy+}``, the public device routes) routes every resolver path under its prefix:
    those are documented as the resolver declares them (each also takes a trailing slash).
    """
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        method = route.method.lower()
        if route.path.endswith("+}"):
            for resolver_path, operations in document.get("paths", {}).items():
                if not _is_under(resolver_path, route.path):
                    continue
                for name, operation in operations.items():
                    if method in {name, "any"}:
                        routed = copy.deepcopy(operation)
                        _name_operation(routed, f"{name.upper()} {resolver_path}")
                        paths.setdefault(resolver_path, {})[name] = routed
            continue
        for resolver_path, operations in document.get("paths", {}).items():
            if method not in operations or not _segments_match(resolver_path, route.path):
                continue
            operation = copy.deepcopy(operations[method])
            fixed = {
                mine[1:-1]
                for mine, routed in zip(
                    resolver_path.strip("/").split("/"), route.path.strip("/").split("/"), strict=True
                )
                if mine.startswith("{") and not routed.startswith("{")
            }
            operation["parameters"] = [
                p for p in operation.get("parameters", []) if not (p.get("in") == "path" and p.get("name") in fixed)
            ]
            if not operation["parameters"]:
                del operation["parameters"]
            # One handler may serve several routed paths (contacts, leads, profiles): the summary names which.
            literals = [
                routed
                for mine, routed in zip(
                    resolver_path.strip("/").split("/"), route.path.strip("/").split("/"), strict=True
                )
                if mine.startswith("{") and not routed.startswith("{")
            ]
            _name_operation(operation, route.route_key, literals)
            paths.setdefault(route.path, {})[method] = operation
            break
    return {**document, "paths": paths}


def _name_operation(operation: dict[str, Any], route_key: str, literals: list[str] | None = None) -> None:
    # The summary is the handler's (``pushgate.api.openapi``), with the collection a shared handler serves.
    summary = operation.get("summary") or route_key
    operation["summary"] = f"{summary} ({', '.join(literals)})" if literals else summary
    operation["operationId"] = re.sub(r"[^A-Za-z0-9]+", "_", route_key).strip("_")


def document_in_subprocess(template_path: Path, environment: dict[str, str]) -> bytes:
    """The merged document as JSON bytes, built in a child process so no handler module loads here."""
    completed = subprocess.run(
        [sys.executable, "-m", "pushgate_local.openapi", str(template_path)],
        env={**os.environ, **environment},
        capture_output=True,
        check=False,
        timeout=120,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"building the OpenAPI document failed: {completed.stderr.decode(errors='replace')[-2000:]}")
    return completed.stdout


def _init_script(document_url: str) -> str:
    # No persistAuthorization: Swagger UI would keep the admin key in localStorage, on the origin the
    # console shares, for any script there to read; in memory it is gone when the tab is. No
    # validatorUrl: the page never calls out to validator.swagger.io.
    return f"""SwaggerUIBundle({{url: "{document_url}", dom_id: "#swagger-ui", deepLinking: true,
validatorUrl: null}});"""


def swagger_page(document_url: str, assets_url: str) -> bytes:
    """The Swagger UI page (Powertools' page and bundled assets; nothing is fetched from the internet)."""
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Pushgate API</title>
<link rel="stylesheet" href="{assets_url}/swagger-ui.min.css"></head>
<body><div id="swagger-ui"></div>
<script src="{assets_url}/swagger-ui-bundle.min.js"></script>
<script>{_init_script(document_url)}</script></body></html>
"""
    return page.encode()


def swagger_policy(document_url: str) -> str:
    """The page's ``Content-Security-Policy``: the console's, with the one inline script allowed by its hash.

    Nothing but the bundled files and that script runs, requests go to this origin only (the
    document and "Try it out"), and no other site may frame the page to trick a click on it.
    """
    digest = base64.b64encode(hashlib.sha256(_init_script(document_url).encode()).digest()).decode()
    return (
        f"default-src 'self'; script-src 'self' 'sha256-{digest}'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def swagger_asset(name: str) -> tuple[bytes, str] | None:
    """One of Swagger UI's bundled files, with its content type, or ``None``."""
    if name not in _SWAGGER_ASSETS:
        return None
    spec = importlib.util.find_spec("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    if spec is None or spec.origin is None:
        return None
    return (Path(spec.origin).parent / name).read_bytes(), _SWAGGER_ASSETS[name]


def main() -> int:
    """Prints the merged document."""
    template = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "template.yaml"
    json.dump(build_document(template), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
