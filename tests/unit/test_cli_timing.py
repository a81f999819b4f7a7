"""The CLI's delivery-timing pieces without a network: policy options, the merged PUT body, when a wait ends."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pushgate_cli.client import ApiClient, BearerAuth
from pushgate_cli.commands.apps import PolicyChanges, parse_cap, parse_category_cap, parse_quiet_hours
from pushgate_cli.commands.send import _follow, overall_status
from pushgate_cli.errors import EXIT_USAGE, CliError

CURRENT = {
    "MobileAppId": "app-1",
    "DefaultTimeZone": "Europe/Berlin",
    "DefaultTimeZoneResolved": "Europe/Berlin",
    "QuietHours": {"Start": "21:00", "End": "08:00"},
    "FrequencyCap": {"MaxNotifications": 3, "PeriodHours": 24},
    "CategoryCaps": {"promo": {"MaxNotifications": 1, "PeriodHours": 24}},
    "UncertainDelivery": "Skip",
    "IsDefault": False,
    "UpdatedAt": "2026-12-03T10:00:00Z",
}


def test_policy_options_parse_to_the_api_shapes() -> None:
    assert parse_quiet_hours("21:00-08:00") == {"Start": "21:00", "End": "08:00"}
    assert parse_quiet_hours("OFF") is None
    assert parse_cap("3/24") == {"MaxNotifications": 3, "PeriodHours": 24}
    assert parse_cap("off") is None
    assert parse_category_cap("promo=1/24") == ("promo", {"MaxNotifications": 1, "PeriodHours": 24})
    assert parse_category_cap("promo=off") == ("promo", None)


@pytest.mark.parametrize(
    ("option", "value"),
    [("quiet_hours", "21:00"), ("quiet_hours", "-08:00"), ("cap", "3"), ("cap", "three/24"), ("cap", "3/")],
)
def test_malformed_policy_options_are_usage_errors(option: str, value: str) -> None:
    given: dict[str, Any] = {"zone": None, "quiet_hours": None, "cap": None, "category_caps": [], option: value}

    with pytest.raises(CliError) as raised:
        PolicyChanges.parse(**given)

    assert raised.value.exit_code == EXIT_USAGE
    assert f"--{option.replace('_', '-')}" in raised.value.message


def test_a_malformed_category_cap_is_a_usage_error() -> None:
    with pytest.raises(CliError) as raised:
        PolicyChanges.parse(zone=None, quiet_hours=None, cap=None, category_caps=["=1/24"])

    assert raised.value.exit_code == EXIT_USAGE


def test_changes_keep_every_part_not_given_and_drop_the_answer_only_fields() -> None:
    changes = PolicyChanges.parse(zone=None, quiet_hours=None, cap="5/48", category_caps=["news=2/12"])

    body = changes.applied_to(CURRENT)

    assert body == {
        "DefaultTimeZone": "Europe/Berlin",
        "QuietHours": {"Start": "21:00", "End": "08:00"},
        "FrequencyCap": {"MaxNotifications": 5, "PeriodHours": 48},
        "CategoryCaps": {
            "promo": {"MaxNotifications": 1, "PeriodHours": 24},
            "news": {"MaxNotifications": 2, "PeriodHours": 12},
        },
        "UncertainDelivery": "Skip",
    }


def test_off_removes_a_part_from_the_whole_body() -> None:
    changes = PolicyChanges.parse(zone="110", quiet_hours="off", cap="off", category_caps=["promo=off"])

    assert changes.applied_to(CURRENT) == {"DefaultTimeZone": "110", "CategoryCaps": {}, "UncertainDelivery": "Skip"}
    assert not PolicyChanges.parse(zone=None, quiet_hours=None, cap=None, category_caps=[])


def test_uncertain_delivery_takes_either_spelling_in_any_case() -> None:
    for given, sent in (
        ("skip", "Skip"),
        ("Resend-Collapsed", "ResendCollapsed"),
        ("RESENDCOLLAPSED", "ResendCollapsed"),
    ):
        changes = PolicyChanges.parse(zone=None, quiet_hours=None, cap=None, category_caps=[], uncertain_delivery=given)
        assert changes.applied_to(CURRENT)["UncertainDelivery"] == sent
    with pytest.raises(CliError) as raised:
        PolicyChanges.parse(zone=None, quiet_hours=None, cap=None, category_caps=[], uncertain_delivery="maybe")
    assert raised.value.exit_code == EXIT_USAGE
    assert "--uncertain-delivery" in raised.value.message


def test_overall_status_of_several_sends() -> None:
    assert overall_status(["Completed", "Completed"]) == "Completed"
    assert overall_status(["Completed", "Scheduled"]) == "Scheduled"
    assert overall_status(["Completed", "Canceled"]) == "Canceled"
    assert overall_status(["Scheduled"]) == "Scheduled"


def _client_answering(statuses: list[str], seen: list[str]) -> ApiClient:
    """An API whose send answers the given statuses in turn (then the last one)."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        status = statuses[min(len(seen), len(statuses)) - 1]
        body = {
            "SendId": "s-1",
            "Status": status,
            "Expected": 2,
            "Sent": 0,
            "NotSent": 2 if status == "Canceled" else 0,
        }
        return httpx.Response(200, content=json.dumps(body))

    return ApiClient("http://api.test", BearerAuth("key"), transport=httpx.MockTransport(answer))


@pytest.mark.parametrize("settled", ["Completed", "Canceled", "Scheduled"])
def test_the_wait_ends_on_every_settled_status(settled: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pushgate_cli.commands.send.POLL_INTERVAL_S", 0)
    seen: list[str] = []

    with _client_answering(["InProgress", "Canceling", settled], seen) as client:
        statuses = _follow(client, "org-1", ["s-1"], timeout=60, quiet=True)

    assert [s["Status"] for s in statuses] == [settled]
    assert seen == ["/admin/v1/orgs/org-1/sends/s-1"] * 3  # InProgress and Canceling kept it polling


def test_a_wait_that_never_settles_ends_with_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pushgate_cli.commands.send.POLL_INTERVAL_S", 0)

    with _client_answering(["Canceling"], []) as client, pytest.raises(CliError) as raised:
        _follow(client, "org-1", ["s-1"], timeout=0, quiet=True)

    assert raised.value.exit_code == 3
    assert "did not settle" in raised.value.message
