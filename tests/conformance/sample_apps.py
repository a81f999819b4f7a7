"""Emulations of Microsoft's CI-J sample apps: what each reads from a notification, what it shows,
what a tap opens and which event it posts.

Each class follows the receive and report logic of the published samples ("Receiving push
notifications on mobile devices" and "Interaction reporting for push notifications" in the
Customer Insights - Journeys developer docs, and the v1 tracking route of the earlier Real-time
marketing pages), key by key, including how their languages read JSON: in Objective-C a JSON
``null`` is ``NSNull`` while an absent key is ``nil``; Swift's ``as? String`` turns both into
``nil``; Android's ``RemoteMessage.getData()`` is a string map in which an absent key is ``null``.
Only the platform calls (showing, opening a URL, posting JSON) are replaced by records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

#: Stands for Objective-C's ``nil`` (an absent key); a JSON ``null`` arrives as Python ``None`` (``NSNull``).
NIL: Final = object()
#: The samples skip reporting for this id (test sends carry it or an empty one).
ZERO_TRACKING_ID: Final = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Report:
    """An HTTP request a sample posts to the CI-J (here Pushgate) endpoint."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Handled:
    """What a sample did with one notification.

    Attributes:
        shown_title: The title the user sees.
        shown_body: The body the user sees.
        image_fetched: The image URL the app (or its iOS Notification Service Extension) downloads.
        opened_url: The URL the tap hands to the system (``None``: the tap opened the app).
        reports: The events posted, in order.
    """

    shown_title: str | None
    shown_body: str | None
    image_fetched: str | None = None
    opened_url: str | None = None
    reports: list[Report] = field(default_factory=list)


def _objc_value(container: Any, key: str) -> Any:
    """``[container valueForKey:key]``: ``nil`` for a missing key or a missing container."""
    if not isinstance(container, dict):
        return NIL
    return container.get(key, NIL)


def _objc_length(value: Any) -> int:
    """``[value length]``: messaging ``nil`` answers 0."""
    return 0 if value is NIL or value is None else len(str(value))


def _ios_shown(payload: dict[str, Any]) -> Handled:
    """What iOS itself does before the app's handler runs: it shows ``aps.alert`` and, with
    ``mutable-content: 1`` only, runs the rich-push Notification Service Extension, which reads
    ``data["imageUrl"] as? String`` and downloads it."""
    aps = payload.get("aps", {})
    alert = aps.get("alert", {})
    data = payload.get("data")
    image = data.get("imageUrl") if isinstance(data, dict) and aps.get("mutable-content") == 1 else None
    return Handled(alert.get("title"), alert.get("body"), image_fetched=image if isinstance(image, str) else None)


@dataclass(frozen=True)
class ObjectiveCSample:
    """``application:didReceiveRemoteNotification:fetchCompletionHandler:`` and ``createInteraction``.

    Registers through v1 with its token as upper-case hex (``%02.2hhX``) and reports through the v1
    trackings route with ``PushNotificationStatus`` 0 (link) or 1 (opened) and that token.
    """

    org_id: str
    device_token: str
    platform: str = "ios"

    def handle(self, payload: dict[str, Any]) -> Handled:
        handled = _ios_shown(payload)
        data = _objc_value(payload, "data")
        url_string = _objc_value(data, "link")
        tracking_id = _objc_value(data, "trackingId")
        if url_string is not None:  # if (![urlString isEqual:[NSNull null]]): nil is not NSNull either
            if _objc_length(url_string) != 0:
                handled.reports.append(self._interaction(0, tracking_id))
                handled.opened_url = str(url_string)
        else:
            handled.reports.append(self._interaction(1, tracking_id))
        return handled

    def background(self, payload: dict[str, Any]) -> Handled:
        """A background push (``content-available: 1``): iOS wakes the app and calls the same
        ``didReceiveRemoteNotification:fetchCompletionHandler:``, with nothing shown or tapped."""
        return self.handle(payload)

    def _interaction(self, status: int, tracking_id: Any) -> Report:
        tracking = "" if tracking_id is NIL or tracking_id is None else str(tracking_id)
        return Report(
            f"/api/v1.0/orgs/{self.org_id}/pushchannel/event/trackings/{tracking}",
            {"PushNotificationStatus": status, "DeviceToken": self.device_token.upper()},
            {"content-type": "application/json"},
        )


@dataclass(frozen=True)
class SwiftSample:
    """``userNotificationCenter(_:didReceive:withCompletionHandler:)`` and ``createInteraction``.

    Reports through v2 events with the status as a string (``String(typeInteraction)``). The
    published guard reads ``if !trackingId.isEmpty || trackingId == "000..."`` and so would return
    for every real id; its evident intent (skip an empty or all-zero id, as the docs say) is what
    is emulated here.
    """

    org_id: str
    device_token: str
    platform: str = "ios"

    def handle(self, payload: dict[str, Any]) -> Handled:
        handled = _ios_shown(payload)
        found = payload.get("data")
        data: dict[str, Any] = found if isinstance(found, dict) else {}  # userInfo["data"] as? [String:Any] ?? [:]
        url_string = data.get("link") if isinstance(data.get("link"), str) else None  # as? String
        tracking_id = data.get("trackingId") if isinstance(data.get("trackingId"), str) else None
        if url_string is not None and url_string != "":
            self._interaction(handled, 0, tracking_id or "")
            handled.opened_url = url_string
        else:
            self._interaction(handled, 1, tracking_id or "")
        return handled

    def background(self, payload: dict[str, Any]) -> Handled:
        """A background push: iOS shows nothing, so there is no tap for the sample's only handler
        (``userNotificationCenter(_:didReceive:)``) to see; the sample does nothing else."""
        return Handled(None, None) if "alert" not in payload.get("aps", {}) else self.handle(payload)

    def _interaction(self, handled: Handled, status: int, tracking_id: str) -> None:
        if not tracking_id or tracking_id == ZERO_TRACKING_ID:
            return
        handled.reports.append(
            Report(
                f"/api/v1.0/orgs/{self.org_id}/pushdatareceiver/events",
                {"PushNotificationStatus": str(status), "DeviceToken": self.device_token, "TrackingId": tracking_id},
                {"Content-Type": "application/json", "Accept": "application/json"},
            )
        )


@dataclass(frozen=True)
class AndroidJavaSample:
    """``onMessageReceived``, ``sendNotification``/``createContentIntent`` and ``MainActivity.onCreate``.

    Reads the data map (after the notification block, if any); a tap with a ``link`` fires
    ``ACTION_VIEW`` on it (the browser, not ``MainActivity``, so nothing is reported); without one it
    starts ``MainActivity``, which posts ``Opened`` through v2 events. The sample's
    ``EventTrackingContract(event)`` carries no device token, and ``JSONObject.put`` with a ``null``
    value leaves the key out.
    """

    org_id: str
    device_token: str
    platform: str = "android"

    def background(self, message: dict[str, Any]) -> Handled:
        """A message that is not meant to be seen: ``onMessageReceived`` runs as for any data
        message, and a notification it draws would be tapped like any other."""
        return self.handle(message) or Handled(None, None)

    def handle(self, message: dict[str, Any]) -> Handled | None:
        notification = message.get("notification") or {}
        title, body = notification.get("title"), notification.get("body")
        data: dict[str, str] = message.get("data") or {}
        image_url = deep_link = tracking_id = None
        if data:
            title = data["title"] if data.get("title") is not None else title
            body = data["body"] if data.get("body") is not None else body
            image_url = data.get("imageUrl")
            deep_link = data.get("link")
            if "trackingId" in data:
                tracking_id = data["trackingId"]
        if body is None and title is None:
            return None  # "Empty Notification Received"
        handled = Handled(title, body, image_fetched=image_url)
        if deep_link is not None:  # Intent.ACTION_VIEW, Uri.parse(deeplink)
            handled.opened_url = deep_link
            return handled
        contract: dict[str, Any] = {"PushNotificationStatus": "Opened"}
        if tracking_id is not None:
            contract["TrackingId"] = tracking_id
        handled.reports.append(
            Report(
                f"/api/v1.0/orgs/{self.org_id}/pushdatareceiver/events",
                contract,
                {"Content-Type": "application/json"},
            )
        )
        return handled
