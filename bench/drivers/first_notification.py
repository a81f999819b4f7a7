"""Process start to the first notification accepted, through ``deliver_push``, as Lambda runs it (W3).

Usage: ``python -I -S -B bench/drivers/first_notification.py '<json config>'`` with ``handler_dir``,
``layer_dir`` (see ``cold_function``), ``event`` (an SQS event of one delivery job) and
``spawned_at`` (the parent's epoch seconds just before it started this process). The function's
environment (table, queues, AWS endpoints, the simulator) comes from the parent. Covers interpreter
start, the import of ``app.py`` and its init, the first SQS record: reading the job, the app and its
credentials (DynamoDB, Secrets Manager), building the APNs client, the TLS handshake, the ES256
signature and the HTTP/2 round trip, then the ledger and checkpoint writes until the handler
returns. The simulator's own record says when it accepted the notification. Prints one JSON line.
"""

import io
import json
import sys
import time
import uuid
from contextlib import redirect_stdout


class LambdaContext:
    """The parts of the Lambda context object handlers and Powertools read."""

    function_name = "bench-deliver-push"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench-deliver-push"
    log_group_name = ""
    log_stream_name = "bench"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.time() + 60

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (notional) timeout."""
        return max(0, int((self._deadline - time.time()) * 1000))


def main(argv: list[str]) -> int:
    """Imports ``deliver_push``, hands it the job and prints the timings in ms."""
    config = json.loads(argv[0])
    started = time.perf_counter()
    sys.path[:0] = [config["handler_dir"], config["layer_dir"]]
    import app  # noqa: PLC0415 - the import is what is timed

    imported = time.perf_counter()
    with redirect_stdout(io.StringIO()):
        response = app.lambda_handler(config["event"], LambdaContext())
    handled_at = time.time()
    handled = time.perf_counter()
    if response.get("batchItemFailures"):
        raise SystemExit(f"the delivery job failed: {response}")
    result = {
        "import_ms": (imported - started) * 1000,
        "first_record_ms": (handled - imported) * 1000,
        "process_to_handled_ms": (handled_at - config["spawned_at"]) * 1000,
        # The process's CPU time from its start (interpreter included) to the handler's return.
        "process_cpu_ms": time.process_time() * 1000,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
