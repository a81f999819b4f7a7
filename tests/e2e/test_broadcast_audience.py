"""Broadcasts decide each person as a per-recipient send does, over HTTP through the dev server.

People are written with the directory API and their devices registered with the device API; the
broadcast (``"Audience": "AllActiveDevices"``) must then skip whoever withdrew push consent (even
just before the send) or was erased, track links only with tracking consent, hold people in quiet
hours until their morning in their own zone, and render each person's first name. The simulator's
record (``GET /sim/notifications`` behind ``dev_stack.simulator``) says what each device received.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, Table, wait_until
from tests.e2e.test_delivery_timing import _day_after_tomorrow, app, policy, received, totals
from tests.e2e.test_sends import create_active_message, ledger, wait_for_completion

pytestmark = pytest.mark.stack

__all__ = ["app"]  # the fixture this module uses from the timing tests


def _person(
    admin: httpx.Client, public: httpx.Client, app: RegisteredApp, attributes: dict[str, Any] | None
) -> tuple[str, str]:
    """A contact with ``attributes`` (``None``: no directory record at all) and one Android device
    registered over the device API; returns the id and the token once the device is stored."""
    user_id = f"bc-{uuid.uuid4().hex[:12]}"
    if attributes is not None:
        saved = admin.put(f"/admin/v1/orgs/{app.org_id}/contacts/{user_id}", json=attributes)
        assert saved.status_code in {200, 201}, saved.text
    token = f"fcm-broadcast-{uuid.uuid4().hex}"
    registered = public.post(
        app.v1(user_id), json={"FcmDeviceContract": {"FcmToken": token}, "ApiToken": app.api_token}
    )
    assert registered.status_code == 200, registered.text
    return user_id, token


def _message(admin: httpx.Client, org_id: str) -> str:
    return create_active_message(
        admin,
        org_id,
        {
            "Name": "Evening news",
            "Title": 'Hi {{contact.firstname | default: "there"}}',
            "Body": "Tonight's news",
            "OnClick": {"Behavior": "OpenUrl", "Url": "https://contoso.com/news"},
        },
    )


def _payload(dev_stack: LocalRuntime, token: str) -> str:
    (notification,) = received(dev_stack, token)
    return str(notification["payload"])


def test_a_broadcast_honours_consent_tracking_quiet_hours_and_names_each_person(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, app: RegisteredApp, clock: Any
) -> None:
    assert policy(admin, app, DefaultTimeZone="Europe/Berlin", QuietHours={"Start": "21:00", "End": "08:00"}).is_success
    day = _day_after_tomorrow()
    clock(Now=(day + timedelta(hours=12, minutes=30)).isoformat())  # 13:30 in Berlin, 21:30 in Tokyo
    org = app.org_id
    tracked = _person(admin, public, app, {"firstname": "Alba", "trackingconsent": True})
    untracked = _person(admin, public, app, {"firstname": "Bruno"})
    declined = _person(admin, public, app, {"firstname": "Carla", "pushconsent": False})
    in_tokyo = _person(admin, public, app, {"firstname": "Dora", "timezone": "Asia/Tokyo"})
    withdrawing = _person(admin, public, app, {"firstname": "Emil"})
    erased = _person(admin, public, app, {"firstname": "Fabia"})
    anonymous = _person(admin, public, app, None)
    regranting = _person(admin, public, app, {"firstname": "Hugo", "pushconsent": False})
    everyone = [tracked, untracked, declined, in_tokyo, withdrawing, erased, anonymous, regranting]
    store = Table(dev_stack)
    wait_until(lambda: all(store.devices(app, user) for user, _ in everyone), "the registrations", 60)

    # Consent changes right before the send hold for it.
    for user, consent in ((withdrawing[0], False), (regranting[0], True)):
        changed = admin.patch(f"/admin/v1/orgs/{org}/contacts/{user}", json={"pushconsent": consent})
        assert changed.status_code == 200, changed.text
    gone = admin.delete(f"/admin/v1/orgs/{org}/contacts/{erased[0]}", params={"erase": "true"})
    assert gone.status_code in {200, 204}, gone.text
    message_id = _message(admin, org)
    accepted = admin.post(
        f"/admin/v1/orgs/{org}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Audience": "AllActiveDevices"},
    )
    assert accepted.status_code == 202, accepted.text
    send_id = str(accepted.json()["SendId"])

    now = [tracked, untracked, anonymous, regranting]
    wait_until(lambda: all(received(dev_stack, token) for _, token in now), "the notifications due now", 120)
    held = wait_until(
        lambda: (body := totals(admin, org, send_id))["Status"] == "Scheduled" and body, "the held job", 60
    )
    assert held["Deferred"] == 1
    assert [hour["Hour"] for hour in held["Scheduled"]] == [(day + timedelta(hours=23)).strftime("%Y-%m-%dT%H:00:00Z")]
    assert held["NotSentReasons"] == {"NoPushConsent": 2}
    for _, token in (declined, withdrawing, erased, in_tokyo):
        assert received(dev_stack, token) == []

    # Each person's own first name (the anonymous device the default), and a tracked link only
    # for the person who consented to tracking.
    assert "Hi Alba" in _payload(dev_stack, tracked[1])
    assert "Hi Bruno" in _payload(dev_stack, untracked[1])
    assert "Hi Hugo" in _payload(dev_stack, regranting[1])
    assert "Hi there" in _payload(dev_stack, anonymous[1])
    assert "/l/" in _payload(dev_stack, tracked[1])
    for _, token in (untracked, anonymous, regranting):
        assert "/l/" not in _payload(dev_stack, token)
        assert "https://contoso.com/news" in _payload(dev_stack, token)

    # 08:00 in Tokyo: Dora's notification goes out, and the send completes.
    clock(Now=(day + timedelta(hours=23)).isoformat())
    wait_until(lambda: received(dev_stack, in_tokyo[1]), "Dora's morning notification", 120)
    assert "Hi Dora" in _payload(dev_stack, in_tokyo[1])
    done = wait_for_completion(admin, org, send_id)
    assert (done["Sent"], done["NotSent"]) == (5, 2)
    entries = ledger(admin, org, send_id)
    refused = {entry["UserId"] for entry in entries if entry.get("Reason") == "NoPushConsent"}
    assert refused == {declined[0], withdrawing[0]}
    assert {entry["UserId"] for entry in entries if entry["Outcome"] == "Sent"} == {
        user for user, _ in [*now, in_tokyo]
    }
    # The message's insights count what the send's totals count: the refusals decided while the
    # audience was read, and the deferral, besides the deliveries.
    overall = admin.get(
        f"/admin/v1/orgs/{org}/insights/messages/{message_id}",
        params={"From": day.date().isoformat(), "To": (day + timedelta(days=1)).date().isoformat()},
    ).json()["Overall"]
    assert (overall["Sent"], overall["NotSent"], overall["Deferred"]) == (5, 2, 1)
    assert overall["NotSentReasons"] == {"NoPushConsent": 2}
