"""W7: a send under provider faults, through the real handlers: how long until every device is decided.

The local runtime runs the real ``template.yaml`` (the send over HTTP to ``send_fanout``, its jobs
through SQS to ``deliver_push``, retry jobs back through SQS with their ``DelaySeconds``), and the
provider simulator answers after 20 ms, failing a share of the requests at random. One send per
phase goes to ``devices`` people with one device each, half iOS and half Android, so every delivery
job mixes both platforms. Seeding (people and devices written straight into DynamoDB Local) is not
timed, and an untimed warm-up send of ``WARM_UP_DEVICES`` first starts the workers and opens the
provider connections, so no phase pays for cold starts.

* **No faults** phase: the same send with every request answered 200, the reference.
* **Retry-After** phase: 5 % of the requests of both providers are answered 503 with
  ``Retry-After: 1`` (APNs ``ServiceUnavailable``, FCM ``UNAVAILABLE``). Timed until the send is
  complete; the simulator's record must show every device once (lost and duplicated 0 / 0).
* **Mixed delays** phase: 5 % are answered 500 (APNs ``InternalServerError``, which Apple says to
  retry after 15 minutes; FCM ``INTERNAL``, retried after Google's 10 s). Timed until every Android
  device is decided, which a retry job holding iOS devices too used to delay by those 15 minutes;
  the iOS devices still waiting for Apple's 15 minutes are counted, not waited for.
"""

from __future__ import annotations

import hashlib
import pathlib
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench import environments
from bench.common import device_token
from bench.local_stack import admin_client, create_ios_app, main_table, save_contact
from pushgate_local.runtime import LocalRuntime, RuntimeConfig

LATENCY_MS = 20
FAULT_RATE = 0.05
RETRY_AFTER_S = 1
DEVICES = 2000
#: Execution environments per SQS event source (as W6).
QUEUE_WORKERS = 3
SEED_PARALLELISM = 8
SEEDED_AT = datetime.now(UTC) - timedelta(days=1)
PHASES = ("warm_up", "no_faults", "retry_after", "mixed_delays")
WARM_UP_DEVICES = 40
#: A phase that is not done after this long is reported as such (the retries are seconds apart).
PHASE_TIMEOUT_S = 600.0


def _create_app_and_message(admin: httpx.Client) -> tuple[str, str, str]:
    org_id, app_id = create_ios_app(admin, org_name="W7 org", app_name="W7 app", android_project="pushgate-bench-w7")
    message = admin.post(
        f"/admin/v1/orgs/{org_id}/pushmessages", json={"Name": "Faults", "Title": "Order", "Body": "On its way"}
    )
    message.raise_for_status()
    message_id = str(message.json()["MessageId"])
    admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate").raise_for_status()
    return org_id, app_id, message_id


def _seed(runtime: LocalRuntime, org_id: str, app_id: str, devices: int, phase: str) -> dict[str, tuple[str, str]]:
    """One person per device, platforms alternating; returns user id → (platform, token)."""
    from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository  # noqa: PLC0415
    from pushgate.adapters.dynamodb.directory import DynamoPersonRepository  # noqa: PLC0415
    from pushgate.models.device import Device, DevicePlatform  # noqa: PLC0415

    table = main_table(runtime)
    people, stored_devices = DynamoPersonRepository(table), DynamoDeviceRepository(table)
    salt = 1_000_000 * (1 + PHASES.index(phase))
    population: dict[str, tuple[str, str]] = {}

    def write(number: int) -> None:
        user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"pushgate-w7/{phase}/{number}"))
        platform = DevicePlatform.IOS if number % 2 else DevicePlatform.ANDROID
        token = device_token(salt + number)
        save_contact(people, org_id=org_id, person_id=user_id, at=SEEDED_AT)
        stored_devices.save(
            Device(
                org_id=org_id,
                app_id=app_id,
                user_id=user_id,
                platform=platform,
                token=token,
                token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                registered_at=SEEDED_AT,
                last_registered_at=SEEDED_AT,
                status_changed_at=SEEDED_AT,
            ),
            expected_owner=None,
        )
        population[user_id] = (platform.value, token)

    with ThreadPoolExecutor(max_workers=SEED_PARALLELISM) as pool:
        list(pool.map(write, range(devices)))
    return population


def _phase(
    runtime: LocalRuntime,
    admin: httpx.Client,
    ids: tuple[str, str, str],
    population: dict[str, tuple[str, str]],
    *,
    done: Callable[[dict[str, Any], dict[str, int]], bool],
) -> dict[str, Any]:
    """Sends to the population and times it until ``done(send status, received per token)``."""
    assert runtime.simulator is not None  # noqa: S101 - the runtime starts one
    org_id, app_id, message_id = ids
    tokens = {platform: [t for p, t in population.values() if p == platform] for platform in ("ios", "android")}
    started = time.perf_counter()
    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app_id, "MessageId": message_id, "Recipients": [{"UserId": u} for u in population]},
    )
    if accepted.status_code != 202:
        raise RuntimeError(f"W7: the send answered {accepted.status_code}: {accepted.text[:300]}")
    send_id = accepted.json()["SendId"]
    finished: dict[str, float] = {}
    status: dict[str, Any] = {}
    received: dict[str, int] = {}
    deadline = started + PHASE_TIMEOUT_S
    while time.perf_counter() < deadline:
        status = admin.get(f"/admin/v1/orgs/{org_id}/sends/{send_id}").json()
        received = runtime.simulator.token_counts()
        now = time.perf_counter() - started
        for platform, wanted in tokens.items():
            if platform not in finished and all(received.get(token, 0) for token in wanted):
                finished[platform] = now
        if done(status, received):
            break
        time.sleep(0.25)
    wall = time.perf_counter() - started
    every = [token for wanted in tokens.values() for token in wanted]
    return {
        "send_id": send_id,
        "devices": len(every),
        "completed": status.get("Status") == "Completed",
        "wall_s": wall,
        "platform_done_s": finished,
        "sent": status.get("Sent", 0),
        "pending": status.get("Pending", 0),
        "not_sent_reasons": status.get("NotSentReasons", {}),
        # Devices the simulator has not received when the phase ended: lost if the send is complete,
        # still waiting for their retry otherwise.
        "unreceived": {
            platform: sum(1 for token in wanted if received.get(token, 0) == 0) for platform, wanted in tokens.items()
        },
        "duplicated": sum(max(0, received.get(token, 0) - 1) for token in every),
    }


def run_faults(devices: int, state_dir: pathlib.Path, console: Any) -> dict[str, Any]:
    """Both phases on a local runtime of their own; returns the figures."""
    config = RuntimeConfig(
        project_root=environments.PROJECT_ROOT,
        template_path=environments.PROJECT_ROOT / "template.yaml",
        state_dir=state_dir,
        queue_workers=QUEUE_WORKERS,
        extra_environment={"POWERTOOLS_LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore"},
    )
    results: dict[str, Any] = {
        "devices": devices,
        "fault_rate": FAULT_RATE,
        "latency_ms": LATENCY_MS,
        "queue_workers": QUEUE_WORKERS,
    }
    with LocalRuntime(config) as runtime, admin_client(runtime, timeout_s=120) as admin:
        simulator = runtime.simulator
        assert simulator is not None  # noqa: S101 - the runtime starts one
        ids = _create_app_and_message(admin)
        simulator.configure(latency_ms=LATENCY_MS, record_payloads=False, max_recorded=devices * 4 + 1000)

        console.print("W7: a warm-up send…")
        warm_up = _seed(runtime, ids[0], ids[1], WARM_UP_DEVICES, "warm_up")
        _phase(runtime, admin, ids, warm_up, done=lambda status, _: status.get("Status") == "Completed")

        console.print(f"W7: seeding {devices:,} devices, then a send without faults…")
        population = _seed(runtime, ids[0], ids[1], devices, "no_faults")
        results["no_faults"] = _phase(
            runtime, admin, ids, population, done=lambda status, _: status.get("Status") == "Completed"
        )

        console.print(f"W7: seeding {devices:,} devices, then a send with {FAULT_RATE:.0%} 503 + Retry-After…")
        population = _seed(runtime, ids[0], ids[1], devices, "retry_after")
        simulator.configure(fault_rates={"unavailable": FAULT_RATE}, retry_after_s=RETRY_AFTER_S)
        results["retry_after"] = _phase(
            runtime, admin, ids, population, done=lambda status, _: status.get("Status") == "Completed"
        ) | {"retry_after_s": RETRY_AFTER_S}

        console.print(f"W7: a send with {FAULT_RATE:.0%} 500s (APNs: retry after 15 minutes; FCM: after 10 s)…")
        population = _seed(runtime, ids[0], ids[1], devices, "mixed_delays")
        android = [token for platform, token in population.values() if platform == "android"]
        simulator.configure(fault_rates={"error": FAULT_RATE})
        results["mixed_delays"] = _phase(
            runtime, admin, ids, population, done=lambda _, received: all(received.get(t, 0) for t in android)
        )
        simulator.configure(fault_rates={})
    return results


def main() -> None:
    """``python -m bench.faults [devices]``: W7 alone, the figures as JSON."""
    import json  # noqa: PLC0415
    import sys  # noqa: PLC0415

    environments.add_tools_to_path()
    from rich.console import Console  # noqa: PLC0415

    devices = int(sys.argv[1]) if len(sys.argv) > 1 else DEVICES
    result = run_faults(devices, pathlib.Path(".pushgate") / "w7", Console(stderr=True))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
