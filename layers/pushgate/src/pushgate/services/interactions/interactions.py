"""Interaction reporting: app-reported opens (CI-J's events API) and tracked-link clicks.

The events API carries no ApiToken (as in CI-J), so an event is believed only when its
``TrackingId`` is one Pushgate handed out in that org, for a notification the provider accepted,
and its ``DeviceToken``, when sent, is the device it went to. Anything else is refused with
nothing recorded. The reports of one tap count once (``models.interaction.new_in_tap``).

A tracked link redirects only to the URL its own notification carried (stored in the ledger entry
at delivery), never to anything the request names. Requests that look automated are recorded as
``BotLinkClicked`` and still redirected: a HEAD request, a known scanner or bot user agent (or
none at all), or a click sooner after delivery than a person could manage.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

from pushgate.errors import DependencyError, InvalidRequestError, NotFoundError
from pushgate.ids import new_id, parse_uuid
from pushgate.models.device import normalize_token, token_shape_problem
from pushgate.models.interaction import (
    Interaction,
    InteractionSource,
    InteractionType,
    TrackedNotification,
    engagement,
)
from pushgate.models.send import canonical_tracking_id, parse_legacy_tracking_id, tracking_key_of
from pushgate.observability import logger
from pushgate.services.interactions.ports import EngagementRecorder, TrackedNotifications

#: A click sooner than this after delivery is taken for a link scanner, not a person.
DEFAULT_HUMAN_CLICK_DELAY: Final = timedelta(seconds=2)
#: User agents of link scanners, previewers, crawlers and HTTP libraries (a person's browser never says these).
BOT_USER_AGENT: Final = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|scanner|facebookexternalhit|whatsapp|telegram|skypeuripreview"
    r"|headless|python-|httpx|curl/|wget/|go-http-client|java/|libwww|node-fetch|axios/|safelinks|proofpoint"
    r"|mimecast|barracuda|urldefense|google-safety",
    re.IGNORECASE,
)
#: ``PushNotificationStatus`` as CI-J's samples send it: 1/"1"/"Opened" and 0/"0"/"Clicked".
_STATUS_NAMES: Final = {"1": InteractionType.OPENED, "opened": InteractionType.OPENED}
_STATUS_NAMES_CLICKED: Final = {"0": InteractionType.LINK_CLICKED, "clicked": InteractionType.LINK_CLICKED}
STATUS_PROBLEM: Final = 'must be 1 or "Opened" (opened), or 0 or "Clicked" (clicked)'
#: The tracking id of test sends, which the samples skip (and so does Pushgate).
_ZERO_TRACKING_ID: Final = "00000000-0000-0000-0000-000000000000"
#: URL schemes a redirect never goes to, whatever a message says.
_REFUSED_SCHEMES: Final = frozenset({"javascript", "data", "vbscript", "file"})
_UNSAFE_URL_CHARACTERS: Final = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class InteractionStores:
    """The ports of interaction reporting.

    Attributes:
        notifications: Resolves tracking ids.
        recorder: Records opens and clicks with their counters.
    """

    notifications: TrackedNotifications
    recorder: EngagementRecorder


def _now() -> datetime:
    return datetime.now(UTC)


def parse_status(value: int | str) -> InteractionType:
    """Reads ``PushNotificationStatus``: ``Opened`` (1) or ``Clicked`` (0), as number, digit or name.

    Raises:
        InvalidRequestError: Anything else.
    """
    text = str(value).strip().lower()
    found = _STATUS_NAMES.get(text) or _STATUS_NAMES_CLICKED.get(text)
    if found is None:
        raise InvalidRequestError.for_field("PushNotificationStatus", STATUS_PROBLEM)
    return found


def _resolve(org_id: str | None, tracking_id: str, stores: InteractionStores) -> TrackedNotification | None:
    canonical = canonical_tracking_id(tracking_id)
    tracking_key = tracking_key_of(canonical)
    # GUIDs resolve through their job's tracking key; 64-character ids issued earlier name their job.
    ref = stores.notifications.locate(tracking_key) if tracking_key else parse_legacy_tracking_id(canonical)
    if ref is None or (org_id is not None and ref.org_id != org_id):
        return None
    found = stores.notifications.find(ref, canonical)
    return found if found is not None and found.was_sent else None


def _same_device(notification: TrackedNotification, device_token: str) -> bool:
    entry = notification.entry
    if entry.platform is None or entry.token_sha256 is None:
        return False
    token = device_token.strip()
    if token_shape_problem(entry.platform, token) is not None:
        return False
    digest = hashlib.sha256(normalize_token(entry.platform, token).encode("utf-8")).hexdigest()
    return hmac.compare_digest(digest, entry.token_sha256)


def report_event(
    org_id: str,
    *,
    tracking_id: str,
    device_token: str | None,
    status: int | str,
    stores: InteractionStores,
    now: Callable[[], datetime] = _now,
    make_id: Callable[[], str] = new_id,
) -> list[Interaction]:
    """Records an app-reported event (v1 and v2 events API).

    ``Opened`` records an open. ``Clicked`` (the legacy samples send it instead of ``Opened`` when
    the notification has a link, i.e. for the tap on the notification) records an open and a link
    click, so the click-to-open rate stays meaningful; unique clicks count once per notification
    whether the click came from the app or from the tracked link, and the app's report and the
    redirect of the same tap count one click.

    Args:
        org_id: The org in the path.
        tracking_id: The payload's ``trackingId`` (a GUID; any letter case).
        device_token: The device's APNs or FCM token; when present it must be the notification's
            device. Microsoft's Android sample sends none: the unguessable tracking id is then
            the whole proof, as it is for the tracked link.
        status: ``PushNotificationStatus`` as sent.
        stores: The ports.
        now: Clock.
        make_id: Interaction id factory.

    Returns:
        The interactions recorded (none when the report repeats what its tap already counted).

    Raises:
        InvalidRequestError: Malformed org id or status, a tracking id not issued in this org for a
            sent notification, or a device token that is not that notification's device. Nothing
            is recorded.
        DependencyError: DynamoDB failed.
    """
    org = parse_uuid(org_id, "orgId")
    kind = parse_status(status)
    tracking_id = tracking_id.strip()
    if not tracking_id or tracking_id == _ZERO_TRACKING_ID:
        raise InvalidRequestError.for_field("TrackingId", "is empty or the all-zero id of a test send")
    notification = _resolve(org, tracking_id, stores)
    if notification is None:
        raise InvalidRequestError.for_field("TrackingId", "does not name a notification sent in this org")
    if device_token is not None and device_token.strip() and not _same_device(notification, device_token):
        raise InvalidRequestError.for_field("DeviceToken", "is not the device this notification was sent to")
    at = now()
    kinds = [InteractionType.OPENED] if kind is InteractionType.OPENED else [InteractionType.OPENED, kind]
    # A click names the URL its notification opened, as the redirect's click does (CI-J's TargetUrl).
    target = notification.entry.opened_url
    interactions = [
        engagement(
            notification,
            each,
            interaction_id=make_id(),
            at=at,
            source=InteractionSource.APP,
            target_url=target if each is InteractionType.LINK_CLICKED else None,
        )
        for each in kinds
    ]
    return stores.recorder.record(notification, interactions)


def bot_reason(
    *, method: str, user_agent: str, since_delivery: timedelta, human_delay: timedelta = DEFAULT_HUMAN_CLICK_DELAY
) -> str | None:
    """Why a link request looks automated, or ``None`` when it looks like a person's click."""
    if method.upper() == "HEAD":
        return "HeadRequest"
    if not user_agent.strip():
        return "NoUserAgent"
    if BOT_USER_AGENT.search(user_agent):
        return "KnownBotUserAgent"
    if since_delivery < human_delay:
        return "ClickedTooFast"
    return None


def _redirectable(url: str) -> bool:
    if not url or _UNSAFE_URL_CHARACTERS.search(url):
        return False
    scheme = urlsplit(url).scheme.lower()
    return bool(scheme) and scheme not in _REFUSED_SCHEMES


@dataclass(frozen=True)
class LinkClick:
    """The outcome of following a tracked link.

    Attributes:
        target_url: Where to redirect.
        interaction: The click recorded (``None`` when the same tap's click was already counted, or
            recording failed; the person is redirected anyway).
    """

    target_url: str
    interaction: Interaction | None


def follow_link(
    tracking_id: str,
    *,
    method: str,
    user_agent: str,
    source_ip: str,
    stores: InteractionStores,
    human_delay: timedelta = DEFAULT_HUMAN_CLICK_DELAY,
    now: Callable[[], datetime] = _now,
    make_id: Callable[[], str] = new_id,
) -> LinkClick:
    """Records a tracked-link click (``LinkClicked`` or ``BotLinkClicked``) and says where to redirect.

    Raises:
        NotFoundError: The id names no tracked link Pushgate sent (no redirect at all).
    """
    notification = _resolve(None, tracking_id.strip(), stores)
    target = notification.entry.link if notification is not None else None
    if notification is None or target is None or not _redirectable(target):
        raise NotFoundError(message="this link is not known or no longer available")
    at = now()
    since_delivery = at - notification.entry.at
    reason = bot_reason(method=method, user_agent=user_agent, since_delivery=since_delivery, human_delay=human_delay)
    # Bot clicks keep the user agent and address as evidence (as CI-J's bot interaction); people's do not.
    interaction = engagement(
        notification,
        InteractionType.LINK_CLICKED if reason is None else InteractionType.BOT_LINK_CLICKED,
        interaction_id=make_id(),
        at=at,
        source=InteractionSource.LINK,
        reason=reason,
        target_url=target,
        user_agent=(user_agent[:512] or None) if reason else None,
        ip_address=(source_ip or None) if reason else None,
    )
    reported = [interaction]
    if reason is None:
        # A person following the link tapped the notification: an open, unless one is known already.
        implied_open = engagement(
            notification, InteractionType.OPENED, interaction_id=make_id(), at=at, source=InteractionSource.LINK
        )
        reported.append(implied_open)
    try:
        recorded = stores.recorder.record(notification, reported)
    except DependencyError:
        # The person still gets where they were going; only the count is lost.
        logger.warning("link click not recorded", extra={"send_id": notification.send_id})
        return LinkClick(target, None)
    return LinkClick(target, next((i for i in recorded if i.type is interaction.type), None))
