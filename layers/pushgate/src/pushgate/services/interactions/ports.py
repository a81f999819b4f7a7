"""Ports of interaction reporting, insights and exports; the adapters live in
``pushgate.adapters.dynamodb.interactions``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pushgate.models.interaction import Interaction, TrackedNotification
from pushgate.models.send import TrackingRef


@dataclass(frozen=True)
class DayCounts:
    """One day's counters of a message, journey or app.

    Attributes:
        day: The UTC day (``yyyy-mm-dd``).
        inflow: Recipients the day's sends asked for.
        sent: Notifications the providers accepted.
        not_sent: Ledger entries that ended ``NotSent`` (devices and device-less recipients).
        not_sent_reasons: ``not_sent`` by reason.
        opened: ``Opened`` interactions.
        unique_opens: Notifications opened for the first time that day.
        clicks: ``LinkClicked`` interactions (bots excluded).
        unique_clicks: Notifications clicked for the first time that day.
        bot_clicks: ``BotLinkClicked`` interactions.
        deferred: Recipients whose notification quiet hours deferred (counted when the send was accepted).
    """

    day: str
    inflow: int = 0
    sent: int = 0
    not_sent: int = 0
    not_sent_reasons: dict[str, int] = field(default_factory=dict)
    opened: int = 0
    unique_opens: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    bot_clicks: int = 0
    deferred: int = 0


@dataclass(frozen=True)
class InteractionPage:
    """One page of an export.

    Attributes:
        interactions: The records, sends' ledgers first (by send time), then opens and clicks by time.
        next_token: Where the next page starts, or ``None`` on the last page.
    """

    interactions: list[Interaction]
    next_token: str | None


class TrackedNotifications(Protocol):
    """Finds the notification a tracking id was handed out for."""

    def locate(self, tracking_key: str) -> TrackingRef | None:
        """The delivery job a GUID tracking id's key was issued for, or ``None``."""

    def find(self, ref: TrackingRef, tracking_id: str) -> TrackedNotification | None:
        """The notification whose stored tracking id equals ``tracking_id``, or ``None``."""


class EngagementRecorder(Protocol):
    """Records opens and clicks with their counters."""

    def record(self, notification: TrackedNotification, interactions: Sequence[Interaction]) -> list[Interaction]:
        """Stores the records and adds them to the day's counters of the message, app and journey,
        all or nothing; an open or click of a notification counts as unique only the first time,
        and the reports of one tap count each type once (:func:`~pushgate.models.interaction.new_in_tap`).

        Returns:
            The interactions recorded (none when the report repeats what its tap already counted).

        Raises:
            DependencyError: DynamoDB failed or stayed contended.
        """


class InsightCounterReader(Protocol):
    """Reads the daily insight counters."""

    def days(self, org_id: str, dimension: str, dimension_id: str, first_day: str, last_day: str) -> list[DayCounts]:
        """The days between two days (inclusive) that have counters, in order."""


class InteractionExport(Protocol):
    """Pages through a message's or journey's interactions."""

    def page(
        self, org_id: str, dimension: str, dimension_id: str, *, limit: int, next_token: str | None
    ) -> InteractionPage:
        """One page of the records (``dimension`` is ``MESSAGE`` or ``JOURNEY``).

        Raises:
            InvalidRequestError: ``next_token`` is not one this listing returned.
        """
