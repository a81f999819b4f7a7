"""One cold start of a function module, in a fresh process, as Lambda loads it (W3).

Usage: ``python -I -S -B bench/drivers/cold_function.py '<json config>'`` with ``handler_dir`` (the
function's built code) and ``layer_dir`` (the built layer's ``python/``). ``-I -S`` leave only the
standard library on ``sys.path``, so this file imports nothing of the project or its virtualenv:
the function sees its own directory and the layer, as in ``/var/task`` and ``/opt/python``.

Measures the import of ``app.py`` (module init: Powertools, the resolver and its routes) and the
first invocation through ``lambda_handler`` of a route no function serves, which the resolver
answers with 404 without touching any service. A function without an HTTP resolver (an SQS
consumer) is only imported: its cheapest event would still reach its services. Prints one JSON line.
"""

import io
import json
import sys
import time
import uuid
from contextlib import redirect_stdout

PROBE_PATH = "/bench/cold-start-probe"


class LambdaContext:
    """The parts of the Lambda context object handlers and Powertools read."""

    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    log_group_name = ""
    log_stream_name = "bench"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.time() + 30

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (notional) timeout."""
        return max(0, int((self._deadline - time.time()) * 1000))


def probe_event() -> dict[str, object]:
    """An API Gateway HTTP API (v2) event for a path no route matches."""
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": PROBE_PATH,
        "rawQueryString": "",
        "headers": {"host": "localhost", "user-agent": "pushgate-bench"},
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": "GET",
                "path": PROBE_PATH,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pushgate-bench",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }


def main(argv: list[str]) -> int:
    """Imports the module, invokes it once and prints the timings in ms."""
    config = json.loads(argv[0])
    started, started_cpu = time.perf_counter(), time.process_time()
    sys.path[:0] = [config["handler_dir"], config["layer_dir"]]
    # The import statement, not importlib.import_module: only it is timed by ``-X importtime``.
    import app as module  # noqa: PLC0415

    imported, imported_cpu = time.perf_counter(), time.process_time()
    result: dict[str, object] = {
        "import_ms": (imported - started) * 1000,
        # CPU time, for a machine other work shares: the wall time includes waiting for a core.
        "import_cpu_ms": (imported_cpu - started_cpu) * 1000,
        "first_invoke_ms": None,
    }
    if hasattr(getattr(module, "app", None), "resolve"):
        # Powertools logs and metrics go to stdout; keep them out of the result line.
        with redirect_stdout(io.StringIO()):
            response = module.lambda_handler(probe_event(), LambdaContext())
        result |= {"first_invoke_ms": (time.perf_counter() - imported) * 1000, "status": response.get("statusCode")}
    result["modules"] = sorted({name.partition(".")[0] for name in sys.modules})
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
