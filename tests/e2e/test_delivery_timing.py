"""Delivery timing and fatigue controls over HTTP: scheduled sends (UTC and recipient-local), cancel,
quiet hours, frequency caps, and the 400s of bad timing input.

The local runtime's clock is moved with ``POST /_local/clock``, which also fires the one-minute
release schedule; the simulator shows what reached each device and when the ledger says it did.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime
from tests.conftest import recent_insight_days
from tests.e2e.registration_support import RegisteredApp, create_app, wait_until
from tests.e2e.test_interactions import _export
from tests.e2e.test_sends import ledger, wait_for_completion

pytestmark = pytest.mark.stack


@pytest.fixture
def app(admin: httpx.Client, org_id: str) -> RegisteredApp:
    return create_app(admin, org_id)


def _day_after_tomorrow() -> datetime:
    """Midnight UTC two days from now: every instant the tests set lies ahead of the real clock."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=2)


def person(
    admin: httpx.Client, public: httpx.Client, app: RegisteredApp, timezone: str | int | None
) -> tuple[str, str]:
    """A contact (with ``timezone`` as given) and one Android device; returns the id and the token."""
    user_id = f"tz-{uuid.uuid4().hex[:12]}"
    attributes: dict[str, Any] = {"firstname": "Ana"}
    if timezone is not None:
        attributes["timezone"] = timezone
    saved = admin.put(f"/admin/v1/orgs/{app.org_id}/contacts/{user_id}", json=attributes)
    assert saved.status_code in {200, 201}, saved.text
    token = f"fcm-timing-{uuid.uuid4().hex}"
    contract = {"FcmDeviceContract": {"FcmToken": token}, "ApiToken": app.api_token}
    registered = public.post(app.v1(user_id), json=contract)
    assert registered.status_code == 200, registered.text
    return user_id, token


def message(admin: httpx.Client, org_id: str, **extra: Any) -> str:
    created = admin.post(
        f"/admin/v1/orgs/{org_id}/pushmessages", json={"Name": "Timing", "Title": "Hi", "Body": "Morning news", **extra}
    )
    assert created.status_code == 201, created.text
    message_id = str(created.json()["MessageId"])
    assert admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate").status_code == 200
    return message_id


def send(admin: httpx.Client, app: RegisteredApp, message_id: str, users: list[str], **timing: Any) -> str:
    body = {"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": [{"UserId": u} for u in users]}
    response = admin.post(f"/admin/v1/orgs/{app.org_id}/sends", json={**body, **timing})
    assert response.status_code == 202, response.text
    assert response.json()["Accepted"] == len(users)
    return str(response.json()["SendId"])


def policy(admin: httpx.Client, app: RegisteredApp, **body: Any) -> httpx.Response:
    return admin.put(f"/admin/v1/orgs/{app.org_id}/mobileapps/{app.app_id}/delivery-policy", json=body)


def received(dev_stack: LocalRuntime, token: str) -> list[dict[str, Any]]:
    assert dev_stack.simulator is not None
    return dev_stack.simulator.notifications(token=token)


def totals(admin: httpx.Client, org_id: str, send_id: str) -> dict[str, Any]:
    response = admin.get(f"/admin/v1/orgs/{org_id}/sends/{send_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def entry_of(admin: httpx.Client, org_id: str, send_id: str, user_id: str) -> dict[str, Any]:
    [entry] = [e for e in ledger(admin, org_id, send_id) if e["UserId"] == user_id]
    return entry


def local(at: str, zone: str) -> datetime:
    return datetime.fromisoformat(at).astimezone(ZoneInfo(zone))


def fields(response: httpx.Response) -> set[str]:
    return {detail["Field"] for detail in response.json()["Error"]["Details"]}


def test_a_local_time_send_reaches_each_recipient_at_nine_in_their_zone(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, app: RegisteredApp, clock: Any
) -> None:
    # Recipients without a zone get the app's default (São Paulo); Dataverse codes and Windows ids resolve.
    assert policy(admin, app, DefaultTimeZone="America/Sao_Paulo").status_code == 200
    tokyo = person(admin, public, app, "Asia/Tokyo")
    berlin = person(admin, public, app, 110)  # Dataverse timezonecode: W. Europe Standard Time
    new_york = person(admin, public, app, "Eastern Standard Time")
    default = person(admin, public, app, None)
    day = _day_after_tomorrow()
    clock(Now=(day + timedelta(hours=1)).isoformat())  # 10:00 in Tokyo: its 09:00 is tomorrow

    users = [u for u, _ in (tokyo, berlin, new_york, default)]
    send_id = send(admin, app, message(admin, app.org_id), users, SendAtLocalTime="09:00")

    scheduled = totals(admin, app.org_id, send_id)
    assert scheduled["Status"] == "Scheduled"
    assert scheduled["SendAtLocalTime"] == "09:00"
    hours = {h["Hour"]: (h["Recipients"], h["State"]) for h in scheduled["Scheduled"]}
    stamp = "%Y-%m-%dT%H:00:00Z"
    assert hours == {
        (day + timedelta(hours=8)).strftime(stamp): (1, "Pending"),  # Berlin, UTC+1 in winter
        (day + timedelta(hours=12)).strftime(stamp): (1, "Pending"),  # São Paulo, UTC-3
        (day + timedelta(hours=14)).strftime(stamp): (1, "Pending"),  # New York, UTC-5
        (day + timedelta(hours=24)).strftime(stamp): (1, "Pending"),  # Tokyo, UTC+9, the next day
    }
    assert all(received(dev_stack, token) == [] for _, token in (tokyo, berlin, new_york, default))

    fired = clock(Now=(day + timedelta(hours=8)).isoformat())["Fired"]
    assert {"function": "ReleaseScheduledFunction", "schedule": "EveryMinute", "ok": True} in fired
    wait_until(lambda: received(dev_stack, berlin[1]), "the Berlin notification")
    assert received(dev_stack, tokyo[1]) == [] and received(dev_stack, new_york[1]) == []
    berlin_hour = {h["Hour"]: h for h in totals(admin, app.org_id, send_id)["Scheduled"]}[
        (day + timedelta(hours=8)).strftime(stamp)
    ]
    assert (berlin_hour["Released"], berlin_hour["State"]) == (1, "Released")

    for done_jobs, hours_later in enumerate((12, 14, 24), start=2):  # São Paulo, New York, Tokyo in turn
        clock(Now=(day + timedelta(hours=hours_later)).isoformat())
        wait_until(lambda n=done_jobs: totals(admin, app.org_id, send_id)["JobsDone"] >= n, "the released job", 120)
    done = wait_for_completion(admin, app.org_id, send_id)
    assert (done["Sent"], done["NotSent"]) == (4, 0)
    for (user_id, token), zone in zip(
        (tokyo, berlin, new_york, default),
        ("Asia/Tokyo", "Europe/Berlin", "America/New_York", "America/Sao_Paulo"),
        strict=True,
    ):
        assert len(received(dev_stack, token)) == 1
        landed = local(entry_of(admin, app.org_id, send_id, user_id)["At"], zone)
        assert (landed.hour, landed.minute < 5) == (9, True), (zone, landed)


def test_cancel_stops_what_has_not_gone_out(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, app: RegisteredApp, clock: Any
) -> None:
    day = _day_after_tomorrow()
    clock(Now=day.isoformat())
    users = [person(admin, public, app, "Europe/Paris") for _ in range(2)]
    message_id = message(admin, app.org_id)
    send_id = send(admin, app, message_id, [u for u, _ in users], SendAt=(day + timedelta(hours=3)).isoformat())
    assert totals(admin, app.org_id, send_id)["Status"] == "Scheduled"

    canceled = admin.post(f"/admin/v1/orgs/{app.org_id}/sends/{send_id}/cancel")
    assert canceled.status_code == 200, canceled.text
    body = canceled.json()
    assert (body["Status"], body["NotSentReasons"], body["Sent"]) == ("Canceled", {"Canceled": 2}, 0)
    assert body["CanceledAt"] is not None
    assert [h["State"] for h in body["Scheduled"]] == ["Canceled"]
    assert {e["Reason"] for e in ledger(admin, app.org_id, send_id)} == {"Canceled"}
    assert admin.post(f"/admin/v1/orgs/{app.org_id}/sends/{send_id}/cancel").status_code == 200  # again: harmless

    clock(Now=(day + timedelta(hours=4)).isoformat())
    time.sleep(2)
    assert all(received(dev_stack, token) == [] for _, token in users)

    # A send that already went out has nothing left to cancel.
    now_send = send(admin, app, message_id, [users[0][0]])
    wait_for_completion(admin, app.org_id, now_send)
    late = admin.post(f"/admin/v1/orgs/{app.org_id}/sends/{now_send}/cancel")
    assert late.status_code == 409 and "sendId" in fields(late)

    counts = admin.get(
        f"/admin/v1/orgs/{app.org_id}/insights/messages/{message_id}",
        params={"From": day.date().isoformat(), "To": day.date().isoformat()},
    ).json()["Overall"]
    assert counts["Canceled"] == 2
    exported = _export(admin, app.org_id, "messages", message_id, "ndjson")
    assert sorted(row["Reason"] or "" for row in exported if row["SendId"] == send_id) == ["Canceled", "Canceled"]


def test_quiet_hours_defer_until_they_end_or_drop_what_would_expire(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, app: RegisteredApp, clock: Any
) -> None:
    set_policy = policy(admin, app, DefaultTimeZone="Europe/Berlin", QuietHours={"Start": "21:00", "End": "08:00"})
    assert set_policy.status_code == 200, set_policy.text
    assert set_policy.json()["QuietHours"] == {"Start": "21:00", "End": "08:00"}
    day = _day_after_tomorrow()
    clock(Now=(day + timedelta(hours=21, minutes=30)).isoformat())  # 22:30 in Berlin
    waiting, dropped, urgent, instant = (person(admin, public, app, None) for _ in range(4))

    deferred_send = send(admin, app, message(admin, app.org_id), [waiting[0]])
    expiring = message(admin, app.org_id, TimeSensitive=False, TimeToLiveSeconds=3600)
    expired_send = send(admin, app, expiring, [dropped[0]])
    urgent_send = send(admin, app, message(admin, app.org_id, TimeSensitive=True), [urgent[0]])

    held = totals(admin, app.org_id, deferred_send)
    assert (held["Status"], held["Deferred"]) == ("Scheduled", 1)
    assert [h["Hour"] for h in held["Scheduled"]] == [(day + timedelta(hours=31)).strftime("%Y-%m-%dT%H:00:00Z")]
    expired = wait_for_completion(admin, app.org_id, expired_send)
    assert expired["NotSentReasons"] == {"ExpiredInQuietHours": 1}
    # A time to live of 0 is now or never: it cannot wait for the quiet hours to end.
    instant_send = send(admin, app, message(admin, app.org_id, TimeSensitive=False, TimeToLiveSeconds=0), [instant[0]])
    assert wait_for_completion(admin, app.org_id, instant_send)["NotSentReasons"] == {"ExpiredInQuietHours": 1}
    assert received(dev_stack, instant[1]) == []
    wait_for_completion(admin, app.org_id, urgent_send)
    assert len(received(dev_stack, urgent[1])) == 1
    assert received(dev_stack, waiting[1]) == []

    # Test sends ignore quiet hours.
    test_send = admin.post(
        f"/admin/v1/orgs/{app.org_id}/pushmessages/{expiring}/testsend",
        json={"MobileAppId": app.app_id, "DeviceToken": dropped[1], "Platform": "Android"},
    )
    assert test_send.status_code == 200, test_send.text
    assert len(received(dev_stack, dropped[1])) == 1

    clock(Now=(day + timedelta(hours=31)).isoformat())  # 08:00 in Berlin
    done = wait_for_completion(admin, app.org_id, deferred_send)
    assert done["Sent"] == 1
    entry = entry_of(admin, app.org_id, deferred_send, waiting[0])
    assert (entry["Outcome"], entry["Reason"]) == ("Sent", "DeferredQuietHours")
    assert local(entry["At"], "Europe/Berlin").hour == 8
    app_counts = admin.get(
        f"/admin/v1/orgs/{app.org_id}/insights/apps/{app.app_id}",
        params={"From": day.date().isoformat(), "To": (day + timedelta(days=1)).date().isoformat()},
    ).json()["Overall"]
    assert app_counts["Deferred"] == 1
    assert app_counts["NotSentReasons"]["ExpiredInQuietHours"] == 2


def test_a_cap_of_one_lets_exactly_one_of_two_racing_sends_through(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, app: RegisteredApp
) -> None:
    capped = policy(admin, app, FrequencyCap={"MaxNotifications": 1, "PeriodHours": 24})
    assert capped.status_code == 200, capped.text
    user_id, token = person(admin, public, app, "Europe/Madrid")
    first, second = message(admin, app.org_id), message(admin, app.org_id)

    with ThreadPoolExecutor(max_workers=2) as pool:
        send_ids = list(pool.map(lambda m: send(admin, app, m, [user_id]), (first, second)))
    outcomes = [wait_for_completion(admin, app.org_id, s) for s in send_ids]

    assert sorted((o["Sent"], o["NotSent"]) for o in outcomes) == [(0, 1), (1, 0)]
    assert [o["NotSentReasons"] for o in outcomes if o["NotSent"]] == [{"CappedFrequency": 1}]
    assert len(received(dev_stack, token)) == 1

    # A transactional message is exempt.
    receipt = send(admin, app, message(admin, app.org_id, Transactional=True), [user_id])
    assert wait_for_completion(admin, app.org_id, receipt)["Sent"] == 1
    assert len(received(dev_stack, token)) == 2

    insights = admin.get(f"/admin/v1/orgs/{app.org_id}/insights/apps/{app.app_id}", params=recent_insight_days())
    counts = insights.json()["Overall"]
    assert (counts["CappedFrequency"], counts["NotSentReasons"]["CappedFrequency"]) == (1, 1)


def test_category_caps_count_their_category_only(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, app: RegisteredApp
) -> None:
    assert (
        policy(
            admin,
            app,
            FrequencyCap={"MaxNotifications": 2, "PeriodHours": 24},
            CategoryCaps={"promotions": {"MaxNotifications": 1, "PeriodHours": 24}},
        ).status_code
        == 200
    )
    user_id, token = person(admin, public, app, "Europe/Madrid")
    promo = message(admin, app.org_id, Category="promotions")
    news = message(admin, app.org_id, Category="news")
    results = [
        wait_for_completion(admin, app.org_id, send(admin, app, m, [user_id])) for m in (promo, promo, news, news)
    ]

    assert [(r["Sent"], r["NotSentReasons"]) for r in results] == [
        (1, {}),
        (0, {"CappedFrequency": 1}),  # the second promotion
        (1, {}),
        (0, {"CappedFrequency": 1}),  # two counted in 24 hours (the capped one is not) is the overall cap
    ]
    assert len(received(dev_stack, token)) == 2
    exported = _export(admin, app.org_id, "messages", promo, "csv")
    assert [row["Reason"] for row in exported if row["Reason"]] == ["CappedFrequency"]


def test_bad_timing_input_is_a_400_naming_the_field_and_writes_nothing(
    admin: httpx.Client, public: httpx.Client, app: RegisteredApp
) -> None:
    user_id, _ = person(admin, public, app, "Europe/Rome")
    message_id = message(admin, app.org_id)
    base = {"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": [{"UserId": user_id}]}
    now = datetime.now(UTC)
    cases = [
        ({"SendAtLocalTime": "25:00"}, "SendAtLocalTime"),
        ({"SendAtLocalTime": "9am"}, "SendAtLocalTime"),
        ({"SendAtLocalTime": "2026-02-30T09:00"}, "SendAtLocalTime"),
        ({"SendAtLocalTime": (now - timedelta(days=2)).strftime("%Y-%m-%dT09:00")}, "SendAtLocalTime"),
        ({"SendAtLocalTime": (now + timedelta(days=40)).strftime("%Y-%m-%dT09:00")}, "SendAtLocalTime"),
        ({"SendAt": (now - timedelta(minutes=5)).isoformat()}, "SendAt"),
        ({"SendAt": (now + timedelta(days=31)).isoformat()}, "SendAt"),
        ({"SendAt": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")}, "SendAt"),
        ({"SendAt": (now + timedelta(days=1)).isoformat(), "SendAtLocalTime": "09:00"}, "SendAtLocalTime"),
    ]
    for timing, field in cases:
        response = admin.post(f"/admin/v1/orgs/{app.org_id}/sends", json={**base, **timing})
        assert (response.status_code, field in fields(response)) == (400, True), (timing, response.text)

    bad_policies = [
        ({"QuietHours": {"Start": "25:00", "End": "08:00"}}, "QuietHours.Start"),
        ({"QuietHours": {"Start": "22:00", "End": "22:00"}}, "QuietHours"),
        ({"DefaultTimeZone": "Mars/Olympus"}, "DefaultTimeZone"),
        ({"FrequencyCap": {"MaxNotifications": 0, "PeriodHours": 24}}, "FrequencyCap.MaxNotifications"),
        ({"UncertainDelivery": "Sometimes"}, "UncertainDelivery"),
        ({"UncertainDelivery": None}, "UncertainDelivery"),
    ]
    for body, field in bad_policies:
        response = policy(admin, app, **body)
        assert (response.status_code, field in fields(response)) == (400, True), (body, response.text)
    shown = admin.get(f"/admin/v1/orgs/{app.org_id}/mobileapps/{app.app_id}/delivery-policy").json()
    assert (shown["IsDefault"], shown["QuietHours"], shown["DefaultTimeZoneResolved"]) == (True, None, "UTC")

    unknown_zone = admin.put(f"/admin/v1/orgs/{app.org_id}/contacts/tz-bad", json={"timezone": "Mars/Olympus"})
    assert unknown_zone.status_code == 400 and "timezone" in fields(unknown_zone)


def test_the_local_clock_only_moves_forward_and_refuses_bad_bodies(admin: httpx.Client, clock: Any) -> None:
    shown = admin.get("/_local/clock").json()
    assert abs(datetime.fromisoformat(shown["Now"]) - datetime.now(UTC)) < timedelta(minutes=1)
    for body in ({"AdvanceSeconds": -5}, {"Now": "2030-01-01T09:00"}, {"Later": 1}, [1]):
        response = admin.post("/_local/clock", json=body)
        assert response.status_code == 400, (body, response.text)
    moved = clock(AdvanceSeconds=7200)
    assert moved["OffsetSeconds"] >= 7200
    assert httpx.post(f"{admin.base_url}/_local/clock", json={"AdvanceSeconds": 1}).status_code == 401
