"""Python peer senders, run by ``bench/.venv-peers/bin/python`` (never the project's environment).

Usage: ``python bench/peers/python_driver.py '<json config>'``; prints one JSON line with the
per-repetition rates, CPU rates, run-queue shares and peak RSS, like ``bench.drivers.pushgate``.
It imports nothing from the project: the peers' environment holds only the peers.

* ``aioapns``: ``APNs(key=...)`` on asyncio. Its host and port are class attributes, patched to the
  simulator; it sets no ALPN, so the ssl context passed in offers ``h2`` (Apple's servers speak
  HTTP/2 without ALPN, Node's ``http2`` server does not). The in-flight limit is an
  ``asyncio.Semaphore`` around ``send_notification``; ``max_connections=1``.
* ``firebase-admin``: ``messaging.send_each_async``, at most 500 messages per call (its limit); the
  in-flight limit is the chunk size, with as many calls running at once as needed to reach it.
  ``_MessagingService.FCM_URL`` is patched to the simulator; TLS trust comes from ``SSL_CERT_FILE``.
  google-auth fetches OAuth tokens over ``requests`` (HTTP/1.1), which the HTTP/2-only simulator
  refuses, so the driver does the same JWT-bearer exchange with httpx and gives firebase-admin the
  access token as a static credential; the measured send path is firebase-admin's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import sys
import time
import urllib.parse
from typing import Any

FIREBASE_MAX_PER_CALL = 500


def run_queue_wait_s() -> float:
    try:
        with open(f"/proc/{os.getpid()}/schedstat") as schedstat:
            return int(schedstat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def device_token(number: int) -> str:
    return f"{number:064x}"


class Measurements:
    def __init__(self) -> None:
        self.rates: list[float] = []
        self.cpu_rates: list[float] = []
        self.run_queue_shares: list[float] = []

    async def repeat(self, config: dict[str, Any], send_all: Any) -> None:
        count = config["count"]
        for _ in range(config["repetitions"]):
            wall, cpu, waited = time.perf_counter(), time.process_time(), run_queue_wait_s()
            delivered = await send_all(count)
            elapsed = time.perf_counter() - wall
            if delivered != count:
                raise RuntimeError(f"{config['client']} delivered {delivered} of {count}")
            self.rates.append(count / elapsed)
            self.cpu_rates.append(count / (time.process_time() - cpu))
            self.run_queue_shares.append((run_queue_wait_s() - waited) / elapsed)


async def run_aioapns(config: dict[str, Any], measurements: Measurements) -> None:
    from aioapns import APNs, NotificationRequest, PushType  # noqa: PLC0415 - only in the peers' environment
    from aioapns.connection import APNsProductionClientProtocol, APNsTLSClientProtocol  # noqa: PLC0415

    url = urllib.parse.urlsplit(config["url"])
    APNsProductionClientProtocol.APNS_SERVER = url.hostname
    APNsTLSClientProtocol.APNS_PORT = url.port
    context = ssl.create_default_context(cafile=config["ca_path"])
    context.set_alpn_protocols(["h2"])
    client = APNs(
        key=config["apns_key_pem"],
        key_id=config["key_id"],
        team_id=config["team_id"],
        topic=config["bundle_id"],
        max_connections=1,
        ssl_context=context,
    )
    message = json.loads(config["apns_body"])
    gate = asyncio.Semaphore(config["in_flight"])

    async def send(number: int) -> bool:
        async with gate:
            request = NotificationRequest(device_token=device_token(number), message=message, push_type=PushType.ALERT)
            return bool((await client.send_notification(request)).is_successful)

    async def send_all(count: int) -> int:
        return sum(await asyncio.gather(*(send(n) for n in range(count))))

    if await send_all(1) != 1:
        raise RuntimeError("aioapns warm-up failed")
    await measurements.repeat(config, send_all)


async def fetch_access_token(service_account: dict[str, str], ca_path: str) -> str:
    import httpx  # noqa: PLC0415 - only in the peers' environment
    import jwt  # noqa: PLC0415

    now = int(time.time())
    claims = {
        "iss": service_account["client_email"],
        "scope": "https://www.googleapis.com/auth/firebase.messaging",
        "aud": service_account["token_uri"],
        "iat": now,
        "exp": now + 3600,
    }
    assertion = jwt.encode(
        claims, service_account["private_key"], algorithm="RS256", headers={"kid": service_account["private_key_id"]}
    )
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    async with httpx.AsyncClient(http2=True, verify=ssl.create_default_context(cafile=ca_path)) as client:
        response = await client.post(service_account["token_uri"], data=form)
        response.raise_for_status()
        return str(response.json()["access_token"])


async def run_firebase_admin(config: dict[str, Any], measurements: Measurements) -> None:
    import firebase_admin  # noqa: PLC0415 - only in the peers' environment
    import google.oauth2.credentials  # noqa: PLC0415
    from firebase_admin import credentials, messaging  # noqa: PLC0415

    messaging._MessagingService.FCM_URL = config["url"] + "/v1/projects/{0}/messages:send"
    access_token = await fetch_access_token(config["service_account"], config["ca_path"])

    class StaticCredential(credentials.Base):
        def get_credential(self) -> Any:
            return google.oauth2.credentials.Credentials(token=access_token)

    project_id = config["service_account"]["project_id"]
    app = firebase_admin.initialize_app(StaticCredential(), options={"projectId": project_id})
    in_flight = config["in_flight"]
    chunk = min(in_flight, FIREBASE_MAX_PER_CALL)
    callers = max(1, in_flight // chunk)

    def message(number: int) -> Any:
        return messaging.Message(
            token=device_token(number),
            notification=messaging.Notification(title=config["title"], body=config["body"]),
        )

    async def send_all(count: int) -> int:
        messages = [message(n) for n in range(count)]
        chunks = [messages[start : start + chunk] for start in range(0, count, chunk)]

        async def caller() -> int:
            delivered = 0
            while chunks:
                response = await messaging.send_each_async(chunks.pop(), app=app)
                delivered += response.success_count
            return delivered

        return sum(await asyncio.gather(*(caller() for _ in range(callers))))

    if await send_all(1) != 1:
        raise RuntimeError("firebase-admin warm-up failed")
    await measurements.repeat(config, send_all)


def main(argv: list[str]) -> int:
    config = json.loads(argv[0])
    measurements = Measurements()
    runner = {"aioapns": run_aioapns, "firebase-admin": run_firebase_admin}[config["client"]]
    asyncio.run(runner(config, measurements))
    result = vars(measurements) | {"max_rss_mb": peak_rss_mb()}
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
