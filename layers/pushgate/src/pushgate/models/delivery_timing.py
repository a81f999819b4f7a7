"""Delivery timing and fatigue rules: recipient-local times, quiet hours and frequency caps.

Everything here is pure: instants are aware ``datetime`` values, zones are ``ZoneInfo``. The send
fan-out uses these rules to decide when each recipient's notification should land; the delivery
worker uses the cap rules a job carries.

Local times that do not exist or exist twice (daylight-saving transitions) are resolved the way
``java.time`` and most calendars do: a time in a spring-forward gap moves forward by the gap's
length (02:30 on a day that skips 02:00-03:00 becomes 03:30), and a time in a fall-back overlap
means its first occurrence (the earlier instant).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Final
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from pushgate.models.frozen import Frozen
from pushgate.models.push import NOW_OR_NEVER

#: How far ahead a send may be scheduled.
MAX_SCHEDULE_AHEAD: Final = timedelta(days=30)
#: The widest offsets of any zone from UTC (Kiribati is UTC+14, Baker Island UTC-12).
_MAX_EAST: Final = timedelta(hours=14)
_MAX_WEST: Final = timedelta(hours=12)
_CLOCK_TIME: Final = re.compile(r"^(\d{2}):(\d{2})$")
_LOCAL_DATE_TIME: Final = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})$")
#: Cap scope of the all-messages cap; category caps use ``category:<name>``.
ALL_MESSAGES_SCOPE: Final = "*"


def parse_clock_time(value: str) -> time:
    """``HH:MM`` (00:00 to 23:59) as a ``time``.

    Raises:
        ValueError: Not of that form, or out of range (``25:00``, ``12:60``); the message says why.
    """
    match = _CLOCK_TIME.fullmatch(value.strip())
    if match is None:
        raise ValueError("must be a 24-hour time HH:MM, such as 09:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{value.strip()} is not a time of day (00:00 to 23:59)")
    return time(hour, minute)


@dataclass(frozen=True)
class LocalSendTime:
    """``SendAtLocalTime``: a wall-clock time in each recipient's zone, on a given local date or the next one.

    Attributes:
        at: The wall-clock time.
        on: The local date, or ``None`` for the next occurrence of ``at`` in each recipient's zone.
    """

    at: time
    on: date | None = None

    @classmethod
    def parse(cls, value: str) -> LocalSendTime:
        """``"09:00"`` or ``"2026-12-24T09:00"`` (a local date and time, no offset).

        Raises:
            ValueError: Neither form, or a time or date that does not exist.
        """
        text = value.strip()
        dated = _LOCAL_DATE_TIME.fullmatch(text)
        if dated is None:
            if "T" in text or "-" in text or "+" in text or text.endswith("Z"):
                raise ValueError("must be HH:MM or YYYY-MM-DDTHH:MM in the recipient's time, without an offset")
            return cls(parse_clock_time(text))
        try:
            on = date.fromisoformat(dated.group(1))
        except ValueError:
            raise ValueError(f"{dated.group(1)} is not a calendar date") from None
        return cls(parse_clock_time(dated.group(2)), on)

    def instant_in(self, zone: ZoneInfo, *, now: datetime) -> datetime:
        """When this local time comes in ``zone``: on the given date (not before ``now``), or next after ``now``."""
        if self.on is not None:
            return max(local_instant(self.on, self.at, zone), now)
        return next_local_occurrence(now, self.at, zone)

    def check_range(self, now: datetime) -> str | None:
        """Why this time cannot be scheduled from ``now`` in any zone, or ``None`` when it can."""
        if self.on is None:
            return None
        naive = datetime.combine(self.on, self.at, tzinfo=UTC)
        if naive + _MAX_WEST <= now:
            return "is in the past in every time zone"
        if naive - _MAX_EAST > now + MAX_SCHEDULE_AHEAD:
            return f"is more than {MAX_SCHEDULE_AHEAD.days} days ahead"
        return None


def check_send_at(send_at: datetime, now: datetime) -> str | None:
    """Why a ``SendAt`` instant cannot be scheduled from ``now``, or ``None`` when it can."""
    if send_at.tzinfo is None:
        return "needs a UTC offset, for example 2026-12-24T08:00:00Z"
    if send_at <= now:
        return "is in the past"
    if send_at > now + MAX_SCHEDULE_AHEAD:
        return f"is more than {MAX_SCHEDULE_AHEAD.days} days ahead"
    return None


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date (gaps move forward, overlaps take the first)."""
    # fold=0 takes the offset in force before a transition: in a gap that lands the gap's length
    # later on the wall clock, in an overlap it is the first (daylight) occurrence.
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def next_local_occurrence(after: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first instant at or after ``after`` whose wall clock in ``zone`` reads ``at`` (see :func:`local_instant`)."""
    local_day = after.astimezone(zone).date()
    for offset in range(3):
        candidate = local_instant(local_day + timedelta(days=offset), at, zone)
        if candidate >= after:
            return candidate
    raise AssertionError("a wall-clock time recurs within two days")  # pragma: no cover


_STORED_TIME: Final = re.compile(r"^\d{2}:\d{2}:\d{2}$")


def _clock_time(value: object) -> object:
    if isinstance(value, str) and _STORED_TIME.fullmatch(value):
        return time.fromisoformat(value)  # the stored form (21:00:00)
    if isinstance(value, str):
        try:
            return parse_clock_time(value)
        except ValueError as error:
            raise PydanticCustomError("clock_time", str(error)) from None
    return value


class QuietHours(Frozen):
    """A daily window, in each recipient's local time, in which no notification should land.

    ``Start`` 21:00 and ``End`` 08:00 cross midnight: 21:00 to 23:59 and 00:00 to 07:59 are quiet.

    Attributes:
        start: First quiet minute.
        end: First minute that is no longer quiet.
    """

    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _hh_mm(cls, value: object) -> object:
        return _clock_time(value)

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise PydanticCustomError("quiet_hours_empty", "Start and End are equal: quiet hours of zero length")
        return self

    def contains(self, wall: time) -> bool:
        """Whether a wall-clock time is quiet."""
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    def release_after(self, instant: datetime, zone: ZoneInfo) -> datetime | None:
        """When quiet hours that ``instant`` falls in end, in ``zone``; ``None`` when it is not quiet."""
        local = instant.astimezone(zone)
        wall = local.time().replace(second=0, microsecond=0)
        if not self.contains(wall):
            return None
        day = local.date()
        if self.start > self.end and wall >= self.start:
            day += timedelta(days=1)
        return max(local_instant(day, self.end, zone), instant)


class FrequencyCap(Frozen):
    """At most ``max_notifications`` notifications per person in any ``period_hours`` (a rolling window)."""

    max_notifications: Annotated[int, Field(ge=1, le=1000)]
    period_hours: Annotated[int, Field(ge=1, le=720)]


class UncertainDelivery(StrEnum):
    """What becomes of a notification a delivery worker died with on the wire (it may have gone out).

    ``RESEND_COLLAPSED`` sends it again under a collapse id unique to the notification (APNs
    ``apns-collapse-id``, FCM ``android.notification.tag``), which every notification of the send
    carries from its first send, so the device shows it once even when both copies arrive.
    ``SKIP`` records it ``NotSent`` / ``DeliveryUncertain`` and never sends it again.
    """

    SKIP = "Skip"
    RESEND_COLLAPSED = "ResendCollapsed"


class DeliveryPolicy(Frozen):
    """An app's delivery policy.

    Attributes:
        default_time_zone: The zone of recipients whose ``timezone`` names none (IANA, Windows id
            or Dataverse code, as stored).
        quiet_hours: Recipient-local quiet hours, if any.
        frequency_cap: The cap over all messages, if any.
        category_caps: Caps per message ``Category``.
        uncertain_delivery: What becomes of notifications a crashed worker left uncertain (for
            messages without a collapse id of their own; see :meth:`resends_uncertain`).
        updated_at: Last change.
    """

    default_time_zone: str = "UTC"
    quiet_hours: QuietHours | None = None
    frequency_cap: FrequencyCap | None = None
    category_caps: dict[str, FrequencyCap] = Field(default_factory=dict)
    uncertain_delivery: UncertainDelivery = UncertainDelivery.RESEND_COLLAPSED
    updated_at: datetime | None = None

    def resends_uncertain(self, message_collapse_id: str | None, expires_at: int | None = None) -> bool:
        """Whether a send of a message gives each notification its own collapse id and re-sends uncertain ones.

        A message with a collapse id of its own keeps it: on Android it is a ``collapse_key``, which
        collapses what waits for an offline device, not what is on screen, so a re-sent copy could
        show twice; its uncertain notifications are skipped. So are those of a "now or never"
        message (``expires_at`` is :data:`~pushgate.models.push.NOW_OR_NEVER`): a re-send after a
        crash would be a late copy.
        """
        return (
            self.uncertain_delivery is UncertainDelivery.RESEND_COLLAPSED
            and not message_collapse_id
            and expires_at != NOW_OR_NEVER
        )

    def cap_rules(self, category: str | None) -> list[CapRule]:
        """The caps a message of ``category`` counts against."""
        rules = []
        if self.frequency_cap is not None:
            rules.append(CapRule.of(ALL_MESSAGES_SCOPE, self.frequency_cap))
        if category is not None and category in self.category_caps:
            rules.append(CapRule.of(f"category:{category}", self.category_caps[category]))
        return rules


#: The policy of an app that has none: no quiet hours, no caps, UTC.
DEFAULT_DELIVERY_POLICY: Final = DeliveryPolicy()


class CapRule(Frozen):
    """One cap a delivery job checks per recipient (copied from the policy when the send was accepted).

    Attributes:
        scope: ``*`` (every message) or ``category:<name>``.
        max_notifications: The cap.
        period_s: The rolling window.
    """

    scope: str
    max_notifications: int
    period_s: int

    @classmethod
    def of(cls, scope: str, cap: FrequencyCap) -> CapRule:
        """The rule of a policy's cap."""
        return cls(scope=scope, max_notifications=cap.max_notifications, period_s=cap.period_hours * 3600)


def admitted(history: dict[str, int], send_id: str, at: int, rule: CapRule) -> bool:
    """Whether one more notification (of ``send_id`` at epoch ``at``) fits a cap, given the scope's history.

    ``history`` maps the sends already counted in the scope to when they were counted; a send
    already in it is admitted again (a redelivered job counts once).
    """
    if send_id in history:
        return True
    recent = sum(1 for counted_at in history.values() if counted_at > at - rule.period_s)
    return recent < rule.max_notifications


def hour_bucket(instant: datetime) -> str:
    """The UTC hour an instant falls in, as ``2026-12-24T08:00:00Z`` (the key of a send's schedule)."""
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
