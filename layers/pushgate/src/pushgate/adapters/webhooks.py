"""The registration-status webhook call: a signed POST to a URL the app chose, that cannot reach inside.

The body and its signature are CI-J's contract (:mod:`pushgate.models.webhook`); this adapter
makes the call.

A URL chosen by a client must not become a way into the network Pushgate runs in, so the call
goes out only over https, only to addresses that are public after DNS resolution (no private,
loopback, link-local or metadata addresses), to the very address that was checked (no second
lookup to rebind), never follows a redirect, and is tried once with a short timeout. The local
runtime may allow loopback targets (over http too) for its tests.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from pushgate.models.webhook import RESERVED_HEADERS, WebhookResult

Resolve = Callable[[str, int], list[str]]


class WebhookRefusedError(Exception):
    """The URL is not one Pushgate calls; the message says why (no secrets in it)."""


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook destination.

    Attributes:
        scheme: ``https`` (or ``http`` to loopback where allowed).
        host: Host name as in the URL (for ``Host`` and TLS SNI).
        port: Port.
        address: The checked IP address the request goes to.
        path: Path and query.
    """

    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def connect_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        literal = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{literal}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        """The ``Host`` header the server expects."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def resolve_with_dns(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for a host."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookRefusedError(f"the host name does not resolve ({error.__class__.__name__})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why an address may not be called, or ``None`` when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "is a loopback address"
    if ip.is_link_local:
        return "is a link-local address (cloud metadata services live there)"
    if ip.is_private:
        return "is a private address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "is not a public address"
    return None


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookRefusedError("the URL cannot be parsed") from None
    scheme = parts.scheme.lower()
    if scheme not in {"https", "http"}:
        raise WebhookRefusedError("only https URLs are called")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefusedError("URLs with credentials are not called")
    if not parts.hostname:
        raise WebhookRefusedError("the URL has no host")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def check_target(url: str, *, allow_loopback: bool, resolve: Resolve = resolve_with_dns) -> WebhookTarget:
    """Checks a callback URL against the rules above and picks the address to call.

    Raises:
        WebhookRefusedError: The URL breaks a rule.
    """
    scheme, host, port, path = _split(url)
    if scheme == "http" and not allow_loopback:
        raise WebhookRefusedError("only https URLs are called")
    addresses = resolve(host, port)
    if not addresses:
        raise WebhookRefusedError("the host name does not resolve")
    for address in addresses:
        refusal = address_refusal(address, allow_loopback=allow_loopback)
        if refusal is not None:
            # One bad address is enough: a name that also points inside is not called at all.
            raise WebhookRefusedError(f"the host resolves to {address}, which {refusal}")
    if scheme == "http":
        loopback_only = all(address_refusal(a, allow_loopback=False) == "is a loopback address" for a in addresses)
        if not (allow_loopback and loopback_only):
            raise WebhookRefusedError("only https URLs are called")
    return WebhookTarget(scheme=scheme, host=host, port=port, address=addresses[0], path=path)


class WebhookCaller:
    """Calls registration webhooks under the rules of this module.

    Args:
        allow_loopback: Also call loopback addresses (the local runtime's tests).
        timeout_s: Limit of the one attempt.
        resolve: Host name → addresses (tests pass a fake).
        transport: httpx transport (tests pass a mock).
    """

    def __init__(
        self,
        *,
        allow_loopback: bool = False,
        timeout_s: float = 5.0,
        resolve: Resolve = resolve_with_dns,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._allow_loopback = allow_loopback
        self._resolve = resolve
        # No proxies from the environment, no redirects, one attempt.
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False, transport=transport)

    def call(self, url: str, headers: Mapping[str, str], body: Mapping[str, str]) -> WebhookResult:
        """POSTs the body once; never raises for the receiver's behaviour."""
        try:
            target = check_target(url, allow_loopback=self._allow_loopback, resolve=self._resolve)
        except WebhookRefusedError as error:
            return WebhookResult(False, f"refused: {error}")
        request_headers = {name: value for name, value in headers.items() if name.lower() not in RESERVED_HEADERS}
        request_headers.update({"Host": target.host_header, "Content-Type": "application/json"})
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            response = self._client.post(
                target.connect_url,
                content=json.dumps(body, separators=(",", ":")).encode(),
                headers=request_headers,
                extensions=extensions,
            )
        except httpx.TimeoutException:
            return WebhookResult(False, "failed: timed out")
        except httpx.HTTPError as error:
            return WebhookResult(False, f"failed: {error.__class__.__name__}")
        if 200 <= response.status_code < 300:
            return WebhookResult(True, f"delivered {response.status_code}")
        if 300 <= response.status_code < 400:
            return WebhookResult(False, f"failed: HTTP {response.status_code} (redirects are not followed)")
        return WebhookResult(False, f"failed: HTTP {response.status_code}")

    def close(self) -> None:
        """Closes the HTTP client."""
        self._client.close()
