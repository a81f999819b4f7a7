"""What a function's cold start loads, and which modules the use cases may import.

Each function is imported in one fresh interpreter (with tracing off, as outside Lambda) and, for an
HTTP function, handed a request no route serves; the modules each one brought in are then read from
``sys.modules``. Nothing here is timed (``make bench`` measures the cold starts): the test guards
what is imported, which is what the timings depend on.

Also the one layer rule a ruff prefix ban cannot state: adapters import ports of ``pushgate.services``,
never a use case.

The layer rules of ``services/ruff.toml`` are checked by asking ruff about a module placed in
``services/``: every provider module but the port must be refused, the port accepted.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = PROJECT_ROOT / "layers" / "pushgate" / "src" / "pushgate"
FUNCTIONS = sorted(path.parent.name for path in (PROJECT_ROOT / "functions").glob("*/app.py"))
LAYER_PACKAGE = PACKAGE
#: Every module of ``pushgate.providers`` but the port: no use case may import one.
CONCRETE_PROVIDER_MODULES = sorted(
    f"pushgate.providers.{path.stem}"
    for path in (LAYER_PACKAGE / "providers").glob("*.py")
    if path.stem not in {"__init__", "ports"}
)
#: Never loaded by a function's import or its first request: X-Ray's SDK (tracing is off), boto3 and
#: s3transfer (clients come from botocore), and the provider clients with what only they need
#: (loaded where a delivery, a verification, a credential check or a test send happens).
FORBIDDEN = (
    "aws_xray_sdk",
    "boto3",
    "s3transfer",
    "pushgate.providers.apns",
    "pushgate.providers.fcm",
    "pushgate.providers.transport",
    "pushgate.providers.clients",
    "pushgate.credentials.validation",
    "pycurl",
    "httpx",
    "jwt",
    "cryptography",
)

_PROBE = """
import importlib, io, json, sys
from contextlib import redirect_stdout
from bench.drivers.cold_function import LambdaContext, probe_event

forbidden, found = json.loads(sys.argv[1]), {}
for name, folder in json.loads(sys.argv[2]).items():
    sys.path.insert(0, folder)
    module = importlib.import_module("app")
    if hasattr(getattr(module, "app", None), "resolve"):
        with redirect_stdout(io.StringIO()):
            module.lambda_handler(probe_event(), LambdaContext())
    found[name] = [m for m in forbidden if m in sys.modules]
    sys.path.remove(folder)
    del sys.modules["app"]
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def loaded_by_function() -> dict[str, Any]:
    """Forbidden modules present after each function (in turn, in one interpreter) was imported."""
    folders = {name: str(PROJECT_ROOT / "functions" / name) for name in FUNCTIONS}
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("AWS_LAMBDA", "LAMBDA_TASK_ROOT"))
    }
    environment |= {"POWERTOOLS_TRACE_DISABLED": "true", "TABLE_NAME": "boundaries", "POWERTOOLS_LOG_LEVEL": "ERROR"}
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-W", "ignore", "-c", _PROBE, json.dumps(FORBIDDEN), json.dumps(folders)],
        capture_output=True, text=True, check=True, env=environment, cwd=PROJECT_ROOT, timeout=120,
    )  # fmt: skip
    found: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_cold_start_loads_none_of_the_heavy_modules(function: str, loaded_by_function: dict[str, Any]) -> None:
    # A module a function loads stays loaded for the next ones: the first function to load it is named.
    assert loaded_by_function[function] == []


def _tracer_in_lambda(extra: dict[str, str]) -> tuple[str, bool, bool]:
    """The tracer's provider module, ``disabled`` and whether X-Ray's SDK loaded, in a Lambda-like process."""
    script = (
        "import json, sys\n"
        "from pushgate.observability import tracer\n"
        "print(json.dumps([type(tracer.provider).__module__, tracer.disabled, 'aws_xray_sdk.core' in sys.modules]))"
    )
    environment = {key: value for key, value in os.environ.items() if key != "POWERTOOLS_TRACE_DISABLED"}
    environment |= {"LAMBDA_TASK_ROOT": str(PROJECT_ROOT / "functions" / "health"), "AWS_XRAY_SDK_ENABLED": "false"}
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-W", "ignore", "-c", script],
        capture_output=True, text=True, check=True, env=environment | extra, cwd=PROJECT_ROOT, timeout=60,
    )  # fmt: skip
    provider_module, disabled, xray_loaded = json.loads(result.stdout.strip().splitlines()[-1])
    return provider_module, disabled, xray_loaded


def test_with_tracing_on_in_lambda_the_tracer_uses_the_x_ray_sdk() -> None:
    provider_module, disabled, xray_loaded = _tracer_in_lambda({"PUSHGATE_TRACING": "Active"})
    assert provider_module.startswith("aws_xray_sdk")
    assert disabled is False
    assert xray_loaded is True


def test_with_the_templates_tracing_set_to_pass_through_x_ray_is_never_imported() -> None:
    provider_module, _, xray_loaded = _tracer_in_lambda({"PUSHGATE_TRACING": "PassThrough"})
    assert not provider_module.startswith("aws_xray_sdk")
    assert xray_loaded is False


def _services_imported_by(path: Path) -> list[str]:
    """Every ``pushgate.services`` module a file imports, as written (``from a import b`` gives ``a.b``)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] if node.module.endswith("ports") else [f"{node.module}.{a.name}" for a in node.names]
    return [name for name in names if name == "pushgate.services" or name.startswith("pushgate.services.")]


def test_adapters_import_only_ports_of_the_services() -> None:
    # Given every adapter module
    adapters = sorted((PACKAGE / "adapters").rglob("*.py"))
    assert adapters
    # Then each import of pushgate.services names a ports module (services/ports.py or <capability>/ports.py)
    services_imports = {
        str(path.relative_to(PACKAGE)): [name for name in imported if not name.endswith(".ports")]
        for path in adapters
        if (imported := _services_imported_by(path))
    }
    assert {path: names for path, names in services_imports.items() if names} == {}
    # And the rule sees ports imports at all (the adapters of sends and token cleanup use theirs)
    assert "adapters/dynamodb/sends.py" in services_imports
    assert "adapters/dynamodb/token_cleanup.py" in services_imports


def test_the_import_check_flags_a_use_case(tmp_path: Path) -> None:
    # Given an adapter that imports a use case beside a port
    module = tmp_path / "adapter.py"
    module.write_text(
        "from pushgate.services.sends.ports import ClaimState\n"
        "from pushgate.services.sends import send_fanout\n"
        "import pushgate.services.apps.orgs\n"
    )
    # Then the check names both use cases and lets the port pass
    names = _services_imported_by(module)
    assert [name for name in names if not name.endswith(".ports")] == [
        "pushgate.services.sends.send_fanout",
        "pushgate.services.apps.orgs",
    ]


def _banned_imports_in_a_service(source: str) -> list[str]:
    """The banned-import findings ruff reports for ``source`` as a module of ``services/``."""
    result = subprocess.run(  # noqa: S603 - this interpreter's ruff, fixed arguments
        [
            sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "TID251", "--output-format", "json",
            "--stdin-filename", str(LAYER_PACKAGE / "services" / "sends" / "boundary_probe.py"), "-",
        ],
        input=source, capture_output=True, text=True, check=False, cwd=PROJECT_ROOT, timeout=60,
    )  # fmt: skip
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return [finding["message"] for finding in findings]


@pytest.mark.parametrize("module", CONCRETE_PROVIDER_MODULES)
def test_lint_refuses_a_service_that_imports_a_concrete_provider_module(module: str) -> None:
    name = module.rpartition(".")[2]
    for statement in (f"import {module}\n", f"from pushgate.providers import {name}\n"):
        findings = _banned_imports_in_a_service(statement)

        assert len(findings) == 1, statement
        assert f"`{module}` is banned" in findings[0]


def test_lint_lets_a_service_import_the_provider_port() -> None:
    source = "from pushgate.providers.ports import Pacer, ProviderClients, ProviderNotConfiguredError\n"

    assert _banned_imports_in_a_service(source) == []


def test_no_module_of_the_layer_package_hands_out_names_through_a_module_getattr() -> None:
    # A module-level __getattr__ (names loaded with importlib on first use) hides imports from lint
    # and readers: each name is imported from the module that defines it.
    faces = [
        str(path.relative_to(LAYER_PACKAGE))
        for path in sorted(LAYER_PACKAGE.rglob("*.py"))
        if any(
            isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
            for node in ast.parse(path.read_text(encoding="utf-8")).body
        )
    ]

    assert faces == []
