"""Paces sends per FCM project: a token bucket whose rate halves on a 429 and then recovers.

FCM allows 600,000 messages per minute per project. The delivery worker takes one token per
message before a batch goes out and waits for the bucket when it is empty. A 429 from the
provider halves the project's rate; the halved rate holds for a while and then climbs back to
the full rate linearly, so a throttled project is slowed down instead of hammered.

The bucket lives in the execution environment (it persists across invocations of a warm worker).
``FCM_MESSAGES_PER_MINUTE`` is therefore the rate of one worker: with several concurrent delivery
workers, set it to the project's quota divided by their maximum concurrency.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pushgate.config import PacingPolicy


@dataclass
class _Bucket:
    tokens: float
    refilled_at: float
    halved_rate: float | None = None
    halved_at: float = 0.0


class ProjectRateLimiter:
    """Token buckets per project (an FCM project id).

    Args:
        policy: Rates and recovery.
        clock: Monotonic seconds.
        sleep: Waits a number of seconds (pacing is waiting by design).
    """

    def __init__(
        self,
        policy: PacingPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, project: str, now: float) -> _Bucket:
        bucket = self._buckets.get(project)
        if bucket is None:
            bucket = _Bucket(tokens=self._policy.full_rate * self._policy.burst_seconds, refilled_at=now)
            self._buckets[project] = bucket
        return bucket

    def _rate(self, bucket: _Bucket, now: float) -> float:
        policy, full = self._policy, self._policy.full_rate
        if bucket.halved_rate is None:
            return full
        climbing = now - bucket.halved_at - policy.hold_seconds
        if climbing <= 0:
            return bucket.halved_rate
        if climbing >= policy.recovery_seconds:
            bucket.halved_rate = None
            return full
        return bucket.halved_rate + (full - bucket.halved_rate) * climbing / policy.recovery_seconds

    def _refill(self, bucket: _Bucket, now: float) -> float:
        rate = self._rate(bucket, now)
        capacity = rate * self._policy.burst_seconds
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.refilled_at) * rate)
        bucket.refilled_at = now
        return rate

    def rate(self, project: str) -> float:
        """The project's current rate, in messages per second."""
        now = self._clock()
        return self._rate(self._bucket(project, now), now)

    def acquire(self, project: str, count: int) -> float:
        """Takes ``count`` tokens, waiting until the bucket has refilled enough; returns the seconds waited."""
        now = self._clock()
        bucket = self._bucket(project, now)
        rate = self._refill(bucket, now)
        # The tokens are taken at once (the balance may go negative): later callers queue behind this batch.
        bucket.tokens -= count
        if bucket.tokens >= 0:
            return 0.0
        wait = -bucket.tokens / rate
        self._sleep(wait)
        return wait

    def throttled(self, project: str) -> None:
        """Halves the project's rate after a 429 (at most once per halving interval)."""
        policy = self._policy
        now = self._clock()
        bucket = self._bucket(project, now)
        self._refill(bucket, now)
        if bucket.halved_rate is not None and now - bucket.halved_at < policy.halving_interval_seconds:
            return
        floor = policy.full_rate * policy.floor_fraction
        bucket.halved_rate = max(floor, self._rate(bucket, now) / 2)
        bucket.halved_at = now
        bucket.tokens = min(bucket.tokens, bucket.halved_rate * policy.burst_seconds)
