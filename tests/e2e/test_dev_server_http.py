"""The dev server's own HTTP: framing it cannot trust gets a 400 and a closed connection, as API
Gateway answers, over raw sockets (an HTTP client library would refuse to send these requests)."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

from pushgate_local.runtime import LocalRuntime

pytestmark = pytest.mark.stack

#: Longer than the server needs to answer on a loaded machine; a held connection runs into it.
ANSWER_WITHIN_S = 10.0
EVENTS = "/api/v1.0/orgs/00000000-0000-4000-8000-000000000000/pushdatareceiver/events"
BODY = b'{"TrackingId": "t", "PushNotificationStatus": 1}'


def exchange(dev_stack: LocalRuntime, request: bytes) -> tuple[bytes, bool]:
    """What the server sent back, and whether it then closed the connection (within the deadline)."""
    address = urlsplit(dev_stack.api_url)
    assert address.hostname is not None and address.port is not None
    received = b""
    with socket.create_connection((address.hostname, address.port), timeout=ANSWER_WITHIN_S) as connection:
        connection.sendall(request)
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except TimeoutError:
            return received, False
    return received, True


def status_and_body(response: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def request_with(*content_lengths: bytes, body: bytes = BODY) -> bytes:
    lines = [f"POST {EVENTS} HTTP/1.1".encode(), b"Host: localhost", b"Content-Type: application/json"]
    lines += [b"Content-Length: " + value for value in content_lengths]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@pytest.mark.parametrize(
    "content_lengths",
    [
        pytest.param((b"abc",), id="not-a-number"),
        pytest.param((b"1e3",), id="exponent"),
        pytest.param((b"-1",), id="negative"),
        pytest.param((b"+48",), id="signed"),
        pytest.param((b"",), id="empty"),
        pytest.param((b"48", b"12"), id="two-different"),
        pytest.param((b"48, 12",), id="two-different-in-one-header"),
    ],
)
def test_a_content_length_that_frames_nothing_is_400_and_the_connection_closes(
    dev_stack: LocalRuntime, content_lengths: tuple[bytes, ...]
) -> None:
    response, closed = exchange(dev_stack, request_with(*content_lengths))

    assert response, "no answer"
    status, body = status_and_body(response)
    assert status == 400
    assert body["Error"]["Code"] == "InvalidRequest"  # type: ignore[index]
    assert body["Error"]["Details"][0]["Field"] == "Content-Length"  # type: ignore[index]
    assert b"\r\nconnection: close\r\n" in response.lower()
    assert closed, "the connection was held open"


def test_a_body_over_the_limit_is_413_and_the_connection_closes(dev_stack: LocalRuntime) -> None:
    # The body is never read, so the connection cannot go on: its bytes would be read as a request.
    response, closed = exchange(dev_stack, request_with(str(10 * 1024 * 1024 + 1).encode(), body=b"x" * 1024))

    assert status_and_body(response)[0] == 413
    assert closed


def test_repeated_equal_content_lengths_and_keep_alive_still_work(dev_stack: LocalRuntime) -> None:
    # RFC 9112 lets a recipient accept a repeated Content-Length whose values are all the same.
    length = str(len(BODY)).encode()
    health = b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

    response, closed = exchange(dev_stack, request_with(length, length) + health)

    first, _, rest = response.partition(b"HTTP/1.1 ")[2].partition(b"HTTP/1.1 ")
    assert first.startswith(b"400") and b"TrackingId" in first  # the handler read the body: a 400 about the field
    assert rest.startswith(b"200") and b'"Status"' in rest  # the next request on the connection was answered
    assert closed
