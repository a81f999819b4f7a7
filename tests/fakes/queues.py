"""A queue port (pages, delivery jobs) that keeps what it is given, in order."""

from __future__ import annotations

from collections.abc import Sequence


class ListQueue:
    """A queue that keeps what it is given."""

    def __init__(self) -> None:
        self.items: list[object] = []

    def send(self, items: Sequence[object], *, delay_seconds: int = 0) -> None:
        self.items.extend(items)
