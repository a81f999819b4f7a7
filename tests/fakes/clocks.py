"""Clocks a test moves by hand."""

from __future__ import annotations

from dataclasses import dataclass, field


class FixedClock:
    """Wall-clock seconds (``time.time`` shape) that change only when the test sets ``now``."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeClock:
    """Monotonic time that moves only when someone sleeps or the test advances it."""

    at: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.at += seconds

    def advance(self, seconds: float) -> None:
        self.at += seconds
