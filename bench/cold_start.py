"""W3: cold starts of every function, and the first notification through ``deliver_push``, on the built layer.

What is measured is what Lambda loads, not the development virtualenv:

* the layer is built by the template's own recipe (``layers/pushgate/Makefile``, the target
  ``sam build`` runs for ``PushgateLayer``) for this machine's architecture, into a scratch folder;
  each function's code folder is copied next to it, as ``sam build`` copies a ``CodeUri``; the
  whole tree is then made read-only;
* each measurement is a fresh ``python -I -S -B`` process (the project's Python 3.13): no
  site-packages, no project folder, no bytecode written; the driver puts the function's folder and
  the layer's ``python/`` on ``sys.path`` (``/var/task`` and ``/opt/python`` in Lambda);
* tracing is off (``POWERTOOLS_TRACE_DISABLED``), as it is everywhere outside Lambda.

The first notification runs the local runtime (DynamoDB Local, moto, the provider simulator, the
real template) without queue polling: sends are accepted through the operator API, their delivery
jobs are taken off the delivery queue, and each fresh ``deliver_push`` process gets one as its SQS
event. The simulator's record of the notification says when it was accepted.

``baseline`` builds the same tree from an earlier commit (``git archive``) and measures it in the
same run, so before and after share the machine's load.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import httpx

from bench import environments
from bench.import_profile import summarize
from bench.local_stack import main_table, save_contact
from bench.registration import function_environment
from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.credentials.inputs import AppMode
from pushgate.models.device import Device, DevicePlatform
from pushgate_local.credentials import generate_apns_auth_key
from pushgate_local.events import sqs_event
from pushgate_local.runtime import LocalRuntime, RuntimeConfig

DRIVERS = environments.BENCH_DIR / "drivers"
#: The commit before the cold-start work: what "before" means in the report.
BASELINE_COMMIT = "ba56aa9"
DELIVER_FUNCTION = "DeliverPushFunction"
BUNDLE_ID = "com.example.coldstart"
#: Modules whose presence in a function's process the report shows (the issue's heavy imports).
WATCHED_MODULES = (
    "aws_xray_sdk",
    "boto3",
    "s3transfer",
    "pycurl",
    "httpx",
    "jwt",
    "cryptography",
    "phonenumbers",
)
#: What ``deliver_push`` imports from its libraries before its first notification is accepted:
#: botocore's clients, pydantic, Powertools' logger, metrics, tracer and batch processor, libcurl's
#: binding and cryptography's EC keys. Imported alone, they are the floor of the first notification.
LIBRARY_FLOOR_MODULES = (
    "botocore.session",
    "botocore.client",
    "pydantic",
    "aws_lambda_powertools",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.typing",
    "pycurl",
    "cryptography.hazmat.primitives.serialization",
    "cryptography.hazmat.primitives.asymmetric.ec",
)
#: The function whose import W3 also measures with tracing on (the template's default).
TRACED_FUNCTION = "deliver_push"
FUNCTION_ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "pushgate",
    "POWERTOOLS_METRICS_NAMESPACE": "Pushgate",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "TABLE_NAME": "pushgate-bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}


@dataclass(frozen=True)
class BuiltTree:
    """What ``sam build`` makes of the layer and the functions, for this machine.

    Attributes:
        label: ``current`` or the commit it was built from.
        layer: The layer's ``python/`` folder.
        functions: Each function's built code folder, by its folder name under ``functions/``.
    """

    label: str
    layer: pathlib.Path
    functions: dict[str, pathlib.Path]


def host_architecture() -> str:
    """``uname -m``: the architecture the layer is built for here (the template builds arm64)."""
    return os.uname().machine


def build_tree(
    destination: pathlib.Path, source: pathlib.Path = environments.PROJECT_ROOT, label: str = "current"
) -> BuiltTree:
    """Builds the layer with its Makefile for the host and copies the functions, then makes it all read-only."""
    layer_root = destination / "layer"
    subprocess.run(  # noqa: S603 - the project's own build recipe, as sam build runs it
        [  # noqa: S607 - make from PATH, as sam build finds it
            "make", "--no-print-directory", "-C", str(source / "layers" / "pushgate"), "build-PushgateLayer",
            f"ARTIFACTS_DIR={layer_root}", f"LAYER_ARCH={host_architecture()}", f"PYTHON={sys.executable}",
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    functions = {}
    for app in sorted((source / "functions").glob("*/app.py")):
        built = destination / "functions" / app.parent.name
        shutil.copytree(app.parent, built, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        functions[app.parent.name] = built
    for path in [destination, *destination.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o222)
    return BuiltTree(label, layer_root / "python", functions)


def baseline_source(commit: str, destination: pathlib.Path) -> pathlib.Path:
    """The functions and the layer sources of an earlier commit, unpacked from ``git archive``."""
    paths = ["functions", "layers/pushgate"]
    archive = subprocess.run(  # noqa: S603 - git of this repository
        ["git", "-C", str(environments.PROJECT_ROOT), "archive", "--format=tar", commit, *paths],  # noqa: S607
        check=True, capture_output=True,
    )  # fmt: skip
    archive_path = destination.with_suffix(".tar")
    archive_path.write_bytes(archive.stdout)
    destination.mkdir(parents=True)
    with tarfile.open(archive_path) as tar:
        tar.extractall(destination, filter="data")
    archive_path.unlink()
    return destination


def make_writable(root: pathlib.Path) -> None:
    """Gives the write bits back so the scratch tree can be removed."""
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)


@dataclass(frozen=True)
class _Pinning:
    cpu: int | None

    def __call__(self) -> None:
        if self.cpu is not None:
            os.sched_setaffinity(0, {self.cpu})


def _run_driver(
    driver: str, config: dict[str, Any], environment: dict[str, str], *, importtime: bool = False, cpu: int | None
) -> tuple[dict[str, Any], str]:
    flags = ["-X", "importtime"] if importtime else []
    command = [sys.executable, "-I", "-S", "-B", "-W", "ignore", *flags, str(DRIVERS / driver), json.dumps(config)]
    result = subprocess.run(  # noqa: S603 - this package's drivers
        command, capture_output=True, text=True, check=False, timeout=300, env=environment,
        cwd=pathlib.Path(config["handler_dir"]).parent, preexec_fn=_Pinning(cpu),
    )  # fmt: skip
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError((result.stderr.strip().splitlines() or ["no output"])[-1])
    parsed: dict[str, Any] = json.loads(lines[-1])
    return parsed, result.stderr


def _measure_once(tree: BuiltTree, name: str, cpu: int | None) -> dict[str, Any]:
    config = {"handler_dir": str(tree.functions[name]), "layer_dir": str(tree.layer)}
    started = time.perf_counter()
    result, _ = _run_driver("cold_function.py", config, FUNCTION_ENVIRONMENT, cpu=cpu)
    return result | {"process_ms": (time.perf_counter() - started) * 1000}


def _profile(tree: BuiltTree, name: str, runs: int, cpu: int | None) -> dict[str, dict[str, float]]:
    config = {"handler_dir": str(tree.functions[name]), "layer_dir": str(tree.layer)}
    reports = [
        _run_driver("cold_function.py", config, FUNCTION_ENVIRONMENT, importtime=True, cpu=cpu) for _ in range(runs)
    ]
    return summarize([stderr for _, stderr in reports])


def _measure_function(
    trees: list[BuiltTree], name: str, runs: dict[str, int], profiles: dict[str, int], cpu: int | None
) -> dict[str, dict[str, Any] | str]:
    """One function of every tree, the trees taking turns; each tree's figures, or why they are missing."""
    figures: dict[str, dict[str, Any]] = {
        tree.label: {"import_ms": [], "import_cpu_ms": [], "first_invoke_ms": [], "process_ms": []} for tree in trees
    }
    outcome: dict[str, dict[str, Any] | str] = {}
    last: dict[str, dict[str, Any]] = {}
    for turn in range(max(runs.values())):
        for tree in (tree for tree in trees if turn < runs[tree.label] and tree.label not in outcome):
            try:
                last[tree.label] = result = _measure_once(tree, name, cpu)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                outcome[tree.label] = str(error)[:300]
                continue
            for figure in ("import_ms", "import_cpu_ms", "process_ms"):
                figures[tree.label][figure].append(result[figure])
            if result["first_invoke_ms"] is not None:
                figures[tree.label]["first_invoke_ms"].append(result["first_invoke_ms"])
    for tree in (tree for tree in trees if tree.label not in outcome):
        figures[tree.label]["watched_modules"] = [m for m in WATCHED_MODULES if m in last[tree.label]["modules"]]
        try:
            figures[tree.label]["profile"] = _profile(tree, name, profiles[tree.label], cpu)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            outcome[tree.label] = str(error)[:300]
            continue
        outcome[tree.label] = figures[tree.label]
    return outcome


def measure_functions(
    trees: list[BuiltTree],
    runs: dict[str, int],
    profiles: dict[str, int],
    advance: Callable[[str], None],
    cpu: int | None = None,
) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """Every function of every tree imported (and invoked, for HTTP functions) in fresh processes.

    The trees take turns, one process each, so a change in the machine's load affects them alike.
    Returns each tree's figures and failures by function.
    """
    measured: dict[str, tuple[dict[str, Any], dict[str, str]]] = {tree.label: ({}, {}) for tree in trees}
    for name in trees[0].functions:
        present = [tree for tree in trees if name in tree.functions]
        for label, outcome in _measure_function(present, name, runs, profiles, cpu).items():
            if isinstance(outcome, str):
                measured[label][1][name] = outcome
            else:
                measured[label][0][name] = outcome
        advance(f"W3 functions/{name}")
    return measured


@dataclass(frozen=True)
class _DeliverySetup:
    runtime: LocalRuntime
    org_id: str
    app_id: str
    message_id: str
    user_id: str
    token: str


def _set_up_delivery(runtime: LocalRuntime, admin: httpx.Client) -> _DeliverySetup:
    """An org, an iOS app (token auth), one directory person with one Active device, an active message."""
    org = admin.post("/admin/v1/orgs", json={"Name": "Cold start org"})
    org.raise_for_status()
    org_id = org.json()["OrgId"]
    key = generate_apns_auth_key()
    ios = {
        "AuthMode": "Token",
        "AppMode": "Production",
        "BundleId": BUNDLE_ID,
        "TeamId": key.team_id,
        "KeyId": key.key_id,
        "SigningKey": key.private_key_pem,
    }
    created = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps", json={"Name": "Cold start app", "Ios": ios})
    created.raise_for_status()
    app_id = created.json()["MobileAppId"]
    now = datetime.datetime.now(datetime.UTC)
    user_id = "cold-start-user"
    token = hashlib.sha256(app_id.encode()).hexdigest()
    table = main_table(runtime)
    save_contact(DynamoPersonRepository(table), org_id=org_id, person_id=user_id, at=now)
    DynamoDeviceRepository(table).save(
        Device(
            org_id=org_id,
            app_id=app_id,
            user_id=user_id,
            platform=DevicePlatform.IOS,
            token=token,
            token_sha256=hashlib.sha256(token.encode()).hexdigest(),
            app_mode=AppMode.PRODUCTION,
            registered_at=now,
            last_registered_at=now,
            status_changed_at=now,
        ),
        expected_owner=None,
    )
    message = admin.post(
        f"/admin/v1/orgs/{org_id}/pushmessages",
        json={"Name": "Cold start", "Title": "Hi {{contact.firstname}}", "Body": "Your order is on its way"},
    )
    message.raise_for_status()
    message_id = message.json()["MessageId"]
    admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate").raise_for_status()
    return _DeliverySetup(runtime, org_id, app_id, message_id, user_id, token)


def _delivery_events(setup: _DeliverySetup, admin: httpx.Client, count: int) -> list[dict[str, Any]]:
    """``count`` accepted sends of one notification each, their jobs taken off the delivery queue as SQS events."""
    for _ in range(count):
        body = {"MobileAppId": setup.app_id, "MessageId": setup.message_id, "Recipients": [{"UserId": setup.user_id}]}
        admin.post(f"/admin/v1/orgs/{setup.org_id}/sends", json=body).raise_for_status()
    runtime = setup.runtime
    sqs = boto3.client(
        "sqs",
        endpoint_url=runtime.aws_url,
        region_name=runtime.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto accepts any credentials
    )
    queue_url = runtime.resources.queue_urls["DeliveryQueue"]
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while len(messages) < count and time.monotonic() < deadline:
        received = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        )
        messages += received.get("Messages") or []
    if len(messages) < count:
        raise RuntimeError(f"{len(messages)} of {count} delivery jobs reached the delivery queue")
    queue_arn = runtime.resources.queue_arns["DeliveryQueue"]
    return [sqs_event([message], queue_arn, runtime.config.region) for message in messages]


def _accepted_at(received_at: str) -> float:
    return datetime.datetime.fromisoformat(received_at.replace("Z", "+00:00")).timestamp()


def _first_notification(
    setup: _DeliverySetup, tree: BuiltTree, event: dict[str, Any], environment: dict[str, str], cpu: int | None
) -> tuple[dict[str, Any], float]:
    """One fresh ``deliver_push`` process and its job; its figures and ms from spawn to the simulator's accept."""
    simulator = setup.runtime.simulator
    if simulator is None:
        raise RuntimeError("the local runtime started without the provider simulator")
    before = len(simulator.notifications(token=setup.token))
    driver_config = {
        "handler_dir": str(tree.functions["deliver_push"]),
        "layer_dir": str(tree.layer),
        "event": event,
        "spawned_at": time.time(),
    }
    result, _ = _run_driver("first_notification.py", driver_config, environment, cpu=cpu)
    received = simulator.notifications(token=setup.token)
    if len(received) != before + 1:
        raise RuntimeError(f"the simulator received {len(received) - before} notifications, not 1")
    accepted = _accepted_at(received[-1]["received_at"])
    return result, (accepted - driver_config["spawned_at"]) * 1000


def measure_first_notifications(
    trees: list[BuiltTree],
    processes: dict[str, int],
    workdir: pathlib.Path,
    advance: Callable[[str], None],
    cpu: int | None,
) -> tuple[dict[str, dict[str, list[float]]], dict[str, str]]:
    """Per tree: fresh ``deliver_push`` processes, each handed one delivery job of one notification."""
    config = RuntimeConfig(
        project_root=environments.PROJECT_ROOT,
        template_path=environments.PROJECT_ROOT / "template.yaml",
        state_dir=workdir / "runtime",
        poll_queues=False,
    )
    results: dict[str, dict[str, list[float]]] = {}
    failures: dict[str, str] = {}
    with LocalRuntime(config) as runtime:
        simulator = runtime.simulator
        if simulator is None:
            raise RuntimeError("the local runtime started without the provider simulator")
        simulator.configure(latency_ms=0)
        headers = {"Authorization": f"Bearer {runtime.config.admin_key}"}
        environment = function_environment(runtime, DELIVER_FUNCTION) | {"POWERTOOLS_LOG_LEVEL": "WARNING"}
        environment.pop("PYTHONWARNINGS", None)
        with httpx.Client(base_url=runtime.api_url, headers=headers, timeout=60) as admin:
            setup = _set_up_delivery(runtime, admin)

            events = {tree.label: _delivery_events(setup, admin, processes[tree.label]) for tree in trees}
            figures = {
                tree.label: {
                    "process_to_accepted_ms": [], "process_to_handled_ms": [], "import_ms": [], "first_record_ms": [],
                    "process_cpu_ms": [],
                }
                for tree in trees
            }  # fmt: skip
            for turn in range(max(processes.values())):
                for tree in trees:
                    if turn >= processes[tree.label] or tree.label in failures:
                        continue
                    try:
                        result, accepted_ms = _first_notification(
                            setup, tree, events[tree.label][turn], environment, cpu
                        )
                    except (RuntimeError, subprocess.TimeoutExpired) as error:
                        failures[tree.label] = str(error)[:300]
                        continue
                    figures[tree.label]["process_to_accepted_ms"].append(accepted_ms)
                    for name in ("process_to_handled_ms", "import_ms", "first_record_ms", "process_cpu_ms"):
                        figures[tree.label][name].append(result[name])
            results = {label: values for label, values in figures.items() if label not in failures}
            advance("W3 first notification")
    return results, failures


def measure_library_floor(tree: BuiltTree, processes: int, cpu: int | None) -> dict[str, list[float]]:
    """``LIBRARY_FLOOR_MODULES`` imported from the built layer in fresh processes, with interpreter start."""
    figures: dict[str, list[float]] = {"import_ms": [], "import_cpu_ms": [], "process_to_imported_ms": []}
    # The driver runs from beside the layer (``handler_dir`` only sets its working folder).
    config = {"layer_dir": str(tree.layer), "handler_dir": str(tree.layer), "modules": list(LIBRARY_FLOOR_MODULES)}
    for _ in range(processes):
        result, _ = _run_driver("library_floor.py", config | {"spawned_at": time.time()}, FUNCTION_ENVIRONMENT, cpu=cpu)
        for name, values in figures.items():
            values.append(result[name])
    return figures


def measure_traced_import(tree: BuiltTree, name: str, processes: int, cpu: int | None) -> dict[str, list[float]]:
    """A function's import + init with the template's default ``Tracing: Active``, as Lambda runs it.

    ``LAMBDA_TASK_ROOT`` set and ``POWERTOOLS_TRACE_DISABLED`` absent make Powertools' Tracer the
    X-Ray SDK's, which patches botocore, httpx and http.client at init; no segment is sent (nothing
    is invoked).
    """
    environment = {key: value for key, value in FUNCTION_ENVIRONMENT.items() if key != "POWERTOOLS_TRACE_DISABLED"}
    environment |= {"LAMBDA_TASK_ROOT": str(tree.functions[name]), "PUSHGATE_TRACING": "Active"}
    # An SQS consumer, so the driver only imports it (an HTTP function would be invoked, with segments).
    config = {"handler_dir": str(tree.functions[name]), "layer_dir": str(tree.layer)}
    figures: dict[str, list[float]] = {"import_ms": [], "import_cpu_ms": []}
    for _ in range(processes):
        result, _ = _run_driver("cold_function.py", config, environment, cpu=cpu)
        if "aws_xray_sdk" not in result.get("modules", []):
            raise RuntimeError(f"{name} did not load the X-Ray SDK with tracing on")
        for key, values in figures.items():
            values.append(result[key])
    return figures


def cold_start_steps(functions: int, *, baseline: bool) -> int:
    """How many times :func:`run_cold_starts` advances the progress bar (``baseline`` costs no step)."""
    return functions + 2


def run_cold_starts(
    processes: int,
    advance: Callable[[str], None],
    *,
    baseline: str | None = BASELINE_COMMIT,
    profiles: int = 5,
    cpu: int | None = None,
) -> dict[str, Any]:
    """W3 for the current tree and, when ``baseline`` names a commit, for that commit's tree too.

    Args:
        processes: Fresh processes per function and for the first notification (a quarter, at least 3,
            for the baseline).
        advance: Moves the progress bar.
        baseline: The commit measured as "before", or ``None``.
        profiles: ``-X importtime`` runs per function, summarised by their medians.
        cpu: A core to pin every measured process to; by default they run where the scheduler puts them.
    """
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="pushgate-cold-start-"))
    try:
        trees = [build_tree(workdir / "current")]
        if baseline:
            source = baseline_source(baseline, workdir / "baseline-source")
            trees.append(build_tree(workdir / "baseline", source=source, label=baseline))
        advance("W3 layer built")
        runs = {tree.label: processes if tree.label == "current" else max(3, processes // 4) for tree in trees}
        tree_profiles = {tree.label: profiles if tree.label == "current" else 3 for tree in trees}
        load_before = os.getloadavg()
        measured = measure_functions(trees, runs, tree_profiles, advance, cpu)
        first, first_failures = measure_first_notifications(trees, runs, workdir, advance, cpu)
        library_floor = measure_library_floor(trees[0], runs["current"], cpu)
        traced = measure_traced_import(trees[0], TRACED_FUNCTION, runs["current"], cpu)
        load_after = os.getloadavg()
    finally:
        make_writable(workdir)
        shutil.rmtree(workdir, ignore_errors=True)
    current_functions, current_failures = measured["current"]
    return {
        "processes": processes,
        "load_average": {"before": load_before[0], "after": load_after[0], "cores": os.cpu_count()},
        "architecture": host_architecture(),
        "python": sys.version.split()[0],
        "functions": current_functions,
        "failures": current_failures | {f"first notification ({k})": v for k, v in first_failures.items()},
        "first_notification": first.get("current"),
        "first_notification_latency_ms": 0,
        "library_floor": library_floor | {"modules": list(LIBRARY_FLOOR_MODULES)},
        "traced_import": traced | {"function": TRACED_FUNCTION},
        "baseline": (
            {
                "commit": baseline,
                "processes": runs[baseline],
                "functions": measured[baseline][0],
                "failures": measured[baseline][1],
                "first_notification": first.get(baseline),
            }
            if baseline
            else None
        ),
    }
