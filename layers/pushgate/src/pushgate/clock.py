"""The clock of delivery timing: the real time, or the local runtime's movable one.

Scheduled sends, quiet hours, frequency caps, device registrations, provider verdicts and the token
cleanup read "now" through :func:`delivery_clock` (``deps.clock``). In AWS that is the system clock.
The local runtime can shift it (``POST /_local/clock``) by writing an offset to a small JSON file
every function reads, so a test can schedule a send for 09:00 in
Tokyo, advance the clock and watch it go out, or let a device go stale and run the cleanup, without
waiting. Provider tokens, idempotency records and TTLs keep the real time.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path


def system_now() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


class OffsetClock:
    """The real time plus the offset a file holds (``{"offset_seconds": 3600}``), re-read when it changes."""

    def __init__(self, path: Path) -> None:
        """Reads the offset from ``path`` (a missing or unreadable file means no offset)."""
        self._path = path
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._offset = timedelta()

    def _current_offset(self) -> timedelta:
        try:
            stamp = os.stat(self._path).st_mtime_ns
        except OSError:
            return timedelta()
        with self._lock:
            if stamp != self._stamp:
                try:
                    seconds = float(json.loads(self._path.read_text(encoding="utf-8")).get("offset_seconds", 0))
                except (OSError, ValueError, AttributeError):
                    seconds = 0.0
                self._stamp, self._offset = stamp, timedelta(seconds=seconds)
            return self._offset

    def __call__(self) -> datetime:
        """Now, shifted."""
        return system_now() + self._current_offset()


def delivery_clock(local_clock_file: str) -> Callable[[], datetime]:
    """The clock delivery timing reads: the system clock, or the local runtime's offset clock."""
    return OffsetClock(Path(local_clock_file)) if local_clock_file else system_now
