"""Interaction reporting with in-memory ports: tracking ids, events, tracked links, bot rules, insights."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from pushgate.adapters.dynamodb import keys
from pushgate.api.schemas.interactions import EXPORT_COLUMNS, EventBody, InsightResponse, export_row, render_export
from pushgate.errors import DependencyError, InvalidRequestError, NotFoundError
from pushgate.models.device import DevicePlatform
from pushgate.models.interaction import (
    TAP_WINDOW,
    Interaction,
    InteractionSource,
    InteractionType,
    LastTap,
    TrackedNotification,
    delivery_interaction,
    engagement,
    new_in_tap,
)
from pushgate.models.send import (
    LEGACY_TRACKING_ID_LENGTH,
    LedgerEntry,
    Outcome,
    TrackingRef,
    canonical_tracking_id,
    new_tracking_id,
    new_tracking_key,
    parse_legacy_tracking_id,
    tracking_key_of,
)
from pushgate.services.interactions import insights, interactions
from pushgate.services.interactions.insights import InsightDimension
from pushgate.services.interactions.interactions import InteractionStores, bot_reason, parse_status
from pushgate.services.interactions.ports import DayCounts
from tests.fakes.stores import FakeOrgs
from tests.unit.test_delivery import World as DeliveryWorld
from tests.unit.test_delivery import _device as delivery_device
from tests.unit.test_delivery import _job as delivery_job

ORG = "0b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a10"
OTHER_ORG = "1b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a11"
SEND = "5d0c3f7a-9b1e-4c2d-8e6f-0a1b2c3d4e5f"
APP, MESSAGE = "7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b", "8f9a0b1c-2d3e-4f5a-8b6c-7d8e9f0a1b2c"
DELIVERED_AT = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
APNS_TOKEN = "ab" * 32
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile Safari"
#: The tracking key of job 00000 of SEND in the fakes (the fan-out draws one per job).
JOB_KEYS = {job: new_tracking_key() for job in range(3)}
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _notification(
    *, job: int = 0, outcome: Outcome = Outcome.SENT, link: str | None = "https://contoso.com/sale"
) -> TrackedNotification:
    return TrackedNotification(
        org_id=ORG,
        send_id=SEND,
        app_id=APP,
        message_id=MESSAGE,
        message_version=3,
        journey_id="spring",
        entry=LedgerEntry(
            user_id="contact-1",
            outcome=outcome,
            platform=DevicePlatform.IOS,
            token_sha256=_sha(APNS_TOKEN),
            tracking_id=new_tracking_id(JOB_KEYS[job]),
            at=DELIVERED_AT,
            profile_type="contact",
            link=link,
        ),
    )


@dataclass
class FakeNotifications:
    known: list[TrackedNotification]
    asked: list[TrackingRef] = field(default_factory=list)
    #: Tracking keys of other orgs' jobs.
    foreign: dict[str, TrackingRef] = field(default_factory=dict)

    def locate(self, tracking_key: str) -> TrackingRef | None:
        if tracking_key in self.foreign:
            return self.foreign[tracking_key]
        job = next((job for job, key in JOB_KEYS.items() if key == tracking_key), None)
        return None if job is None else TrackingRef(org_id=ORG, send_id=SEND, job_id=f"{job:05d}")

    def find(self, ref: TrackingRef, tracking_id: str) -> TrackedNotification | None:
        self.asked.append(ref)
        return next((n for n in self.known if n.tracking_id == tracking_id), None)


@dataclass
class FakeRecorder:
    """Records what the service asks for (the tap rule is the adapter's, tested on its own below)."""

    recorded: list[Interaction] = field(default_factory=list)
    broken: bool = False

    def record(self, notification: TrackedNotification, found: Sequence[Interaction]) -> list[Interaction]:
        if self.broken:
            raise DependencyError(message="the data store is unavailable; retry later")
        self.recorded.extend(found)
        return list(found)


@dataclass
class World:
    notification: TrackedNotification = field(default_factory=_notification)
    recorder: FakeRecorder = field(default_factory=FakeRecorder)
    foreign: dict[str, TrackingRef] = field(default_factory=dict)

    @property
    def stores(self) -> InteractionStores:
        notifications = FakeNotifications([self.notification], foreign=self.foreign)
        return InteractionStores(notifications=notifications, recorder=self.recorder)

    def report(self, *, tracking_id: str | None = None, token: str | None = APNS_TOKEN, status: int | str = 1) -> None:
        interactions.report_event(
            ORG.upper(),
            tracking_id=self.notification.tracking_id if tracking_id is None else tracking_id,
            device_token=token,
            status=status,
            stores=self.stores,
            now=lambda: DELIVERED_AT + timedelta(minutes=5),
        )

    def click(self, *, method: str = "GET", agent: str = BROWSER, after: timedelta = timedelta(seconds=30)) -> str:
        return interactions.follow_link(
            self.notification.tracking_id,
            method=method,
            user_agent=agent,
            source_ip="198.51.100.7",
            stores=self.stores,
            now=lambda: DELIVERED_AT + after,
        ).target_url


# ---------------------------------------------------------------- tracking ids


def test_a_tracking_id_is_a_random_v4_guid_whose_first_half_is_its_job_s_key() -> None:
    tracking_key = new_tracking_key()
    first, second = new_tracking_id(tracking_key), new_tracking_id(tracking_key)
    assert first != second
    assert re.fullmatch(GUID, first)
    assert str(uuid.UUID(first)) == first and uuid.UUID(first).version == 4
    assert tracking_key_of(first) == tracking_key_of(second) == tracking_key
    # Nothing in it comes from the org or send: two jobs of one send share nothing.
    assert tracking_key_of(new_tracking_id(new_tracking_key())) != tracking_key


def test_reported_guids_are_read_in_any_letter_case() -> None:
    tracking_id = new_tracking_id(new_tracking_key())
    assert canonical_tracking_id(f" {tracking_id.upper()} ") == tracking_id
    assert tracking_key_of(canonical_tracking_id(tracking_id.upper())) is not None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "00000000-0000-0000-0000-000000000000",
        "6f1f3c9e-1d0a-5b7e-9c55-0e2d8b5a7c31",  # version 5
        "6f1f3c9e1d0a4b7e9c550e2d8b5a7c31",  # not canonical
        "x" * 64,
    ],
)
def test_other_strings_have_no_tracking_key(value: str) -> None:
    assert tracking_key_of(canonical_tracking_id(value)) is None


def _legacy_tracking_id(org_id: str, send_id: str, job_number: int) -> str:
    raw = bytes([1]) + uuid.UUID(org_id).bytes + uuid.UUID(send_id).bytes + job_number.to_bytes(3, "big") + b"r" * 12
    return base64.urlsafe_b64encode(raw).decode("ascii")


def test_legacy_tracking_ids_still_name_their_org_send_and_job() -> None:
    legacy = _legacy_tracking_id(ORG, SEND, 1234)
    assert len(legacy) == LEGACY_TRACKING_ID_LENGTH == 64
    assert parse_legacy_tracking_id(legacy) == TrackingRef(org_id=ORG, send_id=SEND, job_id="01234")


@pytest.mark.parametrize(
    "value",
    ["", "00000000-0000-0000-0000-000000000000", "x" * 64, "A" * 63, "é" * 64, "AAAA" * 16, "a#b" + "A" * 61],
)
def test_anything_else_is_not_a_legacy_tracking_id(value: str) -> None:
    assert parse_legacy_tracking_id(value) is None


def test_a_legacy_tracking_id_of_a_delivered_notification_is_still_believed() -> None:
    world = World()
    legacy = _legacy_tracking_id(ORG, SEND, 0)
    world.notification = world.notification.model_copy(
        update={"entry": world.notification.entry.model_copy(update={"tracking_id": legacy})}
    )
    world.report(tracking_id=legacy)
    assert [i.type for i in world.recorder.recorded] == [InteractionType.OPENED]


# ---------------------------------------------------------------- events API


@pytest.mark.parametrize(
    ("status", "kinds"),
    [
        (1, ["Opened"]),
        ("1", ["Opened"]),
        ("Opened", ["Opened"]),
        ("opened", ["Opened"]),
        (0, ["Opened", "LinkClicked"]),
        ("0", ["Opened", "LinkClicked"]),
        ("Clicked", ["Opened", "LinkClicked"]),
    ],
)
def test_every_spelling_of_the_status_is_accepted(status: int | str, kinds: list[str]) -> None:
    world = World()
    world.report(status=status)
    assert [i.type.value for i in world.recorder.recorded] == kinds
    opened = world.recorder.recorded[0]
    assert (opened.profile_id, opened.profile_type, opened.platform) == ("contact-1", "Contact", "iOS")
    assert (opened.message_id, opened.message_version, opened.journey_id) == (MESSAGE, 3, "spring")
    assert opened.device_id == _sha(APNS_TOKEN)


@pytest.mark.parametrize(
    ("link", "untracked_link", "target"),
    [
        ("https://contoso.com/sale", None, "https://contoso.com/sale"),
        (None, "https://contoso.com/plain", "https://contoso.com/plain"),
        (None, None, None),
    ],
)
def test_a_reported_click_names_the_url_its_notification_opened(
    link: str | None, untracked_link: str | None, target: str | None
) -> None:
    notification = _notification(link=link)
    entry = notification.entry.model_copy(update={"untracked_link": untracked_link})
    world = World(notification=notification.model_copy(update={"entry": entry}))
    world.report(status="Clicked")
    assert [(i.type.value, i.target_url) for i in world.recorder.recorded] == [
        ("Opened", None),
        ("LinkClicked", target),
    ]


@pytest.mark.parametrize("status", [2, -1, "2", "Dismissed", "", "true"])
def test_unknown_statuses_are_refused(status: int | str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        parse_status(status)
    assert raised.value.problems[0].field == "PushNotificationStatus"


def test_a_boolean_status_is_not_taken_for_a_number() -> None:
    with pytest.raises(ValidationError):
        EventBody.model_validate({"TrackingId": "t", "DeviceToken": "d", "PushNotificationStatus": True})


def test_the_apns_token_may_come_in_upper_case_as_the_ios_sample_formats_it() -> None:
    world = World()
    world.report(token=APNS_TOKEN.upper())
    assert len(world.recorder.recorded) == 1


@pytest.mark.parametrize(
    ("case", "field_name"),
    [
        ("other device", "DeviceToken"),
        ("fcm-shaped token", "DeviceToken"),
        ("other org", "TrackingId"),
        ("forged id", "TrackingId"),
        ("zero id", "TrackingId"),
        ("not sent", "TrackingId"),
    ],
)
def test_forged_or_mismatched_events_are_refused_and_record_nothing(case: str, field_name: str) -> None:
    world = World()
    tracking_id = world.notification.tracking_id
    token = APNS_TOKEN
    if case == "other device":
        token = "cd" * 32
    elif case == "fcm-shaped token":
        token = "fcm:token-of-another-device"
    elif case == "other org":
        other_key = new_tracking_key()
        world.foreign[other_key] = TrackingRef(org_id=OTHER_ORG, send_id=SEND, job_id="00000")
        tracking_id = new_tracking_id(other_key)
    elif case == "forged id":
        tracking_id = new_tracking_id(JOB_KEYS[0])  # right job, wrong random part
    elif case == "zero id":
        tracking_id = "00000000-0000-0000-0000-000000000000"
    else:
        world.notification = _notification(outcome=Outcome.NOT_SENT)
        tracking_id = world.notification.tracking_id
    with pytest.raises(InvalidRequestError) as raised:
        world.report(tracking_id=tracking_id, token=token)
    assert raised.value.problems[0].field == field_name
    assert world.recorder.recorded == []


@pytest.mark.parametrize("token", [None, "", "  "])
def test_an_event_without_a_device_token_is_believed_on_its_tracking_id_alone(token: str | None) -> None:
    # Microsoft's Android sample builds its event without a DeviceToken.
    world = World()
    world.report(token=token, status="Opened")
    assert [i.type for i in world.recorder.recorded] == [InteractionType.OPENED]


def test_the_guid_may_be_reported_in_upper_case() -> None:
    world = World()
    world.report(tracking_id=world.notification.tracking_id.upper())
    assert len(world.recorder.recorded) == 1


def test_the_org_in_the_path_must_be_a_uuid() -> None:
    with pytest.raises(InvalidRequestError) as raised:
        interactions.report_event("not-an-org", tracking_id="x", device_token="y", status=1, stores=World().stores)
    assert raised.value.problems[0].field == "orgId"


# ---------------------------------------------------------------- one tap, counted once


def _reported(*kinds: tuple[InteractionType, InteractionSource], at: datetime) -> list[Interaction]:
    notification = _notification()
    return [
        engagement(notification, kind, interaction_id=f"i{n}", at=at, source=source)
        for n, (kind, source) in enumerate(kinds)
    ]


APP_CLICKED = ((InteractionType.OPENED, InteractionSource.APP), (InteractionType.LINK_CLICKED, InteractionSource.APP))
LINK_FOLLOWED = (
    (InteractionType.LINK_CLICKED, InteractionSource.LINK),
    (InteractionType.OPENED, InteractionSource.LINK),
)


def test_the_app_s_clicked_and_the_redirect_of_the_same_tap_count_one_open_and_one_click() -> None:
    first, tap = new_in_tap(_reported(*APP_CLICKED, at=DELIVERED_AT), last_tap=None, opened_before=False)
    assert [i.type for i in first] == [InteractionType.OPENED, InteractionType.LINK_CLICKED]
    assert tap == LastTap(DELIVERED_AT, frozenset({InteractionType.OPENED, InteractionType.LINK_CLICKED}))
    later = DELIVERED_AT + timedelta(seconds=3)
    second, unchanged = new_in_tap(_reported(*LINK_FOLLOWED, at=later), last_tap=tap, opened_before=True)
    assert (second, unchanged) == ([], None)


def test_the_redirect_first_then_the_app_s_report_still_count_once() -> None:
    first, tap = new_in_tap(_reported(*LINK_FOLLOWED, at=DELIVERED_AT), last_tap=None, opened_before=False)
    assert [i.type for i in first] == [InteractionType.LINK_CLICKED, InteractionType.OPENED]
    second, _ = new_in_tap(
        _reported(*APP_CLICKED, at=DELIVERED_AT + timedelta(seconds=1)), last_tap=tap, opened_before=True
    )
    assert second == []


def test_an_open_then_a_click_within_the_tap_adds_only_the_click() -> None:
    opened = _reported((InteractionType.OPENED, InteractionSource.APP), at=DELIVERED_AT)
    _, tap = new_in_tap(opened, last_tap=None, opened_before=False)
    clicked, tap = new_in_tap(
        _reported(*LINK_FOLLOWED, at=DELIVERED_AT + timedelta(seconds=2)), last_tap=tap, opened_before=True
    )
    assert [i.type for i in clicked] == [InteractionType.LINK_CLICKED]
    assert tap is not None and tap.at == DELIVERED_AT


def test_a_later_tap_counts_again_but_a_link_implies_no_second_open() -> None:
    _, tap = new_in_tap(_reported(*APP_CLICKED, at=DELIVERED_AT), last_tap=None, opened_before=False)
    later = DELIVERED_AT + TAP_WINDOW
    again, new_tap = new_in_tap(_reported(*LINK_FOLLOWED, at=later), last_tap=tap, opened_before=True)
    assert [i.type for i in again] == [InteractionType.LINK_CLICKED]
    assert new_tap == LastTap(later, frozenset({InteractionType.LINK_CLICKED}))


def test_bot_clicks_are_never_part_of_a_tap() -> None:
    _, tap = new_in_tap(_reported(*APP_CLICKED, at=DELIVERED_AT), last_tap=None, opened_before=False)
    bot = _reported((InteractionType.BOT_LINK_CLICKED, InteractionSource.LINK), at=DELIVERED_AT)
    kept, unchanged = new_in_tap(bot, last_tap=tap, opened_before=True)
    assert ([i.type for i in kept], unchanged) == ([InteractionType.BOT_LINK_CLICKED], None)


# ---------------------------------------------------------------- tracked links


def test_a_person_s_click_is_recorded_with_the_open_it_implies_and_redirected_to_the_message_s_url() -> None:
    world = World()
    assert world.click() == "https://contoso.com/sale"
    click, opened = world.recorder.recorded
    assert click.type is InteractionType.LINK_CLICKED
    assert click.target_url == "https://contoso.com/sale"
    assert (click.user_agent, click.ip_address) == (None, None)
    # Android's sample opens the link without reporting the open: the tap still opened it.
    assert (opened.type, opened.source) == (InteractionType.OPENED, InteractionSource.LINK)


@pytest.mark.parametrize(
    ("method", "agent", "after", "reason"),
    [
        ("HEAD", BROWSER, timedelta(minutes=1), "HeadRequest"),
        ("GET", "", timedelta(minutes=1), "NoUserAgent"),
        (
            "GET",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            timedelta(minutes=1),
            "KnownBotUserAgent",
        ),
        ("GET", "Mozilla/5.0 (compatible; Googlebot/2.1)", timedelta(minutes=1), "KnownBotUserAgent"),
        ("GET", "python-httpx/0.28.1", timedelta(minutes=1), "KnownBotUserAgent"),
        ("GET", BROWSER, timedelta(seconds=1), "ClickedTooFast"),
    ],
)
def test_automated_looking_clicks_are_bot_clicks_and_still_redirected(
    method: str, agent: str, after: timedelta, reason: str
) -> None:
    world = World()
    assert world.click(method=method, agent=agent, after=after) == "https://contoso.com/sale"
    (click,) = world.recorder.recorded
    assert click.type is InteractionType.BOT_LINK_CLICKED
    assert click.reason == reason
    assert click.ip_address == "198.51.100.7"


def test_bot_rules_in_isolation() -> None:
    assert bot_reason(method="GET", user_agent=BROWSER, since_delivery=timedelta(seconds=2)) is None
    assert bot_reason(method="GET", user_agent=BROWSER, since_delivery=timedelta(seconds=1.9)) == "ClickedTooFast"


@pytest.mark.parametrize(
    "link", [None, "javascript:alert(1)", "data:text/html,hi", "https://contoso.com/\r\nSet-Cookie: a=b", "no-scheme"]
)
def test_only_a_safe_url_the_message_carried_is_ever_a_target(link: str | None) -> None:
    world = World(notification=_notification(link=link))
    with pytest.raises(NotFoundError):
        world.click()
    assert world.recorder.recorded == []


def test_an_unknown_tracking_id_is_not_found() -> None:
    world = World()
    with pytest.raises(NotFoundError):
        interactions.follow_link(
            new_tracking_id(JOB_KEYS[0]), method="GET", user_agent=BROWSER, source_ip="", stores=world.stores
        )


def test_a_click_is_redirected_even_when_it_cannot_be_recorded() -> None:
    world = World(recorder=FakeRecorder(broken=True))
    assert world.click() == "https://contoso.com/sale"


# ---------------------------------------------------------------- insights


@dataclass
class FakeCounters:
    stored: dict[str, DayCounts]
    asked: list[tuple[str, str, str, str]] = field(default_factory=list)

    def days(self, org_id: str, dimension: str, dimension_id: str, first_day: str, last_day: str) -> list[DayCounts]:
        self.asked.append((dimension, dimension_id, first_day, last_day))
        return [c for d, c in sorted(self.stored.items()) if first_day <= d <= last_day]


def test_insights_sum_the_days_and_derive_the_rates() -> None:
    counters = FakeCounters(
        {
            "2026-11-22": DayCounts("2026-11-22", inflow=10, sent=8, not_sent=2, not_sent_reasons={"Unregistered": 2}),
            "2026-11-23": DayCounts("2026-11-23", opened=6, unique_opens=4, clicks=3, unique_clicks=2, bot_clicks=1),
        }
    )
    report = insights.insight_report(
        ORG,
        InsightDimension.MESSAGES,
        MESSAGE.upper(),
        first_day=date(2026, 11, 21),
        last_day=None,
        orgs=FakeOrgs(ORG, created_at=DELIVERED_AT),
        counters=counters,
        today=lambda: date(2026, 11, 23),
    )
    assert counters.asked == [("MESSAGE", MESSAGE, "2026-11-21", "2026-11-23")]
    assert [m.counts.day for m in report.days] == ["2026-11-21", "2026-11-22", "2026-11-23"]
    overall = report.overall
    assert (overall.counts.sent, overall.counts.unique_opens, overall.counts.unique_clicks) == (8, 4, 2)
    assert (overall.open_rate, overall.click_through_rate, overall.click_to_open_rate) == (0.5, 0.25, 0.5)
    assert report.days[0].open_rate is None
    body = InsightResponse.from_report(report).model_dump(mode="json")
    assert body["Overall"]["NotSentReasons"] == {"Unregistered": 2}
    assert body["Days"][2]["Day"] == "2026-11-23"
    assert body["Days"][2]["BotClicks"] == 1


@pytest.mark.parametrize(
    ("first", "last", "field_name"),
    [(date(2026, 11, 24), date(2026, 11, 23), "From"), (date(2025, 1, 1), date(2026, 11, 23), "From")],
)
def test_bad_periods_are_refused(first: date, last: date, field_name: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        insights.insight_report(
            ORG,
            InsightDimension.APPS,
            APP,
            first_day=first,
            last_day=last,
            orgs=FakeOrgs(ORG, created_at=DELIVERED_AT),
            counters=FakeCounters({}),
        )
    assert raised.value.problems[0].field == field_name


def test_insights_of_an_unknown_org_are_not_found() -> None:
    with pytest.raises(NotFoundError):
        insights.insight_report(
            OTHER_ORG,
            InsightDimension.JOURNEYS,
            "spring",
            first_day=None,
            last_day=None,
            orgs=FakeOrgs(ORG, created_at=DELIVERED_AT),
            counters=FakeCounters({}),
        )


def test_a_ledger_entry_exports_as_sent_or_not_sent() -> None:
    sent = export_row(delivery_interaction(_notification()))
    assert (sent["InteractionType"], sent["Source"], sent["Timestamp"]) == ("Sent", "Delivery", "2026-11-23T17:00:00Z")
    failed = _notification(outcome=Outcome.NOT_SENT)
    failed = failed.model_copy(update={"entry": failed.entry.model_copy(update={"reason": "Unregistered"})})
    row = export_row(delivery_interaction(failed))
    assert (row["InteractionType"], row["Reason"]) == ("NotSent", "Unregistered")


def test_an_export_page_renders_as_ndjson_or_csv() -> None:
    # Given two exported records
    rows = [export_row(delivery_interaction(_notification())), export_row(delivery_interaction(_notification()))]

    # When the page is rendered in each format
    ndjson, ndjson_type = render_export(rows, "ndjson")
    csv_body, csv_type = render_export(rows, "csv")

    # Then NDJSON is one compact object per line, CSV a header row and CRLF lines
    assert ndjson_type == "application/x-ndjson"
    assert ndjson.endswith("\n")
    assert ndjson.count("\n") == 2
    assert '"InteractionType":"Sent"' in ndjson.splitlines()[0]
    assert csv_type == "text/csv; charset=utf-8"
    lines = csv_body.split("\r\n")
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert len(lines) == 4
    assert lines[-1] == ""
    assert render_export([], "csv") == (",".join(EXPORT_COLUMNS) + "\r\n", "text/csv; charset=utf-8")
    assert render_export([], "ndjson") == ("", "application/x-ndjson")


# ---------------------------------------------------------------- keys and the delivery worker's part


def test_interaction_key_layouts() -> None:
    assert keys.interaction_partition(ORG, "JOURNEY", "spring") == f"IXN#{ORG}#JOURNEY#spring"
    assert (
        keys.interaction_event_sort_key("2026-11-23T17:00:00.000000Z", "e1") == "EVENT#2026-11-23T17:00:00.000000Z#e1"
    )
    assert keys.send_reference_sort_key("2026-11-23T17:00:00.000000Z", SEND).startswith("DELIVERY#2026-11-23T17")
    tracking_key = new_tracking_key()
    tracking_id = new_tracking_id(tracking_key)
    assert keys.first_engagement_key(ORG, SEND, "OPENED", tracking_id).as_dict() == {
        "pk": f"SEND#{ORG}#{SEND}",
        "sk": f"FIRST#OPENED#{tracking_id}",
    }
    assert keys.last_tap_key(ORG, SEND, tracking_id).as_dict() == {
        "pk": f"SEND#{ORG}#{SEND}",
        "sk": f"TAP#{tracking_id}",
    }
    assert keys.tracking_key_key(tracking_key).as_dict() == {"pk": f"TRACKING#{tracking_key}", "sk": "TRACKING"}
    # Sends' references sort before opens and clicks, so exports list the ledger first.
    assert keys.SEND_REFERENCE_PREFIX < keys.INTERACTION_EVENT_PREFIX


def test_the_ledger_keeps_the_redirect_target_only_for_delivered_tracked_notifications() -> None:
    world = DeliveryWorld()
    job = delivery_job(
        delivery_device("u1", "aa01", tracked=True),
        delivery_device("u2", "aa02"),
        delivery_device("u3", "gone03", tracked=True),
    )
    world.service().run(job)
    links = {entry.user_id: (entry.link, entry.untracked_link) for entry in world.sends.ledger["00000"]}
    # The plain URL an untracked notification opened is kept apart: the redirect never uses it.
    assert links == {"u1": ("https://example.com/x", None), "u2": (None, "https://example.com/x"), "u3": (None, None)}
    assert world.counters.added == [(2, 1)]
