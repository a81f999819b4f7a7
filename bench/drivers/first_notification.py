"""Process start to the first notification the provider accepted, in a fresh process (W3).

Usage: ``python -m bench.drivers.first_notification '<json config>'`` (``provider_environment``,
``apns_key_pem``). The parent passes its clock in ``spawned_at`` (epoch seconds just before it
started this process); the result covers interpreter start, imports, client construction, the
TLS handshake, the ES256 signature and the HTTP/2 round trip. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    """Sends one notification and prints the timings in ms."""
    config = json.loads(argv[0])
    started = time.perf_counter()
    from bench.common import BUNDLE_ID, KEY_ID, MESSAGE, TEAM_ID, device_token  # noqa: PLC0415 - timed
    from pushgate.config import provider_settings  # noqa: PLC0415 - timed with the clients
    from pushgate.providers import (  # noqa: PLC0415 - the import is part of what is timed
        ApnsClient,
        ApnsTokenCredentials,
        PushRequest,
        Verdict,
    )

    imported = time.perf_counter()
    credentials = ApnsTokenCredentials(
        key_id=KEY_ID, team_id=TEAM_ID, signing_key_pem=config["apns_key_pem"], bundle_id=BUNDLE_ID
    )
    client = ApnsClient(credentials, settings=provider_settings(config["provider_environment"]))
    outcome = client.send(PushRequest(device_token=device_token(7), send_id="cold-start", message=MESSAGE))
    accepted_at = time.time()
    sent = time.perf_counter()
    if outcome.verdict is not Verdict.DELIVERED:
        raise SystemExit(f"the first notification was not accepted: {outcome}")
    result = {
        "process_to_accepted_ms": (accepted_at - config["spawned_at"]) * 1000,
        "import_ms": (imported - started) * 1000,
        "init_and_send_ms": (sent - imported) * 1000,
    }
    print(json.dumps(result), flush=True)
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
