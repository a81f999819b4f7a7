"""One cold start of a function module, in a fresh process (W3).

Usage: ``python -m bench.drivers.cold_function functions/<name>`` with the function's directory.
Measures the import of ``app.py`` (module init: Powertools, the resolver and its routes) and the
first invocation through ``lambda_handler`` of a route no function serves, which the resolver
answers with 404 without touching any service. A function without an HTTP resolver (an SQS
consumer) is only imported: its cheapest event would still reach its services. Prints one JSON line.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import time
import uuid
from contextlib import redirect_stdout

from pushgate_local.invoker import LocalLambdaContext

PROBE_PATH = "/bench/cold-start-probe"


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
    started = time.perf_counter()
    sys.path.insert(0, os.path.abspath(argv[0]))
    module = importlib.import_module("app")
    imported = time.perf_counter()
    context = LocalLambdaContext(
        function_name="bench",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:us-east-1:000000000000:function:bench",
        aws_request_id=str(uuid.uuid4()),
        deadline_epoch_ms=int(time.time() * 1000) + 10_000,
    )
    result: dict[str, object] = {"import_ms": (imported - started) * 1000, "first_invoke_ms": None}
    if hasattr(getattr(module, "app", None), "resolve"):
        # Powertools logs and metrics go to stdout; keep them out of the result line.
        with redirect_stdout(io.StringIO()):
            response = module.lambda_handler(probe_event(), context)
        result |= {"first_invoke_ms": (time.perf_counter() - imported) * 1000, "status": response.get("statusCode")}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
