"""Runs Pushgate's APNs or FCM sender in a process of its own and prints its measurements.

Usage (from the project's environment): ``python -m bench.drivers.pushgate '<json config>'`` with
``client`` (``pushgate-apns`` or ``pushgate-fcm``), ``provider_environment``, ``apns_key_pem``,
``service_account``, ``in_flight``, ``count`` and ``repetitions``.
"""

from __future__ import annotations

import json
import sys

from bench.clients import cell_to_json, run_pushgate_apns, run_pushgate_fcm
from bench.common import peak_rss_mb


def main(argv: list[str]) -> int:
    """Measures the configured client and prints the cell as the last stdout line."""
    config = json.loads(argv[0])
    arguments = (config["in_flight"], config["count"], config["repetitions"])
    if config["client"] == "pushgate-apns":
        cell = run_pushgate_apns(config["provider_environment"], config["apns_key_pem"], *arguments)
    elif config["client"] == "pushgate-fcm":
        cell = run_pushgate_fcm(config["provider_environment"], config["service_account"], *arguments)
    else:
        raise SystemExit(f"unknown client {config['client']!r}")
    cell.max_rss_mb = peak_rss_mb()
    print(cell_to_json(cell), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
