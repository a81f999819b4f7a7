"""Insights per message, journey and app (overall and per day), and exports of interaction records.

Counts come from the daily counters (``INSIGHT#...`` items), never from scanning records:
inflow, sent and not sent by reason are added when a send is accepted and when each delivery job
is recorded; opens and clicks when they are reported. Rates follow CI-J: open rate = unique opens
÷ sent, click-through rate = unique clicks ÷ sent, click-to-open rate = unique clicks ÷ unique opens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final

from pushgate.errors import InvalidRequestError
from pushgate.ids import parse_uuid
from pushgate.services.apps.orgs import get_org
from pushgate.services.directory.person_attributes import canonical_client_id
from pushgate.services.interactions.ports import (
    DayCounts,
    InsightCounterReader,
    InteractionExport,
    InteractionPage,
)
from pushgate.services.ports import OrgRepository

#: Days an insight report covers when ``From`` is not given (ending ``To``, today by default).
DEFAULT_DAYS: Final = 30
#: Longest range one report may cover.
MAX_DAYS: Final = 366


class InsightDimension(StrEnum):
    """What an insight report or export is about (the path segment)."""

    MESSAGES = "messages"
    JOURNEYS = "journeys"
    APPS = "apps"

    @property
    def counter_dimension(self) -> str:
        """The dimension's name in counter and record keys."""
        return {"messages": "MESSAGE", "journeys": "JOURNEY", "apps": "APP"}[self.value]


@dataclass(frozen=True)
class Metrics:
    """Counts over a period, with the rates derived from them.

    Attributes:
        counts: The summed counters (``day`` is the period's first day).
    """

    counts: DayCounts

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def open_rate(self) -> float | None:
        """Unique opens ÷ sent (``None`` when nothing was sent)."""
        return self._rate(self.counts.unique_opens, self.counts.sent)

    @property
    def click_through_rate(self) -> float | None:
        """Unique clicks ÷ sent."""
        return self._rate(self.counts.unique_clicks, self.counts.sent)

    @property
    def click_to_open_rate(self) -> float | None:
        """Unique clicks ÷ unique opens."""
        return self._rate(self.counts.unique_clicks, self.counts.unique_opens)


@dataclass(frozen=True)
class InsightReport:
    """An insight report.

    Attributes:
        dimension: Messages, journeys or apps.
        dimension_id: The message, journey or app.
        first_day: First day covered.
        last_day: Last day covered.
        overall: The whole period.
        days: Every day of the period, in order (days without activity count zero).
    """

    dimension: InsightDimension
    dimension_id: str
    first_day: date
    last_day: date
    overall: Metrics
    days: list[Metrics] = field(default_factory=list)


def _today() -> date:
    return datetime.now(UTC).date()


def canonical_dimension_id(dimension: InsightDimension, dimension_id: str) -> str:
    """The id as keys hold it: messages and apps are UUIDs, journeys are client-chosen ids.

    Raises:
        InvalidRequestError: The id is malformed (names the path parameter).
    """
    if dimension is InsightDimension.JOURNEYS:
        return canonical_client_id(dimension_id, "journeyId")
    return parse_uuid(dimension_id, "messageId" if dimension is InsightDimension.MESSAGES else "appId")


def _period(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    last_day = last or today
    first_day = first or last_day - timedelta(days=DEFAULT_DAYS - 1)
    if first_day > last_day:
        raise InvalidRequestError.for_field("From", "must not be after To")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise InvalidRequestError.for_field("From", f"the range may cover at most {MAX_DAYS} days")
    return first_day, last_day


def summed(day: str, counts: Sequence[DayCounts]) -> DayCounts:
    """The sum of several days' counters."""
    reasons: dict[str, int] = {}
    for each in counts:
        for reason, count in each.not_sent_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
    return DayCounts(
        day=day,
        inflow=sum(c.inflow for c in counts),
        sent=sum(c.sent for c in counts),
        not_sent=sum(c.not_sent for c in counts),
        not_sent_reasons=dict(sorted(reasons.items())),
        opened=sum(c.opened for c in counts),
        unique_opens=sum(c.unique_opens for c in counts),
        clicks=sum(c.clicks for c in counts),
        unique_clicks=sum(c.unique_clicks for c in counts),
        bot_clicks=sum(c.bot_clicks for c in counts),
        deferred=sum(c.deferred for c in counts),
    )


def insight_report(
    org_id: str,
    dimension: InsightDimension,
    dimension_id: str,
    *,
    first_day: date | None,
    last_day: date | None,
    orgs: OrgRepository,
    counters: InsightCounterReader,
    today: Callable[[], date] = _today,
) -> InsightReport:
    """The insights of a message, journey or app over a period of UTC days.

    Raises:
        InvalidRequestError: Malformed ids, or a period that is reversed or longer than 366 days.
        NotFoundError: No such org.
    """
    org = get_org(org_id, orgs=orgs)
    canonical = canonical_dimension_id(dimension, dimension_id)
    first, last = _period(first_day, last_day, today())
    found = {
        c.day: c
        for c in counters.days(org.org_id, dimension.counter_dimension, canonical, first.isoformat(), last.isoformat())
    }
    days = []
    for offset in range((last - first).days + 1):
        day = (first + timedelta(days=offset)).isoformat()
        days.append(Metrics(found.get(day, DayCounts(day=day))))
    overall = Metrics(summed(first.isoformat(), [d.counts for d in days]))
    return InsightReport(dimension, canonical, first, last, overall, days)


def export_interactions(
    org_id: str,
    dimension: InsightDimension,
    dimension_id: str,
    *,
    limit: int,
    next_token: str | None,
    orgs: OrgRepository,
    export: InteractionExport,
) -> InteractionPage:
    """One page of a message's or journey's interaction records.

    Raises:
        InvalidRequestError: Apps (exports are per message or journey), malformed ids or ``NextToken``.
        NotFoundError: No such org.
    """
    org = get_org(org_id, orgs=orgs)
    if dimension is InsightDimension.APPS:
        raise InvalidRequestError.for_field("dimension", "exports are per message or per journey")
    canonical = canonical_dimension_id(dimension, dimension_id)
    return export.page(org.org_id, dimension.counter_dimension, canonical, limit=limit, next_token=next_token)
