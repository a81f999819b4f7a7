"""Interactions: what became of a notification after the send (opened, link clicked), as CI-J records them.

``Sent`` and ``NotSent`` are the send's ledger entries; ``Opened``, ``LinkClicked`` and
``BotLinkClicked`` are recorded when an app reports an event or a tracked link is followed. Every
interaction names its platform, profile, message and version, journey and device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from pushgate.models.device import DevicePlatform
from pushgate.models.send import LedgerEntry, Outcome, SendContext

#: How a profile type is spelled in interactions (CI-J's names).
PROFILE_TYPE_NAMES: Final = {"contact": "Contact", "lead": "Lead", "profile": "CI Profile"}
#: How a platform is spelled in interactions.
PLATFORM_NAMES: Final = {DevicePlatform.IOS: "iOS", DevicePlatform.ANDROID: "Android"}
#: Reports of one notification this close together are one tap: the Objective-C and Swift samples
#: post ``Clicked`` and open the tracked link at the same moment, and the redirect arrives
#: separately (seconds later on a slow network, or after the browser wakes up).
TAP_WINDOW: Final = timedelta(minutes=5)


class InteractionType(StrEnum):
    """The interaction types of push notifications (CI-J's ``PushNotification...`` without the prefix)."""

    SENT = "Sent"
    NOT_SENT = "NotSent"
    OPENED = "Opened"
    LINK_CLICKED = "LinkClicked"
    BOT_LINK_CLICKED = "BotLinkClicked"


class InteractionSource(StrEnum):
    """Where an engagement was observed."""

    APP = "App"  # reported by the app through the events API
    LINK = "Link"  # the tracked-link redirect
    DELIVERY = "Delivery"  # the send's ledger (Sent, NotSent)


class TrackedNotification(SendContext):
    """What a tracking id resolves to: one notification of a send and the send's context.

    Attributes (besides the :class:`SendContext`):
        entry: The notification's ledger entry (its device, recipient, outcome, tracked link).
    """

    entry: LedgerEntry

    @property
    def tracking_id(self) -> str:
        """The notification's tracking id."""
        return self.entry.tracking_id or ""

    @property
    def was_sent(self) -> bool:
        """Whether the provider accepted it (only sent notifications can be opened or clicked)."""
        return self.entry.outcome is Outcome.SENT


class Interaction(SendContext):
    """One interaction record.

    Attributes (besides the :class:`SendContext`):
        interaction_id: Unique id (ledger-derived records use the tracking id or the recipient).
        type: The interaction type.
        at: When it happened (UTC).
        source: Where it was observed.
        profile_id: The recipient's directory id.
        profile_type: ``Contact``, ``Lead`` or ``CI Profile`` when known.
        platform: ``iOS`` or ``Android`` (absent for recipient-level ``NotSent``).
        device_id: The device (SHA-256 of its token; never the token).
        tracking_id: The notification's tracking id.
        reason: ``NotSent``: the blocked reason; ``BotLinkClicked``: the bot detection reason.
        target_url: Link clicks: the URL redirected to.
        user_agent: Bot link clicks: the client's user agent.
        ip_address: Bot link clicks: the client's address.
    """

    interaction_id: str
    type: InteractionType
    at: datetime
    source: InteractionSource
    profile_id: str
    profile_type: str | None = None
    platform: str | None = None
    device_id: str | None = None
    tracking_id: str | None = None
    reason: str | None = None
    target_url: str | None = None
    user_agent: str | None = None
    ip_address: str | None = None


def engagement(
    notification: TrackedNotification,
    kind: InteractionType,
    *,
    interaction_id: str,
    at: datetime,
    source: InteractionSource,
    reason: str | None = None,
    target_url: str | None = None,
    user_agent: str | None = None,
    ip_address: str | None = None,
) -> Interaction:
    """An open or click of a tracked notification."""
    entry = notification.entry
    return Interaction(
        **notification.context_fields(),
        interaction_id=interaction_id,
        type=kind,
        at=at,
        source=source,
        profile_id=entry.user_id,
        profile_type=PROFILE_TYPE_NAMES.get(entry.profile_type or ""),
        platform=PLATFORM_NAMES[entry.platform] if entry.platform else None,
        device_id=entry.token_sha256,
        tracking_id=entry.tracking_id,
        reason=reason,
        target_url=target_url,
        user_agent=user_agent,
        ip_address=ip_address,
    )


def delivery_interaction(notification: TrackedNotification) -> Interaction:
    """The ``Sent`` or ``NotSent`` record of a ledger entry."""
    entry = notification.entry
    sent = entry.outcome is Outcome.SENT
    device = entry.token_sha256 or "recipient"
    return engagement(
        notification,
        InteractionType.SENT if sent else InteractionType.NOT_SENT,
        interaction_id=entry.tracking_id or f"{notification.send_id}:{entry.user_id}:{device}",
        at=entry.at,
        source=InteractionSource.DELIVERY,
        reason=None if sent else entry.reason,
    )


@dataclass(frozen=True)
class LastTap:
    """What the latest tap on a notification already counted.

    Attributes:
        at: When the tap's first report arrived.
        counted: The interaction types recorded for it.
    """

    at: datetime
    counted: frozenset[InteractionType]


def is_implied_open(interaction: Interaction) -> bool:
    """Whether an ``Opened`` was inferred from a person following the tracked link (not reported)."""
    return interaction.type is InteractionType.OPENED and interaction.source is InteractionSource.LINK


def new_in_tap(
    interactions: Sequence[Interaction],
    *,
    last_tap: LastTap | None,
    opened_before: bool,
    window: timedelta = TAP_WINDOW,
) -> tuple[list[Interaction], LastTap | None]:
    """Which interactions of one report are new, and the tap to remember.

    A tap counts each type once, whichever way its reports arrive: the app's ``Clicked`` (an open
    and a click) and the tracked-link redirect (a click, and an open implied when none is known yet)
    within ``window`` of the tap's first report are one open and one click. Bot clicks are never
    part of a tap. Reports outside the window start a new tap.

    Args:
        interactions: What the report would record, all at the same instant.
        last_tap: The notification's latest tap, if any.
        opened_before: Whether an open of the notification was ever recorded.
        window: How long the reports of one tap may keep arriving.

    Returns:
        The interactions to record, and the tap to store (``None`` when nothing changes).
    """
    kept = [i for i in interactions if not (is_implied_open(i) and opened_before)]
    tapped = [i for i in kept if i.type is not InteractionType.BOT_LINK_CLICKED]
    if not tapped:
        return kept, None
    at = tapped[0].at
    if last_tap is not None and abs(at - last_tap.at) < window:
        fresh = [i for i in kept if i.type is InteractionType.BOT_LINK_CLICKED or i.type not in last_tap.counted]
        added = frozenset(i.type for i in fresh if i.type is not InteractionType.BOT_LINK_CLICKED)
        return fresh, (LastTap(last_tap.at, last_tap.counted | added) if added else None)
    return kept, LastTap(at, frozenset(i.type for i in tapped))
