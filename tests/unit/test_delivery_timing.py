"""The pure rules of delivery timing: zones from IANA names, Windows ids and Dataverse codes;
recipient-local instants across daylight-saving gaps and overlaps; quiet hours across midnight;
rolling frequency caps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from pydantic import ValidationError

from pushgate.models.delivery_timing import (
    CapRule,
    DeliveryPolicy,
    FrequencyCap,
    LocalSendTime,
    QuietHours,
    UncertainDelivery,
    admitted,
    check_send_at,
    hour_bucket,
    local_instant,
    next_local_occurrence,
    parse_clock_time,
)
from pushgate.models.push import NOW_OR_NEVER
from pushgate.time_zones import DATAVERSE_TIME_ZONE_CODES, WINDOWS_TO_IANA, iana_name, resolve_zone

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # a 30-minute daylight-saving shift


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_every_windows_id_and_dataverse_code_maps_to_a_zone_this_tzdata_has() -> None:
    zones = available_timezones()
    assert all(zone in zones and iana_name(zone) == zone for zone in WINDOWS_TO_IANA.values())
    assert all(windows in WINDOWS_TO_IANA for windows in DATAVERSE_TIME_ZONE_CODES.values())
    assert len(WINDOWS_TO_IANA) > 130 and len(DATAVERSE_TIME_ZONE_CODES) > 70


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("eastern standard time", "America/New_York"),
        ("India Standard Time", "Asia/Kolkata"),
        (110, "Europe/Berlin"),
        ("35", "America/New_York"),
        (235, "Asia/Tokyo"),
        (85, "Europe/London"),
        ("Mars/Olympus", None),
        (9999, None),
        ("", None),
        (None, None),
        (True, None),
        # Names some hosts' zoneinfo has that are no zone, or that the pinned tzdata does not list.
        ("localtime", None),
        ("Factory", None),
        ("posixrules", None),
        ("posix/Europe/Paris", None),
        ("right/UTC", None),
    ],
)
def test_directory_time_zone_values_resolve_to_iana(value: str | int | None, expected: str | None) -> None:
    assert iana_name(value) == expected


def test_an_unknown_zone_falls_back_to_the_default() -> None:
    assert resolve_zone("Mars/Olympus", "Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
    assert resolve_zone(None, "Romance Standard Time") == ZoneInfo("Europe/Paris")
    assert resolve_zone("nonsense", "also nonsense") == ZoneInfo("UTC")


@pytest.mark.parametrize("text", ["25:00", "12:60", "9:00", "0900", "9am", "", "24:00"])
def test_clock_times_outside_the_day_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"HH:MM|not a time of day"):
        parse_clock_time(text)


def test_clock_times_parse() -> None:
    assert parse_clock_time(" 09:05 ") == time(9, 5)
    assert parse_clock_time("23:59") == time(23, 59)


def test_local_send_times_parse_with_and_without_a_date() -> None:
    assert LocalSendTime.parse("09:00") == LocalSendTime(time(9))
    assert LocalSendTime.parse("2026-12-24T09:30") == LocalSendTime(time(9, 30), date(2026, 12, 24))
    for bad in ("2026-02-30T09:00", "2026-12-24T09:00Z", "2026-12-24T09:00+01:00", "2026-12-24", "25:00"):
        with pytest.raises(ValueError):
            LocalSendTime.parse(bad)


def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    # 2026-03-08: New York skips 02:00-03:00. 02:30 does not exist; it becomes 03:30 EDT (07:30 UTC).
    landed = local_instant(date(2026, 3, 8), time(2, 30), NEW_YORK)
    assert landed == utc(2026, 3, 8, 7, 30)
    assert landed.astimezone(NEW_YORK).time() == time(3, 30)
    # Lord Howe skips 02:00-02:30 on 2026-10-04: 02:15 becomes 02:45.
    assert local_instant(date(2026, 10, 4), time(2, 15), LORD_HOWE).astimezone(LORD_HOWE).time() == time(2, 45)


def test_a_time_in_the_fall_back_overlap_means_its_first_occurrence() -> None:
    # 2026-11-01: New York's 01:30 happens twice (EDT, then EST); the first is 05:30 UTC.
    assert local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)
    # Berlin's 02:30 on 2026-10-25: first at CEST (00:30 UTC).
    assert local_instant(date(2026, 10, 25), time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)


def test_the_next_local_occurrence_is_today_if_still_ahead_else_tomorrow() -> None:
    morning = utc(2026, 12, 10, 7, 0)  # 08:00 in Berlin
    assert next_local_occurrence(morning, time(9), BERLIN) == utc(2026, 12, 10, 8, 0)
    assert next_local_occurrence(morning, time(8), BERLIN) == morning  # exactly now still counts
    assert next_local_occurrence(morning, time(7), BERLIN) == utc(2026, 12, 11, 6, 0)
    # Across the spring-forward night: 02:30 the next day in New York is 03:30 EDT.
    assert next_local_occurrence(utc(2026, 3, 7, 12), time(2, 30), NEW_YORK) == utc(2026, 3, 8, 7, 30)


def test_a_dated_local_time_is_never_before_now_and_its_range_is_checked_across_all_zones() -> None:
    now = utc(2026, 12, 10, 12)
    dated = LocalSendTime(time(9), date(2026, 12, 10))
    assert dated.instant_in(ZoneInfo("Asia/Tokyo"), now=now) == now  # 09:00 in Tokyo has passed: at once
    assert dated.instant_in(NEW_YORK, now=now) == utc(2026, 12, 10, 14)
    assert dated.check_range(now) is None  # still ahead somewhere
    assert "past" in (LocalSendTime(time(9), date(2026, 12, 8)).check_range(now) or "")
    assert "30 days" in (LocalSendTime(time(9), date(2027, 1, 12)).check_range(now) or "")
    assert LocalSendTime(time(9)).check_range(now) is None


def test_send_at_must_be_ahead_and_within_thirty_days() -> None:
    now = utc(2026, 12, 10, 12)
    assert check_send_at(now + timedelta(hours=1), now) is None
    assert check_send_at(now, now) == "is in the past"
    assert check_send_at(now + timedelta(days=30, seconds=1), now) == "is more than 30 days ahead"
    assert "UTC offset" in (check_send_at(datetime(2026, 12, 11, 9), now) or "")


def test_quiet_hours_crossing_midnight() -> None:
    night = QuietHours(start=time(21), end=time(8))
    assert [night.contains(time(h)) for h in (20, 21, 23, 0, 7, 8, 12)] == [
        False, True, True, True, True, False, False,
    ]  # fmt: skip
    # 22:30 in Berlin waits until 08:00 the next day; 03:00 until 08:00 the same day.
    assert night.release_after(utc(2026, 12, 10, 21, 30), BERLIN) == utc(2026, 12, 11, 7)
    assert night.release_after(utc(2026, 12, 11, 2), BERLIN) == utc(2026, 12, 11, 7)
    assert night.release_after(utc(2026, 12, 11, 12), BERLIN) is None


def test_quiet_hours_within_a_day_and_their_end_in_a_daylight_saving_gap() -> None:
    lunch = QuietHours(start=time(12), end=time(14))
    assert lunch.contains(time(12)) and lunch.contains(time(13, 59)) and not lunch.contains(time(14))
    assert lunch.release_after(utc(2026, 12, 10, 11, 30), BERLIN) == utc(2026, 12, 10, 13)
    # Quiet until 02:30 on the night New York skips 02:00-03:00: released at 03:30 EDT.
    early = QuietHours(start=time(0), end=time(2, 30))
    assert early.release_after(utc(2026, 3, 8, 6, 0), NEW_YORK) == utc(2026, 3, 8, 7, 30)


def test_quiet_hours_of_zero_length_and_bad_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="zero length"):
        QuietHours(start=time(22), end=time(22))
    with pytest.raises(ValidationError, match="not a time of day"):
        QuietHours.model_validate({"start": "25:00", "end": "08:00"})
    assert QuietHours.model_validate({"start": "21:00:00", "end": "08:00"}).start == time(21)  # stored form


def test_rolling_caps_count_the_window_and_admit_a_send_again() -> None:
    rule = CapRule(scope="*", max_notifications=2, period_s=24 * 3600)
    at = 1_000_000
    assert admitted({}, "s1", at, rule)
    assert admitted({"s1": at - 100}, "s2", at, rule)
    assert not admitted({"s1": at - 100, "s2": at - 50}, "s3", at, rule)
    assert admitted({"s1": at - 100, "s2": at - 50}, "s2", at, rule)  # a redelivered job counts once
    assert admitted({"s1": at - 24 * 3600, "s2": at - 50}, "s3", at, rule)  # s1 left the window


def test_a_policy_gives_the_caps_of_a_category() -> None:
    policy = DeliveryPolicy(
        frequency_cap=FrequencyCap(max_notifications=3, period_hours=24),
        category_caps={"promotions": FrequencyCap(max_notifications=1, period_hours=48)},
    )
    assert [r.scope for r in policy.cap_rules("promotions")] == ["*", "category:promotions"]
    assert [r.period_s for r in policy.cap_rules("promotions")] == [86_400, 172_800]
    assert [r.scope for r in policy.cap_rules("news")] == ["*"]
    assert DeliveryPolicy().cap_rules(None) == []


def test_hour_buckets_are_utc_hours() -> None:
    assert hour_bucket(datetime(2026, 12, 10, 9, 45, tzinfo=BERLIN)) == "2026-12-10T08:00:00Z"


def test_uncertain_notifications_are_resent_collapsed_by_default_unless_the_message_has_a_collapse_id() -> None:
    assert DeliveryPolicy().uncertain_delivery is UncertainDelivery.RESEND_COLLAPSED
    assert DeliveryPolicy().resends_uncertain(None) is True
    assert DeliveryPolicy().resends_uncertain("order-42") is False
    # A "now or never" notification is never sent late, re-sends after a crash included.
    assert DeliveryPolicy().resends_uncertain(None, NOW_OR_NEVER) is False
    assert DeliveryPolicy().resends_uncertain(None, 1_800_000_000) is True
    assert DeliveryPolicy(uncertain_delivery=UncertainDelivery.SKIP).resends_uncertain(None) is False
    # A policy stored before the setting existed reads as the default.
    assert DeliveryPolicy.model_validate({"default_time_zone": "UTC"}).resends_uncertain(None) is True
