"""HTTP/2 transport for the delivery path: libcurl's multi interface through pycurl.

Why libcurl: measured on one core against the same loopback HTTP/2 server, httpx does about
500-800 requests/s, raw ``h2`` on asyncio about 3,900, and pycurl's ``CurlMulti`` with HTTP/2
multiplexing about 14,600 (``bench/providers`` repeats the measurement). Framing, HPACK, flow
control and TLS run in C (nghttp2, OpenSSL); Python only builds requests and reads answers.

The transport is synchronous and owns no event loop, so one instance lives for the whole execution
environment and serves every invocation. Connections live in the multi handle and are reused
across calls; requests in flight are bounded; streams the server refuses (``REFUSED_STREAM``, or
above the ``last_stream_id`` of a ``GOAWAY``) are resent by libcurl on a new connection.
"""

from __future__ import annotations

import abc
import contextlib
import datetime
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import certifi
import pycurl

from pushgate.models.push import DeliveryOutcome, Platform, PushRequest
from pushgate.providers import verdicts

#: libcurl errors after which a request that got no answer byte is resent once on a new connection.
#: They mean the connection could not be set up or died; a server that never started its answer is
#: taken not to have processed the request (libcurl applies the same rule to reused connections).
_RESENDABLE_ERRORS = frozenset(
    {
        pycurl.E_COULDNT_CONNECT,
        pycurl.E_SEND_ERROR,
        pycurl.E_RECV_ERROR,
        pycurl.E_GOT_NOTHING,
        pycurl.E_HTTP2,
        pycurl.E_SSL_CONNECT_ERROR,
        pycurl.E_PARTIAL_FILE,
    }
)


@dataclass(slots=True)
class HttpRequest:
    """One POST request; not changed once handed to the transport.

    Attributes:
        url: Absolute ``https`` URL.
        headers: Header lines, ``"name: value"``.
        body: Request body.
    """

    url: str
    headers: list[str]
    body: bytes


@dataclass(slots=True)
class HttpResponse:
    """The answer to one :class:`HttpRequest`, or why there is none.

    Attributes:
        status: HTTP status; ``None`` when no answer arrived.
        header_lines: Raw response header lines as received (parsed on demand by :meth:`header`,
            because a successful push needs none of them).
        body: Response body.
        error: ``verdicts.TIMEOUT`` or ``verdicts.CONNECTION_ERROR`` when no answer arrived.
        error_detail: libcurl's description of the failure.
    """

    status: int | None
    header_lines: list[bytes] = field(default_factory=list)
    body: bytes = b""
    error: str | None = None
    error_detail: str | None = None

    def header(self, name: str) -> str | None:
        """Returns the last value of a response header.

        Args:
            name: Header name, lower case.

        Returns:
            The value, or ``None`` when absent.
        """
        wanted = name.encode("latin-1")
        found: str | None = None
        for line in self.header_lines:
            field_name, separator, value = line.partition(b":")
            if separator and field_name.strip().lower() == wanted:
                found = value.strip().decode("latin-1")
        return found

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; ``{}`` when it is empty, not JSON, or not an object."""
        try:
            answer = json.loads(self.body) if self.body else {}
        except ValueError:
            return {}
        return answer if isinstance(answer, dict) else {}


class ClientCertificate:
    """A TLS client certificate and its private key, PEM (APNs certificate auth).

    The key stays in memory and out of ``repr``.
    """

    __slots__ = ("_certificate_pem", "_key_pem")

    def __init__(self, certificate_pem: bytes, key_pem: bytes) -> None:
        self._certificate_pem = certificate_pem
        self._key_pem = key_pem

    @property
    def certificate_pem(self) -> bytes:
        """The certificate chain, PEM."""
        return self._certificate_pem

    @property
    def key_pem(self) -> bytes:
        """The unencrypted private key, PEM."""
        return self._key_pem

    def __repr__(self) -> str:
        return "ClientCertificate(<redacted>)"


def _combined_ca_file(extra_ca: str) -> str:
    """Writes the public roots plus ``extra_ca`` to a content-addressed file and returns its path.

    Certificates are public, so the temporary directory is a fine home; the name is the content's
    hash, so concurrent writers produce the same file and a changed CA produces a new one.
    """
    with open(certifi.where(), "rb") as public_roots, open(extra_ca, "rb") as extra:
        bundle = public_roots.read() + b"\n" + extra.read()
    path = os.path.join(tempfile.gettempdir(), f"pushgate-ca-{hashlib.sha256(bundle).hexdigest()[:16]}.pem")
    if not os.path.exists(path):
        descriptor, staging = tempfile.mkstemp(dir=tempfile.gettempdir(), suffix=".pem")
        with os.fdopen(descriptor, "wb") as staged:
            staged.write(bundle)
        os.replace(staging, path)
    return path


@dataclass(slots=True)
class _Slot:
    """Per-handle buffers, reused from one request to the next."""

    header_lines: list[bytes] = field(default_factory=list)
    body_chunks: list[bytes] = field(default_factory=list)
    index: int = -1
    # What the handle was last set to: libcurl keeps options between transfers, so an option
    # that did not change (one URL for every FCM request, one body for every APNs request of a
    # batch) is not set again. Compared by identity: the objects are the caller's, kept alive here.
    url: str | None = None
    headers: list[str] | None = None
    body: bytes | None = None


#: Placeholder until a request is answered; never returned.
_NO_ANSWER: Final = HttpResponse(status=None)


class CurlHttp2Transport:
    """Multiplexes POST requests over long-lived HTTP/2 connections to one origin.

    Not safe to share between threads that call it at once: calls are serialized by a lock.

    Args:
        max_in_flight: Requests sent and not yet answered, at most.
        max_connections: Connections to the origin, at most; libcurl opens another one only when
            every open one carries ``max_streams_per_connection`` streams.
        max_streams_per_connection: Streams per connection, at most (the server's
            ``SETTINGS_MAX_CONCURRENT_STREAMS`` may lower it).
        connect_timeout_s: TCP + TLS setup limit.
        request_timeout_s: Limit for one request from the moment it is queued.
        ca_bundle: Extra PEM CA file to trust besides the public roots.
        client_certificate: TLS client certificate (APNs certificate auth).
        idle_connection_s: Close a connection idle for longer than this. Apple asks for
            connections that live for hours; libcurl's default is two minutes.
    """

    def __init__(
        self,
        *,
        max_in_flight: int = 1000,
        max_connections: int = 1,
        max_streams_per_connection: int = 1000,
        connect_timeout_s: float = 10.0,
        request_timeout_s: float = 30.0,
        ca_bundle: str | None = None,
        client_certificate: ClientCertificate | None = None,
        idle_connection_s: int = 3600,
    ) -> None:
        if max_in_flight < 1 or max_connections < 1 or max_streams_per_connection < 1:
            raise ValueError("max_in_flight, max_connections and max_streams_per_connection must be positive")
        self._max_in_flight = max_in_flight
        self._max_connections = max_connections
        self._max_streams = max_streams_per_connection
        self._connect_timeout_ms = int(connect_timeout_s * 1000)
        self._request_timeout_ms = int(request_timeout_s * 1000)
        self._idle_connection_s = idle_connection_s
        self._client_certificate = client_certificate
        self._ca_file = _combined_ca_file(ca_bundle) if ca_bundle else certifi.where()
        self._lock = threading.Lock()
        self._idle: list[pycurl.Curl] = []
        self._slots: dict[pycurl.Curl, _Slot] = {}
        self._multi = self._new_multi()

    @property
    def max_in_flight(self) -> int:
        """Requests in flight at most."""
        return self._max_in_flight

    def _new_multi(self) -> pycurl.CurlMulti:
        multi = pycurl.CurlMulti()
        multi.setopt(pycurl.M_PIPELINING, pycurl.PIPE_MULTIPLEX)
        multi.setopt(pycurl.M_MAX_HOST_CONNECTIONS, self._max_connections)
        multi.setopt(pycurl.M_MAX_CONCURRENT_STREAMS, self._max_streams)
        return multi

    def _new_handle(self) -> pycurl.Curl:
        easy = pycurl.Curl()
        slot = _Slot()
        easy.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_2TLS)
        # Wait for the connection being set up rather than opening one per request.
        easy.setopt(pycurl.PIPEWAIT, 1)
        easy.setopt(pycurl.NOSIGNAL, 1)
        easy.setopt(pycurl.POST, 1)
        # pycurl's default User-Agent lists every bundled library: 200 bytes on every first request.
        easy.setopt(pycurl.USERAGENT, "pushgate")
        easy.setopt(pycurl.CONNECTTIMEOUT_MS, self._connect_timeout_ms)
        easy.setopt(pycurl.TIMEOUT_MS, self._request_timeout_ms)
        easy.setopt(pycurl.MAXAGE_CONN, self._idle_connection_s)
        easy.setopt(pycurl.TCP_KEEPALIVE, 1)
        easy.setopt(pycurl.SSL_VERIFYPEER, 1)
        easy.setopt(pycurl.SSL_VERIFYHOST, 2)
        # A file, not CAINFO_BLOB: libcurl compares the CA setting of every request with the
        # connection's before reusing it, and a 200 kB blob compare per request costs more than
        # the rest of the request.
        easy.setopt(pycurl.CAINFO, self._ca_file)
        if self._client_certificate is not None:
            easy.setopt(pycurl.SSLCERTTYPE, "PEM")
            easy.setopt(pycurl.SSLCERT_BLOB, self._client_certificate.certificate_pem)
            easy.setopt(pycurl.SSLKEYTYPE, "PEM")
            easy.setopt(pycurl.SSLKEY_BLOB, self._client_certificate.key_pem)
        # Bound builtin methods as callbacks: no Python frame per header line or body chunk.
        easy.setopt(pycurl.HEADERFUNCTION, slot.header_lines.append)
        easy.setopt(pycurl.WRITEFUNCTION, slot.body_chunks.append)
        self._slots[easy] = slot
        return easy

    def execute(
        self, requests: Iterable[HttpRequest], on_answer: Callable[[int, HttpResponse], object] | None = None
    ) -> list[HttpResponse]:
        """Sends every request and returns the answers in the same order.

        ``requests`` is read as streams become free, so a generator that builds each request does
        so while earlier ones are in flight. Requests that failed without any answer byte on a
        connection that could not be set up or died are resent once on a new connection; timeouts
        and answered requests never are.

        Args:
            requests: The requests; any number, at most ``max_in_flight`` are in flight at once.
            on_answer: Called with (position in ``requests``, final response) as each answer
                arrives, so the caller can read it while later requests are in flight.

        Returns:
            One response per request.
        """
        with self._lock:
            taken: list[HttpRequest] = []
            results: list[HttpResponse] = []

            def first_attempts() -> Iterator[tuple[int, HttpRequest]]:
                for index, request in enumerate(requests):
                    taken.append(request)
                    results.append(_NO_ANSWER)
                    yield index, request

            unanswered = self._run(first_attempts(), results, on_answer, last_attempt=False)
            if unanswered:
                self._replace_multi()
                self._run(((index, taken[index]) for index in unanswered), results, on_answer, last_attempt=True)
            return results

    def reset_connections(self) -> None:
        """Closes every connection; the next request opens a new one."""
        with self._lock:
            self._replace_multi()

    def close(self) -> None:
        """Closes connections and frees every handle."""
        with self._lock:
            self._multi.close()
            for easy in self._slots:
                easy.close()
            self._slots.clear()
            self._idle.clear()

    def _replace_multi(self) -> None:
        self._multi.close()
        self._multi = self._new_multi()

    def _run(
        self,
        pending: Iterator[tuple[int, HttpRequest]],
        results: list[HttpResponse],
        on_answer: Callable[[int, HttpResponse], object] | None,
        *,
        last_attempt: bool,
    ) -> list[int]:
        """Sends ``pending`` (read as streams free up); returns the positions to resend, if any."""
        multi = self._multi
        active = 0
        more = True
        resend: list[int] = []
        try:
            while more or active:
                active, more = self._fill(multi, pending, active)
                if not active:
                    break
                status = pycurl.E_CALL_MULTI_PERFORM
                while status == pycurl.E_CALL_MULTI_PERFORM:
                    status, _ = multi.perform()
                finished = self._collect(multi, results, on_answer, resend if not last_attempt else None)
                active -= finished
                if active and not finished:
                    timeout_ms = multi.timeout()
                    multi.select(1.0 if timeout_ms < 0 else min(timeout_ms, 1000) / 1000)
        except BaseException:
            # Building or reading a request failed: take back the handles in flight so the next
            # call starts clean.
            for easy, slot in self._slots.items():
                if slot.index != -1:
                    with contextlib.suppress(pycurl.error):
                        multi.remove_handle(easy)
                    self._reset(easy)
            raise
        return resend

    def _fill(
        self, multi: pycurl.CurlMulti, pending: Iterator[tuple[int, HttpRequest]], active: int
    ) -> tuple[int, bool]:
        """Adds requests until ``max_in_flight`` are active; returns (active, whether more may come)."""
        slots = self._slots
        idle = self._idle
        while active < self._max_in_flight:
            item = next(pending, None)
            if item is None:
                return active, False
            index, request = item
            easy = idle.pop() if idle else self._new_handle()
            slot = slots[easy]
            slot.index = index
            if request.url is not slot.url:
                easy.setopt(pycurl.URL, request.url)
                slot.url = request.url
            if request.headers is not slot.headers:
                easy.setopt(pycurl.HTTPHEADER, request.headers)
                slot.headers = request.headers
            if request.body is not slot.body:
                easy.setopt(pycurl.POSTFIELDS, request.body)
                slot.body = request.body
            multi.add_handle(easy)
            active += 1
        return active, True

    def _collect(
        self,
        multi: pycurl.CurlMulti,
        results: list[HttpResponse],
        on_answer: Callable[[int, HttpResponse], object] | None,
        resend: list[int] | None,
    ) -> int:
        """Reads the finished transfers; returns how many. Resendable failures go to ``resend``."""
        slots = self._slots
        idle = self._idle
        response_code = pycurl.RESPONSE_CODE
        finished = 0
        while True:
            queued, succeeded, failed = multi.info_read()
            # The success path in line (no method calls): it runs once per notification.
            for easy in succeeded:
                slot = slots[easy]
                index = slot.index
                lines, chunks = slot.header_lines, slot.body_chunks
                response = results[index] = HttpResponse(
                    easy.getinfo(response_code), lines.copy(), b"".join(chunks) if chunks else b""
                )
                multi.remove_handle(easy)
                lines.clear()
                if chunks:
                    chunks.clear()
                slot.index = -1
                idle.append(easy)
                if on_answer is not None:
                    on_answer(index, response)
            for easy, errno, message in failed:
                index = slots[easy].index
                response, resendable = self._failure(easy, errno, message)
                results[index] = response
                self._recycle(multi, easy)
                if resendable and resend is not None:
                    resend.append(index)
                elif on_answer is not None:
                    on_answer(index, response)
            finished += len(succeeded) + len(failed)
            if not queued:
                return finished

    def _failure(self, easy: pycurl.Curl, errno: int, message: str) -> tuple[HttpResponse, bool]:
        slot = self._slots[easy]
        answered = bool(slot.header_lines)
        if errno == pycurl.E_OPERATION_TIMEDOUT:
            return HttpResponse(status=None, error=verdicts.TIMEOUT, error_detail=message), False
        resendable = not answered and errno in _RESENDABLE_ERRORS
        response = HttpResponse(status=None, error=verdicts.CONNECTION_ERROR, error_detail=f"curl {errno}: {message}")
        return response, resendable

    def _recycle(self, multi: pycurl.CurlMulti, easy: pycurl.Curl) -> None:
        multi.remove_handle(easy)
        self._reset(easy)

    def _reset(self, easy: pycurl.Curl) -> None:
        slot = self._slots[easy]
        slot.header_lines.clear()
        if slot.body_chunks:
            slot.body_chunks.clear()
        slot.index = -1
        self._idle.append(easy)


class PushClient(abc.ABC):
    """What the APNs and FCM clients share: batches of notifications over one ``CurlHttp2Transport``.

    Create one client per app and execution environment and keep it: connections and the provider
    token are reused across batches and invocations. Calls are serialized; it holds no event loop.
    """

    _transport: CurlHttp2Transport
    _clock: Callable[[], float]

    def send(self, request: PushRequest) -> DeliveryOutcome:
        """Sends one notification; see ``send_batch``."""
        return self.send_batch([request])[0]

    @abc.abstractmethod
    def send_batch(self, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        """Sends notifications concurrently and returns one outcome per request, in order."""

    def _settle(self, outcomes: Sequence[DeliveryOutcome | None]) -> list[DeliveryOutcome]:
        """The outcomes of a batch; a verdict that condemns the connection closes the connections."""
        final = [outcome for outcome in outcomes if outcome is not None]
        if any(verdicts.needs_new_connection(outcome) for outcome in final):
            self._transport.reset_connections()
        return final

    def _error_outcome(
        self,
        platform: Platform,
        response: HttpResponse,
        code: str | None,
        *,
        invalid_since: datetime.datetime | None = None,
        provider_message_id: str | None = None,
        detail: str | None = None,
    ) -> DeliveryOutcome:
        """The outcome of a provider's error answer; its ``Retry-After`` counts from the client's clock."""
        return verdicts.decide(
            platform,
            response.status,
            code,
            retry_after=verdicts.parse_retry_after(response.header("retry-after"), now=self._clock()),
            invalid_since=invalid_since,
            provider_message_id=provider_message_id,
            detail=detail,
        )
