"""The delivery clients the benchmarks measure, each sending ``count`` notifications per repetition.

In-process runners (Pushgate's APNs and FCM senders, httpx) and the h2load ceiling live here;
peers run in their own environments through :mod:`bench.drivers`. Every runner returns a
:class:`~bench.common.Cell` and raises when a notification was not accepted, so a broken client
can never pass as a fast one.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import re
import ssl
import subprocess
from collections.abc import Mapping
from typing import Any

import httpx

from bench.common import APNS_BODY, BUNDLE_ID, KEY_ID, MESSAGE, TEAM_ID, Cell, Stopwatch, device_token
from pushgate.config import provider_settings
from pushgate.models.push import PushRequest, Verdict
from pushgate.providers.apns import ApnsClient, ApnsTokenCredentials
from pushgate.providers.fcm import FcmClient, FcmServiceAccount

H2LOAD_HELP = "h2load is missing: install it with `apt-get update && apt-get install -y nghttp2-client` (Debian)."


def _requests(count: int, send_id: str) -> list[PushRequest]:
    return [PushRequest(device_token=device_token(n), send_id=send_id, message=MESSAGE) for n in range(count)]


def _check_delivered(name: str, delivered: int, count: int) -> None:
    if delivered != count:
        raise RuntimeError(f"{name} delivered {delivered} of {count}")


def run_pushgate_apns(
    provider_environment: Mapping[str, str], signing_key_pem: str, in_flight: int, count: int, repetitions: int
) -> Cell:
    """Pushgate's ``ApnsClient.send_batch``: payload, JWT, apns-id and verdicts, libcurl multi over HTTP/2.

    Args:
        provider_environment: The simulator's ``provider_environment()``.
        signing_key_pem: The .p8 key.
        in_flight: ``max_in_flight`` (one connection carries them all).
        count: Notifications per repetition.
        repetitions: Measured repetitions after one warm-up send.
    """
    settings = provider_settings(provider_environment)
    credentials = ApnsTokenCredentials(
        key_id=KEY_ID, team_id=TEAM_ID, signing_key_pem=signing_key_pem, bundle_id=BUNDLE_ID
    )
    client = ApnsClient(credentials, settings=settings, max_in_flight=in_flight)
    return _measure_pushgate("pushgate-apns", client, count, repetitions)


def run_pushgate_fcm(
    provider_environment: Mapping[str, str],
    service_account: Mapping[str, Any],
    in_flight: int,
    count: int,
    repetitions: int,
) -> Cell:
    """Pushgate's ``FcmClient.send_batch`` over one connection (streams per connection = in-flight limit).

    Args:
        provider_environment: The simulator's ``provider_environment()``.
        service_account: The service-account JSON (its ``token_uri`` is the simulator's).
        in_flight: ``max_in_flight``.
        count: Notifications per repetition.
        repetitions: Measured repetitions after one warm-up send (which also fetches the OAuth token).
    """
    settings = provider_settings(provider_environment)
    account = FcmServiceAccount.from_json(dict(service_account))
    client = FcmClient(account, settings=settings, max_in_flight=in_flight, max_streams_per_connection=in_flight)
    return _measure_pushgate("pushgate-fcm", client, count, repetitions)


def _measure_pushgate(name: str, client: ApnsClient | FcmClient, count: int, repetitions: int) -> Cell:
    """One warm-up send, then ``repetitions`` timed batches of ``count``; closes the client."""
    cell = Cell()
    try:
        _check_delivered(f"{name} warm-up", _delivered(client.send_batch(_requests(1, "warm-up"))), 1)
        for repetition in range(repetitions):
            requests = _requests(count, f"bench-{repetition}")
            watch = Stopwatch()
            outcomes = client.send_batch(requests)
            cell.add(count, *watch.stop())
            _check_delivered(name, _delivered(outcomes), count)
    finally:
        client.close()
    return cell


def _delivered(outcomes: list[Any]) -> int:
    return sum(outcome.verdict is Verdict.DELIVERED for outcome in outcomes)


def run_httpx(
    base_url: str, ca_path: pathlib.Path, authorization: str, *, in_flight: int, count: int, repetitions: int
) -> Cell:
    """httpx over HTTP/2 on asyncio, one AsyncClient (one connection), bounded by a semaphore."""
    return asyncio.run(
        _run_httpx(base_url, ca_path, authorization, in_flight=in_flight, count=count, repetitions=repetitions)
    )


async def _run_httpx(
    base_url: str, ca_path: pathlib.Path, authorization: str, *, in_flight: int, count: int, repetitions: int
) -> Cell:
    cell = Cell()
    headers = {
        "authorization": authorization,
        "apns-topic": BUNDLE_ID,
        "apns-push-type": "alert",
        "apns-priority": "10",
    }
    body = APNS_BODY.encode()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=60)
    context = ssl.create_default_context(cafile=str(ca_path))
    async with httpx.AsyncClient(http2=True, verify=context, limits=limits, timeout=60) as client:
        gate = asyncio.Semaphore(in_flight)

        async def send(number: int) -> int:
            async with gate:
                response = await client.post(
                    f"{base_url}/3/device/{device_token(number)}", headers=headers, content=body
                )
                return response.status_code

        await send(0)
        for _ in range(repetitions):
            watch = Stopwatch()
            statuses = await asyncio.gather(*(send(n) for n in range(count)))
            cell.add(count, *watch.stop())
            _check_delivered("httpx-h2", statuses.count(200), count)
    return cell


def run_h2load(
    base_url: str, authorization: str, workdir: pathlib.Path, *, in_flight: int, count: int, repetitions: int
) -> Cell:
    """nghttp2's h2load, the C ceiling: one connection, one thread, ``-m`` concurrent streams.

    It sends the same APNs request (path, headers, body) as the clients, so its rate is the most
    this simulator, core and latency allow.
    """
    payload = workdir / "payload.json"
    payload.write_text(APNS_BODY)
    command = [
        "h2load", "-c", "1", "-t", "1", "-m", str(in_flight), "-n", str(count), "-d", str(payload),
        "-H", f"authorization: {authorization}", "-H", f"apns-topic: {BUNDLE_ID}",
        "-H", "apns-push-type: alert", f"{base_url}/3/device/{device_token(1)}",
    ]  # fmt: skip
    cell = Cell()
    for _ in range(repetitions):
        result = subprocess.run(  # noqa: S603 - h2load with arguments built here
            command, capture_output=True, text=True, timeout=300, check=True
        )
        cell.rates.append(parse_h2load_rate(result.stdout, count))
    return cell


def parse_h2load_rate(output: str, count: int) -> float:
    """Reads the request rate from h2load's summary; raises unless all ``count`` requests succeeded."""
    match = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", output)
    succeeded = re.search(r"(\d+) succeeded", output)
    if not match or not succeeded or int(succeeded.group(1)) != count:
        raise RuntimeError(f"h2load did not complete:\n{output}")
    return float(match.group(3))


def cell_to_json(cell: Cell) -> str:
    """One-line JSON of a cell, the format every driver prints last."""
    return json.dumps(vars(cell))


def cell_from_json(line: str) -> Cell:
    """Reads a driver's last line back into a :class:`Cell`."""
    data = json.loads(line)
    return Cell(
        rates=[float(v) for v in data["rates"]],
        cpu_rates=[float(v) for v in data.get("cpu_rates", [])],
        run_queue_shares=[float(v) for v in data.get("run_queue_shares", [])],
        max_rss_mb=data.get("max_rss_mb"),
    )
