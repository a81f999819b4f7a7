"""W1: registration throughput, CPU, DynamoDB units and SQS requests through the ``register_device``
and ``verify_device`` handlers, new and repeated, CI-J v1 and v2.

Starts the local runtime (DynamoDB Local from ``pushgate_local.processes``, moto and the simulator,
on the real ``template.yaml``), creates an org, an iOS app and an ApiToken through the operator
API, then runs :mod:`bench.drivers.registration` with the functions' own environment.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any

from bench import environments
from bench.local_stack import admin_client, create_ios_app
from pushgate_local.processes import local_aws_environment
from pushgate_local.runtime import LocalRuntime, RuntimeConfig

FUNCTION = "RegisterDeviceFunction"
WORKER = "VerifyDeviceFunction"


def function_environment(runtime: LocalRuntime, logical_id: str = FUNCTION) -> dict[str, str]:
    """A function's environment as the template declares it, pointed at the local runtime's services."""
    spec = runtime.stack.function(logical_id)
    config = runtime.config
    resolver = runtime.resolver
    assert resolver is not None, "the runtime is not started"  # noqa: S101
    variables = {name: str(resolver.resolve(value)) for name, value in spec.environment.items()}
    simulator = runtime.simulator.provider_environment() if runtime.simulator else {}
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONWARNINGS": "ignore",
        **local_aws_environment(runtime.dynamodb_url, runtime.aws_url, config.region),
        **simulator,
        **variables,
    }


def _create_app(runtime: LocalRuntime) -> dict[str, str]:
    with admin_client(runtime) as admin:
        org_id, app_id = create_ios_app(admin, org_name="Bench org", app_name="Bench app")
        token = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/tokens", json={"Label": "bench"})
        token.raise_for_status()
    return {"org_id": org_id, "app_id": app_id, "api_token": token.json()["ApiToken"]}


def run_registration(state_dir: pathlib.Path, count: int, repetitions: int) -> dict[str, Any]:
    """Measures W1; returns the per-repetition figures (rates, ms and units per registration)."""
    config = RuntimeConfig(
        project_root=environments.PROJECT_ROOT,
        template_path=environments.PROJECT_ROOT / "template.yaml",
        state_dir=state_dir,
        poll_queues=False,
    )
    with LocalRuntime(config) as runtime:
        spec = runtime.stack.function(FUNCTION)
        worker = runtime.stack.function(WORKER)
        driver_config = _create_app(runtime) | {
            "code_uri": str(spec.code_uri),
            "worker_code_uri": str(worker.code_uri),
            "queue_url": runtime.resources.queue_urls["RegistrationQueue"],
            "queue_arn": runtime.resources.queue_arns["RegistrationQueue"],
            "memory_mb": spec.memory_size,
            "routes": [{"method": r.method, "path": r.path, "auth": r.auth} for r in spec.routes],
            "count": count,
            "repetitions": repetitions,
        }
        environment = function_environment(runtime, WORKER) | function_environment(runtime)
        result = subprocess.run(  # noqa: S603 - this package's driver
            [sys.executable, "-m", "bench.drivers.registration", json.dumps(driver_config)],
            capture_output=True, text=True, check=False, timeout=900,
            env=environment, cwd=environments.PROJECT_ROOT,
        )  # fmt: skip
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError((result.stderr.strip().splitlines() or ["no output"])[-1])
    figures: dict[str, Any] = json.loads(lines[-1])
    figures["memory_mb"] = spec.memory_size
    figures["worker_memory_mb"] = worker.memory_size
    return figures
