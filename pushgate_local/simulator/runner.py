"""Starts and drives the Node provider simulator (``server.mjs``) from Python.

Node's ``http2`` module is nghttp2 in C: one Node process answers several times more HTTP/2 requests
per second than a Python server on the same core, so the simulator is never what a benchmark
measures. This module owns the process: it picks a free port, waits until the server listens,
ties the process's life to ours (the server exits when its stdin closes) and wraps the ``/sim``
admin API.
"""

from __future__ import annotations

import json
import os
import pathlib
import select
import shutil
import ssl
import subprocess
import time
from types import TracebackType
from typing import Any

import httpx

from pushgate_local.simulator.certs import TestCertificates, ensure_test_certificates

SERVER_SCRIPT = pathlib.Path(__file__).with_name("server.mjs")
_READY_TIMEOUT_S = 20.0


class SimulatorError(RuntimeError):
    """The simulator could not be started or answered an admin call with an error."""


class RunningSimulator:
    """A live simulator process and a client for its ``/sim`` admin API.

    Attributes:
        url: Base URL, ``https://<host>:<port>``. APNs production is ``url``, APNs sandbox is
            ``url + "/sandbox"``, FCM is ``url`` and the OAuth token endpoint is ``url + "/token"``.
        ca_path: PEM file of the test CA that issued the server certificate.
        certificates: All generated PEM paths (the CA key lets tests issue client certificates).
        process: The Node process.
    """

    def __init__(self, url: str, certificates: TestCertificates, process: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.certificates = certificates
        self.ca_path = certificates.ca_cert
        self.process = process
        self._admin = httpx.Client(
            http2=True, verify=ssl.create_default_context(cafile=str(certificates.ca_cert)), timeout=10.0
        )

    @property
    def apns_production_url(self) -> str:
        """Base URL answering as APNs production."""
        return self.url

    @property
    def apns_sandbox_url(self) -> str:
        """Base URL answering as APNs sandbox (responses carry ``apns-unique-id``)."""
        return self.url + "/sandbox"

    @property
    def fcm_url(self) -> str:
        """Base URL answering as ``fcm.googleapis.com``."""
        return self.url

    @property
    def token_url(self) -> str:
        """URL of the OAuth2 token endpoint."""
        return self.url + "/token"

    def provider_environment(self) -> dict[str, str]:
        """Returns the environment variables that point Pushgate's provider clients here."""
        return {
            "APNS_PRODUCTION_URL": self.apns_production_url,
            "APNS_SANDBOX_URL": self.apns_sandbox_url,
            "FCM_API_URL": self.fcm_url,
            "FCM_TOKEN_URL": self.token_url,
            "PROVIDER_CA_BUNDLE": str(self.ca_path),
        }

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, params: dict[str, str] | None = None
    ) -> Any:
        response = self._admin.request(method, self.url + path, json=body, params=params or None)
        if response.status_code >= 400:
            raise SimulatorError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json()

    def notifications(self, token: str | None = None, platform: str | None = None) -> list[dict[str, Any]]:
        """Lists delivered notifications, oldest first.

        Args:
            token: Only notifications for this device token.
            platform: Only ``ios`` or ``android`` notifications.

        Returns:
            Dicts with ``token``, ``platform``, ``environment``, ``headers``, ``payload``, ``received_at``,
            ``collapse_id`` (what the device collapses it under, or ``None``) and ``replaced`` (it
            replaced a notification with that collapse id already on the device's screen).
        """
        params = {k: v for k, v in (("token", token), ("platform", platform)) if v}
        result: list[dict[str, Any]] = self._call("GET", "/sim/notifications", params=params)
        return result

    def validated(self, token: str | None = None) -> list[dict[str, Any]]:
        """Lists the FCM ``validate_only`` messages accepted (checked, never delivered), oldest first.

        Args:
            token: Only messages for this device token.

        Returns:
            Dicts shaped as :meth:`notifications`' (``payload`` is the FCM message object).
        """
        result: list[dict[str, Any]] = self._call("GET", "/sim/validated", params={"token": token} if token else None)
        return result

    def violations(self, token: str | None = None, platform: str | None = None) -> list[dict[str, Any]]:
        """Lists the requests refused for breaking the provider's contract, oldest first.

        The simulator holds every APNs request to Apple's documented ``aps`` keys and header rules and
        every FCM request to Google's discovery document of the FCM v1 API (``contracts.mjs``), and
        answers a breach with the provider's error. The product must never produce one.

        Args:
            token: Only requests to this device token.
            platform: Only ``ios`` or ``android`` requests.

        Returns:
            Dicts with ``token``, ``platform``, ``status``, ``reason``, ``field`` (FCM), ``description``,
            ``headers``, ``payload`` and ``received_at``.
        """
        params = {k: v for k, v in (("token", token), ("platform", platform)) if v}
        result: list[dict[str, Any]] = self._call("GET", "/sim/violations", params=params)
        return result

    def token_counts(self) -> dict[str, int]:
        """How many notifications each token received (of those recorded)."""
        counts: dict[str, int] = self._call("GET", "/sim/tokens")
        return counts

    def screen_counts(self) -> dict[str, int]:
        """How many notifications each token's screen shows (of those recorded).

        A notification with a collapse id (APNs ``apns-collapse-id``, FCM ``android.notification.tag``
        of a notification message) the token already shows replaces that one and is not counted again.
        """
        counts: dict[str, int] = self._call("GET", "/sim/screen")
        return counts

    def stats(self) -> dict[str, Any]:
        """Returns the counters (requests, connections, max concurrent streams, faults...)."""
        result: dict[str, Any] = self._call("GET", "/sim/stats")
        return result

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Changes settings (``latency_ms``, ``strict``, ``fault_rates``, ``goaway_after_streams``...).

        Args:
            **settings: Settings to change, as named in ``GET /sim/config``.

        Returns:
            The whole configuration after the change.
        """
        result: dict[str, Any] = self._call("POST", "/sim/config", settings)
        return result

    def reset(self) -> None:
        """Forgets notifications, counters, keys, issued tokens and configuration changes."""
        self._call("POST", "/sim/reset")

    def register_apns_key(self, team_id: str, key_id: str, public_key_pem: str) -> None:
        """Registers the public half of an APNs signing key; its JWTs are then signature-checked.

        Args:
            team_id: The 10-character Team ID.
            key_id: The 10-character Key ID.
            public_key_pem: The EC P-256 public key in PEM.
        """
        self._call(
            "POST",
            "/sim/keys",
            {"kind": "apns", "team_id": team_id, "key_id": key_id, "public_key_pem": public_key_pem},
        )

    def register_fcm_key(self, client_email: str, public_key_pem: str, key_id: str | None = None) -> None:
        """Registers a service account's public key; its OAuth assertions are then signature-checked.

        Args:
            client_email: The service account's ``client_email``.
            public_key_pem: The RSA public key in PEM.
            key_id: The ``private_key_id``, checked against the assertion's ``kid`` when given.
        """
        body = {"kind": "fcm", "client_email": client_email, "public_key_pem": public_key_pem}
        if key_id:
            body["key_id"] = key_id
        self._call("POST", "/sim/keys", body)

    def stop(self) -> None:
        """Stops the process and closes the admin client. Safe to call twice."""
        self._admin.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdin:
            self.process.stdin.close()

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def find_node() -> str:
    """Returns the path of the ``node`` executable (``PUSHGATE_NODE`` overrides ``PATH``)."""
    node = os.environ.get("PUSHGATE_NODE") or shutil.which("node")
    if not node:
        raise SimulatorError("node (18 or later) is required to run the provider simulator; it is not on PATH")
    return node


def start_simulator(
    state_dir: pathlib.Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency_ms: int = 0,
    strict: bool = False,
    cpu: int | None = None,
) -> RunningSimulator:
    """Starts the simulator and returns once it accepts connections.

    Args:
        state_dir: Where the test CA and server certificate live (created on first use) and where
            ``simulator.log`` is written.
        host: Loopback address to listen on.
        port: TCP port; 0 picks a free one.
        latency_ms: Delay before every provider answer, to model the network round trip.
        strict: Reject JWTs and OAuth assertions whose key was not registered with ``/sim/keys``.
        cpu: Pin the process to this CPU (benchmarks keep the client on another core).

    Returns:
        The running simulator. Call ``stop()`` (or use it as a context manager) when done; the
        process also exits by itself when this Python process dies.
    """
    certificates = ensure_test_certificates(state_dir)
    options = {
        "host": host,
        "port": port,
        "cert_path": str(certificates.server_cert),
        "key_path": str(certificates.server_key),
        "ca_path": str(certificates.ca_cert),
        "latency_ms": latency_ms,
        "strict": strict,
    }
    log = (state_dir / "simulator.log").open("ab")
    process = subprocess.Popen(
        # A larger young generation cuts the collector time that dominates an HTTP/2 server under load.
        [find_node(), "--max-semi-space-size=64", str(SERVER_SCRIPT), json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    log.close()
    if cpu is not None:
        os.sched_setaffinity(process.pid, {cpu})
    if process.stdout is None:
        raise SimulatorError("simulator stdout is not a pipe")
    deadline = time.monotonic() + _READY_TIMEOUT_S
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            process.kill()
            process.wait()
            raise SimulatorError(f"simulator did not start; see {state_dir / 'simulator.log'}")
        readable, _, _ = select.select([process.stdout], [], [], remaining)
        if readable:
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                continue
            line += chunk
    ready = json.loads(line.decode().splitlines()[0])
    url_host = f"[{host}]" if ":" in host else host
    return RunningSimulator(f"https://{url_host}:{ready['port']}", certificates, process)
