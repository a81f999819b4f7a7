"""The FCM pacing token bucket, driven by a fake clock."""

from __future__ import annotations

import pytest

from pushgate.config import FCM_MESSAGES_PER_MINUTE, PacingPolicy, clear_settings, settings
from pushgate.providers.pacing import ProjectRateLimiter
from tests.fakes.clocks import FakeClock


def _limiter(clock: FakeClock, **policy: float) -> ProjectRateLimiter:
    return ProjectRateLimiter(PacingPolicy(**policy), clock=clock.now, sleep=clock.sleep)  # type: ignore[arg-type]


def test_the_default_is_fcms_quota_of_600000_a_minute_per_project() -> None:
    clock = FakeClock()
    limiter = _limiter(clock)
    assert FCM_MESSAGES_PER_MINUTE == 600_000
    assert limiter.rate("p") == 10_000
    # A full second's worth goes out at once; the next message waits a tenth of a millisecond.
    assert limiter.acquire("p", 10_000) == 0
    assert limiter.acquire("p", 1) == pytest.approx(1 / 10_000)


def test_the_rate_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FCM_MESSAGES_PER_MINUTE", "1200")
    clear_settings()
    try:
        assert settings(PacingPolicy).full_rate == 20
    finally:
        clear_settings()


def test_sustained_sending_is_paced_at_the_rate() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, messages_per_minute=6000)  # 100 a second
    started = clock.at
    for _ in range(30):
        limiter.acquire("p", 50)
    # 1,500 messages: 100 from the full bucket, then 1,400 at 100 a second.
    assert clock.at - started == pytest.approx(14.0)


def test_projects_have_separate_buckets() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, messages_per_minute=600)
    assert limiter.acquire("a", 10) == 0
    assert limiter.acquire("b", 10) == 0
    assert limiter.acquire("a", 10) == pytest.approx(1.0)


def test_a_429_halves_the_rate_which_holds_and_then_recovers_gradually() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, messages_per_minute=6000, hold_seconds=10, recovery_seconds=60)
    limiter.throttled("p")
    assert limiter.rate("p") == 50
    clock.advance(10)
    assert limiter.rate("p") == 50
    clock.advance(30)
    assert limiter.rate("p") == pytest.approx(75)
    clock.advance(30)
    assert limiter.rate("p") == 100
    # Waiting honours the halved rate while it holds.
    limiter.throttled("p")
    limiter.acquire("p", 50)
    assert limiter.acquire("p", 50) == pytest.approx(1.0)


def test_429s_in_quick_succession_halve_once_and_never_below_the_floor() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, messages_per_minute=6400, floor_fraction=1 / 8, halving_interval_seconds=1)
    for _ in range(5):
        limiter.throttled("p")
    assert limiter.rate("p") == pytest.approx(6400 / 60 / 2)
    for _ in range(6):
        clock.advance(1)
        limiter.throttled("p")
    assert limiter.rate("p") == pytest.approx(6400 / 60 / 8)
