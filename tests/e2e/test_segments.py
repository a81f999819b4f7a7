"""Segments end to end: saved segments, audience previews and segment sends over the dev server.

A segment send is accepted by send_fanout, its pages of people are read by expand_audience (polled
from AudienceQueue by the dev server) and its jobs delivered by deliver_push; the simulator's record,
the ledger and the send's totals must name exactly the matching people who consented.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.credentials.inputs import AppMode
from pushgate.models.device import Device, DevicePlatform
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, create_app, wait_until
from tests.e2e.test_sends import SEEDED_AT, _table, _token, create_active_message, ledger, wait_for_completion

pytestmark = pytest.mark.stack

BERLIN_GOLD = "address1_city eq 'berlin' and customattributes/tier in ('gold','platinum')"


@dataclass
class Directory:
    """Who was seeded, by person id: attributes and device tokens."""

    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, list[tuple[DevicePlatform, str]]] = field(default_factory=dict)

    def matching(self, *, consent: bool | None = None) -> set[str]:
        return {
            person_id
            for person_id, values in self.people.items()
            if values["kind"] is EntityType.CONTACT
            and values["city"] == "Berlin"
            and values["tier"] in {"gold", "platinum"}
            and (consent is None or values["push"] is consent)
        }

    def tokens_of(self, people: set[str]) -> set[str]:
        return {token for person_id in people for _, token in self.tokens[person_id]}


def seed_directory(dev_stack: LocalRuntime, app: RegisteredApp, count: int) -> Directory:
    """People in Berlin or Paris of several tiers, some without push or tracking consent, and a few
    Berlin gold leads (another kind); each with one or two valid devices of the app."""
    table = _table(dev_stack)
    people, devices = DynamoPersonRepository(table), DynamoDeviceRepository(table)
    seeded = Directory()
    writes: list[tuple[Person, list[Device]]] = []
    serial = 0
    for index in range(count):
        person_id = f"seg-{app.app_id[:8]}-{index:04d}"
        kind = EntityType.LEAD if index % 11 == 0 else EntityType.CONTACT
        city = "Berlin" if index % 2 == 0 else "Paris"
        tier = ("gold", "silver", "platinum")[index % 3]
        push, tracked = index % 5 != 0, index % 4 == 0
        seeded.people[person_id] = {"kind": kind, "city": city, "tier": tier, "push": push, "tracked": tracked}
        person = Person(
            org_id=app.org_id,
            entity_type=kind,
            person_id=person_id,
            attributes=PersonAttributes(
                firstname=f"Name{index:04d}",
                address1_city=city,
                pushconsent=push,
                trackingconsent=tracked,
                customattributes={"tier": tier},
            ),
            created_at=SEEDED_AT,
            modified_at=SEEDED_AT,
        )
        owned = []
        seeded.tokens[person_id] = []
        for _ in range(1 + index % 2):
            serial += 1
            platform = DevicePlatform.IOS if serial % 2 else DevicePlatform.ANDROID
            token = _token(platform, "valid", f"seg{app.app_id}", serial)
            seeded.tokens[person_id].append((platform, token))
            owned.append(
                Device(
                    org_id=app.org_id,
                    app_id=app.app_id,
                    user_id=person_id,
                    platform=platform,
                    token=token,
                    token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                    app_mode=AppMode.SANDBOX if platform is DevicePlatform.IOS else None,
                    registered_at=SEEDED_AT,
                    last_registered_at=SEEDED_AT,
                    status_changed_at=SEEDED_AT,
                )
            )
        writes.append((person, owned))

    def write(person: Person, owned: list[Device]) -> None:
        people.save(person, previous=None)
        for device in owned:
            devices.save(device, expected_owner=None)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda pair: write(*pair), writes))
    return seeded


def received(dev_stack: LocalRuntime, tokens: set[str]) -> list[dict[str, Any]]:
    assert dev_stack.simulator is not None
    return [n for n in dev_stack.simulator.notifications() if n["token"] in tokens]


def problems(response: httpx.Response) -> dict[str, str]:
    return {d["Field"]: d["Problem"] for d in response.json()["Error"]["Details"]}


def test_a_segment_send_reaches_exactly_the_matching_people_with_consent_personalised(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str
) -> None:
    app = create_app(admin, org_id)
    seeded = seed_directory(dev_stack, app, 90)
    message_id = create_active_message(admin, org_id)
    audience = {"Filter": BERLIN_GOLD, "Kind": "contacts"}

    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Audience": audience},
    )
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["Accepted"] == 0 and accepted.json()["Rejected"] == []
    send_id = accepted.json()["SendId"]
    totals = wait_for_completion(admin, org_id, send_id)

    reached, withdrawn = seeded.matching(consent=True), seeded.matching(consent=False)
    assert reached and withdrawn
    assert totals["Audience"] == {"Filter": BERLIN_GOLD, "Kind": "contacts", "SegmentId": None}
    assert totals["RecipientsAccepted"] == len(reached) + len(withdrawn)
    assert totals["DevicesTargeted"] == len(seeded.tokens_of(reached))
    assert totals["Sent"] == len(seeded.tokens_of(reached))
    assert totals["NotSentReasons"] == {"NoPushConsent": len(withdrawn)}

    # The simulator got each device of each consenting matching person once, and nothing else.
    everyone = seeded.tokens_of(set(seeded.people))
    notifications = received(dev_stack, everyone)
    assert Counter(n["token"] for n in notifications) == dict.fromkeys(seeded.tokens_of(reached), 1)
    for person_id in reached:
        index = int(person_id.rsplit("-", 1)[1])
        tracked = seeded.people[person_id]["tracked"]
        for note in received(dev_stack, seeded.tokens_of({person_id})):
            payload = str(note["payload"])
            assert f"Hi Name{index:04d}" in payload  # rendered from the person's own attributes
            assert ("/l/" in payload) is tracked  # a tracked link only with tracking consent

    entries = ledger(admin, org_id, send_id)
    assert {e["UserId"] for e in entries if e["Outcome"] == "Sent"} == reached
    assert {e["UserId"] for e in entries if e["Reason"] == "NoPushConsent"} == withdrawn


def test_saved_segments_crud_preview_and_send_by_id(dev_stack: LocalRuntime, admin: httpx.Client, org_id: str) -> None:
    app = create_app(admin, org_id)
    seeded = seed_directory(dev_stack, app, 40)
    base = f"/admin/v1/orgs/{org_id}/segments"

    created = admin.post(base, json={"Name": "Berlin gold", "Filter": "address1_city eq 'Paris'", "Kind": "contacts"})
    assert created.status_code == 201, created.text
    segment = created.json()
    assert set(segment) == {"SegmentId", "Name", "Filter", "Kind", "Description", "CreatedAt", "UpdatedAt"}
    segment_id = segment["SegmentId"]
    assert admin.get(f"{base}/{segment_id}").json()["Filter"] == "address1_city eq 'Paris'"

    replaced = admin.put(
        f"{base}/{segment_id}", json={"Name": "Berlin gold", "Filter": BERLIN_GOLD, "Description": "Top tiers"}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["Filter"] == BERLIN_GOLD and replaced.json()["Kind"] == "contacts"
    assert replaced.json()["CreatedAt"] == segment["CreatedAt"]
    other = admin.post(base, json={"Name": "Leads", "Filter": "pushconsent eq true", "Kind": "leads"})
    assert other.status_code == 201, other.text
    first = admin.get(base, params={"MaxResults": "1"})
    assert first.status_code == 200 and len(first.json()["Segments"]) == 1 and first.json()["NextToken"]
    rest = admin.get(base, params={"MaxResults": "1", "NextToken": first.json()["NextToken"]})
    listed = {s["SegmentId"] for s in first.json()["Segments"] + rest.json()["Segments"]}
    assert listed == {segment_id, other.json()["SegmentId"]}

    # The preview counts what a send would reach now, and writes nothing.
    preview = admin.post(
        f"/admin/v1/orgs/{org_id}/audiences/preview",
        json={"MobileAppId": app.app_id, "Audience": {"SegmentId": segment_id}},
    )
    assert preview.status_code == 200, preview.text
    reached, withdrawn = seeded.matching(consent=True), seeded.matching(consent=False)
    platforms = [platform for person_id in reached for platform, _ in seeded.tokens[person_id]]
    body = preview.json()
    assert body["People"] == len(reached)
    assert body["Matched"] == len(reached) + len(withdrawn)
    assert body["NoConsent"] == len(withdrawn)
    assert body["Devices"] == {
        "Total": len(platforms),
        "Ios": platforms.count(DevicePlatform.IOS),
        "Android": platforms.count(DevicePlatform.ANDROID),
    }
    assert 1 <= len(body["Sample"]) <= 10
    assert {p["PersonId"] for p in body["Sample"]} <= reached
    assert {p["Kind"] for p in body["Sample"]} == {"contacts"}
    everyone = admin.post(
        f"/admin/v1/orgs/{org_id}/audiences/preview", json={"MobileAppId": app.app_id, "Audience": "AllActiveDevices"}
    ).json()
    no_consent = {p for p, values in seeded.people.items() if not values["push"]}
    assert everyone["Matched"] == len(seeded.people) and everyone["NoConsent"] == len(no_consent)
    assert everyone["Devices"]["Total"] == len(seeded.tokens_of(set(seeded.people) - no_consent))
    assert len(everyone["Sample"]) == 10

    message_id = create_active_message(admin, org_id)
    sent = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Audience": {"SegmentId": segment_id}},
    )
    assert sent.status_code == 202, sent.text
    totals = wait_for_completion(admin, org_id, sent.json()["SendId"])
    assert totals["Audience"]["SegmentId"] == segment_id
    assert totals["Sent"] == body["Devices"]["Total"]
    assert Counter(n["token"] for n in received(dev_stack, seeded.tokens_of(set(seeded.people)))) == dict.fromkeys(
        seeded.tokens_of(reached), 1
    )

    deleted = admin.delete(f"{base}/{segment_id}")
    assert deleted.status_code == 204
    assert admin.get(f"{base}/{segment_id}").status_code == 404
    assert admin.delete(f"{base}/{segment_id}").status_code == 404


def test_bad_filters_and_audiences_are_400s_naming_the_field_and_write_nothing(
    admin: httpx.Client, org_id: str
) -> None:
    app = create_app(admin, org_id)
    message_id = create_active_message(admin, org_id)
    base = f"/admin/v1/orgs/{org_id}/segments"

    bad = admin.post(base, json={"Name": "Broken", "Filter": "address1_city eq 'Berlin' and"})
    assert bad.status_code == 400, bad.text
    assert "syntax error at position 29" in problems(bad)["Filter"]
    unknown = admin.post(base, json={"Name": "Broken", "Filter": "shoesize gt 42"})
    assert "unknown attribute 'shoesize' at position 0" in problems(unknown)["Filter"]
    assert admin.post(base, json={"Name": "", "Filter": "pushconsent eq true"}).status_code == 400
    assert admin.post(base, json={"Name": "x", "Filter": "pushconsent eq true", "Kind": "users"}).status_code == 400
    assert admin.get(base).json()["Segments"] == []

    sends = f"/admin/v1/orgs/{org_id}/sends"
    send = {"MobileAppId": app.app_id, "MessageId": message_id}
    refused = admin.post(sends, json={**send, "Audience": {"Filter": "firstname eq 1"}})
    assert refused.status_code == 400, refused.text
    assert "position 0" in problems(refused)["Audience.Filter"]
    both = admin.post(
        sends, json={**send, "Audience": {"Filter": "pushconsent eq true"}, "Recipients": [{"UserId": "a"}]}
    )
    assert both.status_code == 400 and "Audience" in problems(both)
    missing = admin.post(sends, json={**send, "Audience": {"SegmentId": "9d3b1c1e-0000-4000-8000-000000000001"}})
    assert missing.status_code == 404 and "Audience.SegmentId" in problems(missing)
    past = admin.post(
        sends, json={**send, "Audience": {"Filter": "pushconsent eq true"}, "SendAt": "2020-01-01T00:00:00Z"}
    )
    assert past.status_code == 400 and "SendAt" in problems(past)
    preview = admin.post(
        f"/admin/v1/orgs/{org_id}/audiences/preview",
        json={"MobileAppId": app.app_id, "Audience": {"Filter": "contains(pushconsent,'x')", "Kind": "leads"}},
    )
    assert preview.status_code == 400 and "needs a text attribute" in problems(preview)["Audience.Filter"]


def test_a_segment_send_holds_each_person_in_quiet_hours_until_their_morning(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, org_id: str, clock: Any
) -> None:
    app = create_app(admin, org_id)
    policy = admin.put(
        f"/admin/v1/orgs/{org_id}/mobileapps/{app.app_id}/delivery-policy",
        json={"DefaultTimeZone": "UTC", "QuietHours": {"Start": "21:00", "End": "08:00"}},
    )
    assert policy.status_code == 200, policy.text
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
    clock(Now=(day + timedelta(hours=21, minutes=30)).isoformat())  # 22:30 in Berlin, 16:30 in New York
    tokens = {}
    for person_id, zone in (("berlin", "Europe/Berlin"), ("newyork", "America/New_York"), ("paris", "Europe/Paris")):
        body = {"firstname": person_id.title(), "timezone": zone, "customattributes": {"cohort": "quiet"}}
        assert admin.put(f"/admin/v1/orgs/{org_id}/contacts/{person_id}", json=body).status_code == 201
        tokens[person_id] = f"fcm-quiet-{uuid.uuid4().hex}"
        contract = {"FcmDeviceContract": {"FcmToken": tokens[person_id]}, "ApiToken": app.api_token}
        assert public.post(app.v1(person_id), json=contract).status_code == 200
    message_id = create_active_message(admin, org_id)
    audience = {"Filter": "customattributes/cohort eq 'quiet' and not startswith(firstname,'par')"}

    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Audience": audience},
    )
    assert accepted.status_code == 202, accepted.text
    send_id = accepted.json()["SendId"]
    assert dev_stack.simulator is not None

    def held() -> dict[str, Any] | None:
        body: dict[str, Any] = admin.get(f"/admin/v1/orgs/{org_id}/sends/{send_id}").json()
        return body if body["Status"] == "Scheduled" else None

    waiting = wait_until(held, "the segment send to be read, New York sent, Berlin held")
    assert (waiting["Deferred"], waiting["RecipientsAccepted"]) == (1, 2)
    assert [h["Hour"] for h in waiting["Scheduled"]] == [(day + timedelta(hours=31)).strftime("%Y-%m-%dT%H:00:00Z")]
    assert len(dev_stack.simulator.notifications(token=tokens["newyork"])) == 1
    assert dev_stack.simulator.notifications(token=tokens["berlin"]) == []

    clock(Now=(day + timedelta(hours=31)).isoformat())  # 08:00 in Berlin
    done = wait_for_completion(admin, org_id, send_id)
    assert (done["Sent"], done["NotSent"]) == (2, 0)
    [berlin] = [e for e in ledger(admin, org_id, send_id) if e["UserId"] == "berlin"]
    assert (berlin["Outcome"], berlin["Reason"]) == ("Sent", "DeferredQuietHours")
    assert datetime.fromisoformat(berlin["At"]).astimezone(ZoneInfo("Europe/Berlin")).hour == 8
    [note] = dev_stack.simulator.notifications(token=tokens["berlin"])
    assert "Hi Berlin" in str(note["payload"])
    assert dev_stack.simulator.notifications(token=tokens["paris"]) == []
