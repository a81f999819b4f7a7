"""The HTTP/2 transport on its own: requests read as streams free up, answers handed over as they come."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pushgate.config import ProviderSettings
from pushgate.providers.transport import CurlHttp2Transport, HttpRequest, HttpResponse


def request(settings: ProviderSettings, number: int) -> HttpRequest:
    # No provider token: the simulator answers 403 MissingProviderToken, an answer all the same.
    return HttpRequest(
        url=f"{settings.apns_production_url}/3/device/{number:064x}",
        headers=["apns-topic: com.example.app", "content-type: application/json"],
        body=b"{}",
    )


def test_requests_are_read_only_as_streams_free_up_and_answers_come_in_order(settings: ProviderSettings) -> None:
    transport = CurlHttp2Transport(max_in_flight=2, ca_bundle=settings.ca_bundle)
    read: list[int] = []
    answered: list[tuple[int, int | None]] = []

    def requests() -> Iterator[HttpRequest]:
        for number in range(5):
            # Never more than max_in_flight requests read ahead of the answers.
            assert number - len(answered) <= 2
            read.append(number)
            yield request(settings, number)

    def on_answer(position: int, response: HttpResponse) -> None:
        answered.append((position, response.status))

    try:
        responses = transport.execute(requests(), on_answer=on_answer)
    finally:
        transport.close()
    assert read == [0, 1, 2, 3, 4]
    assert [response.status for response in responses] == [403] * 5
    assert sorted(answered) == [(n, 403) for n in range(5)]


def test_a_request_that_cannot_be_built_leaves_the_transport_usable(settings: ProviderSettings) -> None:
    transport = CurlHttp2Transport(max_in_flight=4, ca_bundle=settings.ca_bundle)

    def failing() -> Iterator[HttpRequest]:
        yield request(settings, 1)
        yield request(settings, 2)
        raise ValueError("cannot build")

    try:
        with pytest.raises(ValueError, match="cannot build"):
            transport.execute(failing())
        responses = transport.execute([request(settings, 3), request(settings, 4)])
    finally:
        transport.close()
    assert [response.status for response in responses] == [403, 403]
