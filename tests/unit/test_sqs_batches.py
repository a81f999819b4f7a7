"""Batching to SQS: ten entries and 256 KiB per call, refused entries resent, then a clear failure."""

from __future__ import annotations

from typing import Any

import pytest

from pushgate.adapters.sqs import SqsBatchSender
from pushgate.errors import DependencyError


class FakeSqs:
    def __init__(self, refuse_first: int = 0, refuse_always: bool = False) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self._refuse_first = refuse_first
        self._refuse_always = refuse_always

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        if self._refuse_always or len(self.calls) <= self._refuse_first:
            return {"Failed": [{"Id": Entries[0]["Id"]}], "Successful": [{"Id": e["Id"]} for e in Entries[1:]]}
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


def test_entries_are_grouped_by_ten_and_by_size() -> None:
    sqs = FakeSqs()

    SqsBatchSender(sqs, "q", queue_name="test").send(["x"] * 25 + ["y" * 100_000] * 3, delay_seconds=5000)  # type: ignore[arg-type]

    # Ten entries per call; the third call takes five small bodies and two large ones, then 256 KiB is full.
    assert [len(call) for call in sqs.calls] == [10, 10, 7, 1]
    assert {entry["DelaySeconds"] for call in sqs.calls for entry in call} == {900}


def test_refused_entries_are_resent() -> None:
    sqs = FakeSqs(refuse_first=1)

    SqsBatchSender(sqs, "q", queue_name="test").send(["a", "b", "c"])  # type: ignore[arg-type]

    assert [[e["MessageBody"] for e in call] for call in sqs.calls] == [["a", "b", "c"], ["a"]]


def test_entries_refused_three_times_are_a_dependency_error() -> None:
    sqs = FakeSqs(refuse_always=True)

    with pytest.raises(DependencyError, match="the test queue is unavailable"):
        SqsBatchSender(sqs, "q", queue_name="test").send(["a"])  # type: ignore[arg-type]
    assert len(sqs.calls) == 3
