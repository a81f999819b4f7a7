"""What each fork of ``pushgate.runtime`` saves: the library's way against the fork's, in fresh processes.

``python -m bench.forks [--runs N]`` runs, for each module of ``pushgate/runtime/``, the step it
stands in for both ways, each in a fresh interpreter of this virtualenv, with its bytecode compiled
beforehand (into a scratch ``PYTHONPYCACHEPREFIX``, by one untimed run of each way), as pip compiles
it into the built layer. What a function has loaded anyway by then
(botocore, Powertools' Logger and Tracer, the layer package) is imported first and not timed; the
step alone is timed with ``time.perf_counter``. The two ways alternate, and the medians are printed
as a Markdown table (milliseconds). The modules' docstrings quote one run of it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass

#: Prints the milliseconds ``timed`` took after ``setup`` ran, in this fresh interpreter.
_HARNESS = """
import time
{setup}
started = time.perf_counter()
{timed}
print((time.perf_counter() - started) * 1000)
"""


@dataclass(frozen=True)
class Way:
    """One way of doing a fork's step: what is loaded before (untimed) and the step (timed)."""

    setup: str
    timed: str


@dataclass(frozen=True)
class Fork:
    """A module of ``pushgate.runtime``, the library step it replaces and its own."""

    module: str
    step: str
    library: Way
    fork: Way


#: An answer of a send's device read: ten device items of 14 attributes, a ``NextToken`` and units.
_DEVICE_PAGE = """
import json, botocore.parsers, botocore.session
item = {"pk": {"S": "DEVICES#" + "o" * 36 + "#" + "a" * 36 + "#" + "u" * 36}, "sk": {"S": "ios#" + "h" * 64},
    "token": {"S": "t" * 64}, "status": {"S": "Active"}, "app_mode": {"S": "Production"}, "user_id": {"S": "u" * 36},
    "person_type": {"S": "contact"}, "pushconsent": {"BOOL": True}, "trackingconsent": {"BOOL": True},
    "timezone": {"S": "Europe/Paris"}, "locale": {"S": "fr-FR"}, "person_revision": {"N": "3"},
    "token_sha256": {"S": "h" * 64}, "last_registered_at": {"S": "2026-12-01T00:00:00Z"}}
body = json.dumps({"Items": [item] * 10, "NextToken": "n" * 200,
    "ConsumedCapacity": {"TableName": "main", "CapacityUnits": 5.0}}).encode()
model = botocore.session.get_session().get_service_model("dynamodb").operation_model("ExecuteStatement")
parser = botocore.parsers.create_parser("json")
"""

FORKS = (
    Fork(
        module="service_models (+ aws-endpoints.json)",
        step="first DynamoDB client of a session",
        library=Way(
            setup="import botocore.session\nsession = botocore.session.get_session()",
            timed="session.create_client('dynamodb', region_name='eu-west-1')",
        ),
        fork=Way(
            setup=(
                "import botocore.session\n"
                "from pushgate.runtime.service_models import pushgate_services_loader\n"
                "session = botocore.session.get_session()\n"
                "session.register_component('data_loader', pushgate_services_loader(None))"
            ),
            timed="session.create_client('dynamodb', region_name='eu-west-1')",
        ),
    ),
    Fork(
        module="attribute_values",
        step="import the item converters (botocore loaded)",
        library=Way(setup="import botocore.session", timed="from boto3.dynamodb.types import TypeSerializer"),
        fork=Way(setup="import botocore.session", timed="from pushgate.runtime.attribute_values import serialize"),
    ),
    Fork(
        module="secrets_cache",
        step="import the secrets reader (botocore, Powertools' Logger loaded)",
        library=Way(
            setup="import botocore.session\nfrom aws_lambda_powertools import Logger",
            timed="from aws_lambda_powertools.utilities.parameters import SecretsProvider",
        ),
        fork=Way(
            setup="import botocore.session\nfrom aws_lambda_powertools import Logger",
            timed="from pushgate.runtime.secrets_cache import SecretsCache",
        ),
    ),
    Fork(
        module="tracing",
        step="a Tracer with tracing off (Tracer class loaded)",
        library=Way(
            setup="import botocore.session\nfrom aws_lambda_powertools import Tracer", timed="Tracer(disabled=True)"
        ),
        fork=Way(
            setup=(
                "import botocore.session\nfrom aws_lambda_powertools import Tracer\n"
                "from pushgate.runtime.tracing import build_tracer"
            ),
            timed="build_tracer(enabled=False)",
        ),
    ),
    Fork(
        module="dynamodb_items",
        step="parse 100 answers of 10 device items (botocore loaded)",
        library=Way(
            setup=_DEVICE_PAGE,
            timed=(
                "for _ in range(100):\n"
                "    parser.parse({'body': body, 'headers': {}, 'status_code': 200}, model.output_shape)"
            ),
        ),
        fork=Way(
            setup=_DEVICE_PAGE + "from pushgate.runtime.dynamodb_items import take_items",
            timed=(
                "for _ in range(100):\n"
                "    answer, customized = {'body': body, 'headers': {}, 'status_code': 200}, {}\n"
                "    take_items(operation_model=model, response_dict=answer, customized_response_dict=customized)\n"
                "    parser.parse(answer, model.output_shape).update(customized)"
            ),
        ),
    ),
)


def measure(way: Way, pycache: str) -> float:
    """Milliseconds of ``way``'s step in one fresh interpreter (bytecode cached under ``pycache``)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_LAMBDA", "LAMBDA_")) and key != "PYTHONDONTWRITEBYTECODE"
    }
    environment |= {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "PYTHONPYCACHEPREFIX": pycache,
    }
    script = _HARNESS.format(setup=way.setup, timed=way.timed)
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-W", "ignore", "-c", script],
        capture_output=True, text=True, check=True, env=environment, timeout=60,
    )  # fmt: skip
    return float(result.stdout.strip().splitlines()[-1])


def _measure_fork(fork: Fork, runs: int, pycache: str) -> None:
    """Prints the table row of one fork: both ways' medians and the difference."""
    for way in (fork.library, fork.fork):
        measure(way, pycache)  # untimed: compiles what the way imports, as the layer ships it compiled
    library: list[float] = []
    ours: list[float] = []
    for _ in range(runs):
        library.append(measure(fork.library, pycache))
        ours.append(measure(fork.fork, pycache))
    lib_ms, fork_ms = statistics.median(library), statistics.median(ours)
    print(f"| {fork.module} | {fork.step} | {lib_ms:.1f} | {fork_ms:.1f} | {lib_ms - fork_ms:.1f} |", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Measures every fork and prints the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.forks", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per way (default 15)")
    args = parser.parse_args(argv)
    print(f"median of {args.runs} fresh processes per way, milliseconds\n")
    print("| runtime module | step | library | fork | saved |")
    print("| --- | --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="pushgate-forks-pycache-") as pycache:
        for fork in FORKS:
            _measure_fork(fork, args.runs, pycache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
