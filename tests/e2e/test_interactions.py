"""Interactions end to end: a send through the simulator, Microsoft's event requests replayed with the
payload's trackingId, tracked links clicked by people and bots, insights and exports checked exactly."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime
from tests.conftest import recent_insight_days
from tests.e2e.registration_support import create_app
from tests.e2e.test_sends import create_active_message, ledger, seed, wait_for_completion

pytestmark = pytest.mark.stack

BROWSER = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari"
#: A person's click comes at least this long after delivery (the function's HUMAN_CLICK_SECONDS is 2).
HUMAN_DELAY_S = 2.5


def _data(notification: dict[str, Any]) -> dict[str, str]:
    payload = notification["payload"]
    found: dict[str, str] = payload.get("data") or payload["message"]["data"]
    return found


def _metrics(admin: httpx.Client, org_id: str, dimension: str, dimension_id: str) -> dict[str, Any]:
    response = admin.get(f"/admin/v1/orgs/{org_id}/insights/{dimension}/{dimension_id}", params=recent_insight_days())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    if len(body["Days"]) == 1:  # two when the test crossed midnight UTC
        assert {k: v for k, v in body["Days"][0].items() if k != "Day"} == body["Overall"]
    return dict(body["Overall"])


def _export(admin: httpx.Client, org_id: str, dimension: str, dimension_id: str, fmt: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(200):
        params = {"Format": fmt, "Limit": "7", **({"NextToken": token} if token else {})}
        page = admin.get(f"/admin/v1/orgs/{org_id}/insights/{dimension}/{dimension_id}/interactions", params=params)
        assert page.status_code == 200, page.text
        if fmt == "csv":
            assert page.headers["content-type"].startswith("text/csv")
            rows.extend(csv.DictReader(io.StringIO(page.text)))
        else:
            assert page.headers["content-type"] == "application/x-ndjson"
            rows.extend(json.loads(line) for line in page.text.splitlines())
        token = page.headers.get("x-next-token")
        if token is None:
            return rows
    raise AssertionError("the export never ended")


def test_opens_and_clicks_are_counted_exactly_and_forgeries_count_nothing(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, org_id: str
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    population = seed(dev_stack, app, 12)
    message_id = create_active_message(admin, org_id)
    journey = f"journey-{uuid.uuid4().hex[:8]}"
    recipients = [{"UserId": user, "TriggerData": {"order": f"SO-{n}"}} for n, user in enumerate(population.users)]
    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": recipients, "JourneyId": journey},
    )
    assert accepted.status_code == 202, accepted.text
    send_id = accepted.json()["SendId"]
    totals = wait_for_completion(admin, org_id, send_id)
    sent_entries = {e["TrackingId"]: e for e in ledger(admin, org_id, send_id, "Sent")}

    # What the devices received: each notification's trackingId and (with tracking consent) link.
    received = [n for t in population.tokens("valid") for n in dev_stack.simulator.notifications(token=t)]
    assert len(received) == totals["Sent"] == len(sent_entries)
    by_id = {_data(n)["trackingId"]: (n["token"], _data(n)) for n in received}
    assert set(by_id) == set(sent_entries)
    tracked = [tid for tid, (_, data) in by_id.items() if data["link"].endswith(f"/l/{tid}")]
    untracked = [tid for tid, (_, data) in by_id.items() if tid not in tracked]
    assert len(tracked) >= 3 and len(untracked) >= 2
    for tid in untracked:
        # Without tracking consent the app still opens the URL: the plain one, no redirect.
        assert by_id[tid][1]["link"] == by_id[tid][1]["originalLink"]
        assert by_id[tid][1]["link"].startswith("https://contoso.com/orders/")

    events = f"/api/v1.0/orgs/{org_id}/pushdatareceiver/events"

    def v1(tid: str) -> str:
        return f"/api/v1.0/orgs/{org_id}/pushchannel/event/trackings/{tid}"

    a, b, c = untracked[0], untracked[1], tracked[0]
    d, e = tracked[1], tracked[2]
    token_of = {tid: by_id[tid][0] for tid in by_id}

    # Microsoft's v2 example (a JSON number), then the Swift sample's string: one tap, one open.
    assert (
        public.post(events, json={"TrackingId": a, "DeviceToken": token_of[a], "PushNotificationStatus": 1}).status_code
        == 202
    )
    assert (
        public.post(
            events, json={"TrackingId": a, "DeviceToken": token_of[a], "PushNotificationStatus": "1"}
        ).status_code
        == 202
    )
    # The legacy v1 route: the Android sample's enum name, then the Obj-C sample's 0 (Clicked).
    assert public.post(v1(b), json={"DeviceToken": token_of[b], "PushNotificationStatus": "Opened"}).status_code == 200
    assert public.post(v1(c), json={"DeviceToken": token_of[c], "PushNotificationStatus": 0}).status_code == 200

    # Forged, mismatched, foreign and malformed reports: 400, nothing counted.
    other_org = admin.post("/admin/v1/orgs", json={"Name": "Other"}).json()["OrgId"]
    forged = [
        (events, {"TrackingId": str(uuid.uuid4()), "DeviceToken": token_of[a], "PushNotificationStatus": 1}),
        (events, {"TrackingId": a[:-4] + "AAAA", "DeviceToken": token_of[a], "PushNotificationStatus": 1}),
        (events, {"TrackingId": a, "DeviceToken": token_of[b], "PushNotificationStatus": 1}),
        (
            events,
            {
                "TrackingId": "00000000-0000-0000-0000-000000000000",
                "DeviceToken": token_of[a],
                "PushNotificationStatus": 1,
            },
        ),
        (
            f"/api/v1.0/orgs/{other_org}/pushdatareceiver/events",
            {"TrackingId": a, "DeviceToken": token_of[a], "PushNotificationStatus": 1},
        ),
        (
            f"/api/v1.0/orgs/{uuid.uuid4()}/pushdatareceiver/events",
            {"TrackingId": a, "DeviceToken": token_of[a], "PushNotificationStatus": 1},
        ),
        (
            "/api/v1.0/orgs/not-an-org/pushdatareceiver/events",
            {"TrackingId": a, "DeviceToken": token_of[a], "PushNotificationStatus": 1},
        ),
        (v1(a), {"DeviceToken": token_of[b], "PushNotificationStatus": 1}),
        (events, {"TrackingId": a, "DeviceToken": token_of[a], "PushNotificationStatus": 2}),
        (events, {"TrackingId": a, "DeviceToken": token_of[a], "PushNotificationStatus": True}),
        (events, {"TrackingId": a, "PushNotificationStatus": 1, "DeviceToken": 7}),
        (events, [{"TrackingId": a, "DeviceToken": token_of[a], "PushNotificationStatus": 1}]),
    ]
    for path, body in forged:
        response = public.post(path, json=body)
        assert response.status_code == 400, (path, body, response.text)
        assert response.json()["Error"]["Details"], response.text
    assert public.post(events, content=b"{not json", headers={"content-type": "application/json"}).status_code == 400

    # Tracked links: a bot first (scanners come at once), then a person, after a person's delay.
    assert public.get(f"/l/{e}", headers={"user-agent": "Slackbot-LinkExpanding 1.0"}).status_code == 302
    assert public.head(f"/l/{d}", headers={"user-agent": BROWSER}).status_code == 302
    delivered = max(datetime.fromisoformat(sent_entries[t]["At"]) for t in (d, c))
    remaining = HUMAN_DELAY_S - (datetime.now(UTC) - delivered).total_seconds()
    assert remaining <= HUMAN_DELAY_S, "the stack's clock is ahead of real time: a test left it moved"
    if remaining > 0:
        time.sleep(remaining)  # the bot rule is about time itself: a person cannot click sooner
    original = f"https://contoso.com/orders/SO-{population.users.index(sent_entries[d]['UserId'])}"
    for _ in range(2):
        click = public.get(f"/l/{d}", headers={"user-agent": BROWSER})
        assert click.status_code == 302, click.text
        assert click.headers["location"] == original
        assert click.headers["cache-control"] == "no-store"
    # Open-redirect attempts: only the message's URL is ever a target; unknown ids get no redirect.
    steered = public.get(f"/l/{d}", params={"url": "https://evil.example"}, headers={"user-agent": "curl/8.5"})
    assert steered.headers["location"] == original
    for path in (f"/l/{d[:-4]}AAAA", "/l/https%3A%2F%2Fevil.example", f"/l/{uuid.uuid4()}"):
        refused = public.get(path, headers={"user-agent": BROWSER})
        assert refused.status_code == 404, path
        assert "location" not in refused.headers
        assert "text/html" in refused.headers["content-type"]

    expected = {
        "Inflow": 12,
        "Sent": totals["Sent"],
        "NotSent": totals["NotSent"],
        "NotSentReasons": totals["NotSentReasons"],
        "Deferred": 0,
        "Canceled": 0,
        "CappedFrequency": 0,
        # a (two reports of one tap), b, c (its Clicked report is the tap), d (a person followed its link)
        "Opened": 4,
        "UniqueOpens": 4,
        "Clicks": 2,  # c through the app, d through the link (its second request is the same tap)
        "UniqueClicks": 2,
        "BotClicks": 3,  # e by Slackbot, d by HEAD, d by curl
        "OpenRate": round(4 / totals["Sent"], 4),
        "ClickThroughRate": round(2 / totals["Sent"], 4),
        "ClickToOpenRate": round(2 / 4, 4),
    }
    assert _metrics(admin, org_id, "messages", message_id) == expected
    assert _metrics(admin, org_id, "journeys", journey) == expected
    assert _metrics(admin, org_id, "apps", app.app_id) == expected

    # Exports list the ledger and every engagement, paged, as NDJSON or CSV.
    ndjson = _export(admin, org_id, "messages", message_id, "ndjson")
    kinds = Counter(row["InteractionType"] for row in ndjson)
    assert kinds == {
        "Sent": totals["Sent"],
        "NotSent": totals["NotSent"],
        "Opened": 4,
        "LinkClicked": 2,
        "BotLinkClicked": 3,
    }
    assert len({row["InteractionId"] for row in ndjson}) == len(ndjson)
    clicks = [row for row in ndjson if row["InteractionType"] == "LinkClicked" and row["Source"] == "Link"]
    assert {row["TargetUrl"] for row in clicks} == {original}
    assert {row["CustomerJourneyId"] for row in ndjson} == {journey}
    bots = {row["Reason"] for row in ndjson if row["InteractionType"] == "BotLinkClicked"}
    assert bots == {"KnownBotUserAgent", "HeadRequest"}
    as_csv = _export(admin, org_id, "journeys", journey, "csv")
    assert Counter(row["InteractionType"] for row in as_csv) == kinds


def test_insight_and_export_routes_refuse_what_they_cannot_answer(admin: httpx.Client, org_id: str) -> None:
    base = f"/admin/v1/orgs/{org_id}/insights"
    message = str(uuid.uuid4())
    assert admin.get(f"{base}/messages/{message}").json()["Overall"]["Sent"] == 0
    assert admin.get(f"{base}/campaigns/{message}").status_code == 404
    assert admin.get(f"{base}/messages/not-a-uuid").status_code == 400
    assert admin.get(f"{base}/messages/{message}", params={"From": "2026-02-30"}).status_code == 400
    assert admin.get(f"{base}/messages/{message}", params={"From": "2020-01-01", "To": "2026-01-01"}).status_code == 400
    assert admin.get(f"{base}/apps/{message}/interactions").status_code == 400
    assert admin.get(f"{base}/messages/{message}/interactions", params={"NextToken": "bm9wZQ"}).status_code == 400
    assert admin.get(f"/admin/v1/orgs/{uuid.uuid4()}/insights/messages/{message}").status_code == 404


def test_a_click_the_app_reports_names_the_url_its_notification_opened(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, org_id: str
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    population = seed(dev_stack, app, 4)
    message_id = create_active_message(admin, org_id)
    recipients = [{"UserId": user, "TriggerData": {"order": f"SO-{n}"}} for n, user in enumerate(population.users)]
    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": recipients},
    )
    assert accepted.status_code == 202, accepted.text
    wait_for_completion(admin, org_id, accepted.json()["SendId"])
    received = [n for t in population.tokens("valid") for n in dev_stack.simulator.notifications(token=t)]
    by_id = {_data(n)["trackingId"]: (n["token"], _data(n)) for n in received}
    tracked = next(tid for tid, (_, data) in by_id.items() if data["link"].endswith(f"/l/{tid}"))
    untracked = next(tid for tid, (_, data) in by_id.items() if data["link"] == data["originalLink"])

    # The Objective-C sample's v1 Clicked (0) with a tracked link, the Swift sample's v2 "0" with a
    # plain one, neither followed by the redirect: each click names where its notification led.
    v1 = f"/api/v1.0/orgs/{org_id}/pushchannel/event/trackings/{tracked}"
    clicked = public.post(v1, json={"DeviceToken": by_id[tracked][0].upper(), "PushNotificationStatus": 0})
    assert clicked.status_code == 200, clicked.text
    events = f"/api/v1.0/orgs/{org_id}/pushdatareceiver/events"
    report = {"TrackingId": untracked, "DeviceToken": by_id[untracked][0], "PushNotificationStatus": "0"}
    assert public.post(events, json=report).status_code == 202

    clicks = [row for row in _export(admin, org_id, "messages", message_id, "ndjson") if row["Source"] == "App"]
    targets = {row["TrackingId"]: row["TargetUrl"] for row in clicks if row["InteractionType"] == "LinkClicked"}
    assert targets == {tracked: by_id[tracked][1]["originalLink"], untracked: by_id[untracked][1]["link"]}
    assert all(url.startswith("https://contoso.com/orders/SO-") for url in targets.values())
    # An open is not a click: it names no URL.
    assert {row["TargetUrl"] for row in clicks if row["InteractionType"] == "Opened"} == {None}
