"""Broadcasts end to end: ``POST .../sends`` with ``"Audience": "AllActiveDevices"``; the dev server
polls AudienceQueue into expand_audience (pages of the app's device index) and DeliveryQueue into
deliver_push; the simulator, the ledger and the device store must agree."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import Table, create_app
from tests.e2e.test_sends import create_active_message, ledger, seed, wait_for_completion

pytestmark = pytest.mark.stack

#: People with 1 to 3 devices each (about 400 devices over the 16 shards of the app's index).
PEOPLE = 200


def _received(dev_stack: LocalRuntime, tokens: set[str]) -> Counter[str]:
    assert dev_stack.simulator is not None
    return Counter(n["token"] for n in dev_stack.simulator.notifications() if n["token"] in tokens)


def test_a_broadcast_reaches_every_active_device_of_the_app_once_and_skips_invalid_ones(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str, one_second_retry_after: None
) -> None:
    app = create_app(admin, org_id)
    other_app = create_app(admin, org_id)
    population = seed(dev_stack, app, PEOPLE)
    elsewhere = seed(dev_stack, other_app, 5)
    message_id = create_active_message(admin, org_id)
    everyone = {"MobileAppId": app.app_id, "MessageId": message_id, "Audience": "AllActiveDevices"}

    accepted = admin.post(f"/admin/v1/orgs/{org_id}/sends", json=everyone)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["Accepted"] == 0
    assert accepted.json()["Rejected"] == []
    send_id = accepted.json()["SendId"]
    totals = wait_for_completion(admin, org_id, send_id)

    valid, gone, bad, throttled = (population.tokens(kind) for kind in ("valid", "gone", "bad", "throttle"))
    devices = len(valid) + len(gone) + len(bad) + len(throttled)
    assert totals["Audience"] == "AllActiveDevices"
    assert totals["DevicesTargeted"] == devices
    assert totals["Sent"] == len(valid)
    assert totals["NotSent"] == len(gone) + len(bad) + len(throttled)
    assert 1 <= totals["JobsTotal"] <= totals["JobsDone"]  # retry jobs of the throttled devices count too

    # Every valid device of this app exactly once; nothing for the other app's devices.
    received = _received(dev_stack, set(valid) | set(gone) | set(bad) | set(throttled))
    assert set(received) == set(valid)
    assert set(received.values()) == {1}
    assert not _received(dev_stack, set(elsewhere.tokens("valid")))
    # The message reads the contact: each person's own first name, and a tracked link exactly for
    # the people who consented to tracking.
    assert dev_stack.simulator is not None
    for user in population.users:
        for _, token in population.devices[user]:
            if token in valid:
                (sample,) = dev_stack.simulator.notifications(token=token)
                assert f"Hi Ana{population.users.index(user)}" in str(sample["payload"])
                assert ("/l/" in str(sample["payload"])) == (user in population.tracked)

    # The ledger has one entry per device, with the provider's verdicts.
    entries = ledger(admin, org_id, send_id)
    assert len(entries) == devices
    assert len({entry["DeviceTokenSha256"] for entry in entries}) == devices
    assert sum(1 for entry in entries if entry["Outcome"] == "Sent") == len(valid)
    assert len({entry["TrackingId"] for entry in entries if entry["Outcome"] == "Sent"}) == len(valid)

    # The gone tokens are Invalid now: the next broadcast leaves them out.
    store = Table(dev_stack)
    invalid = {
        str(item["token"])
        for user in population.users
        for item in store.devices(app, user)
        if item["status"] == "Invalid"
    }
    # Gone (410 Unregistered / UNREGISTERED) and, on APNs, BadDeviceToken tokens are Invalid.
    assert set(gone) <= invalid <= set(gone) | set(bad)
    again = admin.post(f"/admin/v1/orgs/{org_id}/sends", json=everyone)
    assert again.status_code == 202, again.text
    second = wait_for_completion(admin, org_id, again.json()["SendId"])
    assert second["DevicesTargeted"] == devices - len(invalid)
    assert set(_received(dev_stack, set(valid)).values()) == {2}


def test_a_broadcast_respects_the_apps_frequency_cap(dev_stack: LocalRuntime, admin: httpx.Client, org_id: str) -> None:
    app = create_app(admin, org_id)
    population = seed(dev_stack, app, 12)
    capped = admin.put(
        f"/admin/v1/orgs/{org_id}/mobileapps/{app.app_id}/delivery-policy",
        json={"FrequencyCap": {"MaxNotifications": 1, "PeriodHours": 24}},
    )
    assert capped.status_code == 200, capped.text
    message_id = create_active_message(admin, org_id)
    # People whose devices all answer (none is made Invalid by the campaign, none retried).
    valid = set(population.tokens("valid"))
    first_four = [u for u in population.users if all(t in valid for _, t in population.devices[u])][:4]
    campaign = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": [{"UserId": u} for u in first_four]},
    )
    assert campaign.status_code == 202, campaign.text
    wait_for_completion(admin, org_id, campaign.json()["SendId"])

    everyone = {"MobileAppId": app.app_id, "MessageId": message_id, "Audience": "AllActiveDevices"}
    accepted = admin.post(f"/admin/v1/orgs/{org_id}/sends", json=everyone)
    assert accepted.status_code == 202, accepted.text
    totals = wait_for_completion(admin, org_id, accepted.json()["SendId"])

    # The four people the campaign reached have had their one notification today: the broadcast
    # holds back every device of theirs, and reaches the others' valid devices.
    entries = ledger(admin, org_id, accepted.json()["SendId"])
    capped = [entry for entry in entries if entry.get("Reason") == "CappedFrequency"]
    assert {entry["UserId"] for entry in capped} == set(first_four)
    assert len(capped) == sum(len(population.devices[user]) for user in first_four)
    assert totals["NotSentReasons"].get("CappedFrequency") == len(capped)
    others = {t for u in population.users if u not in first_four for _, t in population.devices[u] if t in valid}
    assert set(_received(dev_stack, others).values()) == {1}


def test_bad_broadcasts_name_the_field_and_send_nothing(admin: httpx.Client, org_id: str) -> None:
    app = create_app(admin, org_id)
    message_id = create_active_message(admin, org_id)
    url = f"/admin/v1/orgs/{org_id}/sends"
    good = {"MobileAppId": app.app_id, "MessageId": message_id, "Audience": "AllActiveDevices"}

    def problem_of(body: dict[str, Any], status: int) -> str:
        response = admin.post(url, json=body)
        assert response.status_code == status, response.text
        return str(response.json()["Error"]["Details"][0]["Field"])

    assert problem_of({**good, "Recipients": [{"UserId": "someone"}]}, 400) == "Audience"
    assert problem_of({"MobileAppId": app.app_id, "MessageId": message_id}, 400) == "Recipients"
    assert problem_of({**good, "Audience": "Everyone"}, 400) == "Audience"
    assert problem_of({**good, "SendAt": "2030-01-01T09:00:00Z"}, 400) == "SendAt"
    assert problem_of({**good, "SendAtLocalTime": "09:00"}, 400) == "SendAtLocalTime"
    assert problem_of({**good, "MobileAppId": "9d3b1c1e-0000-4000-8000-000000000001"}, 404) == "MobileAppId"
    assert problem_of({**good, "MessageId": "not-a-uuid"}, 400) == "MessageId"
    deactivated = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/deactivate")
    assert deactivated.status_code == 200, deactivated.text
    assert problem_of(good, 409) == "MessageId"
