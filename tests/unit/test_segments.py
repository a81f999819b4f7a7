"""Saved segments and audience previews with in-memory stores: validation at save time, and the two
ways a preview counts devices (a Query per person, or the app's device index joined) agreeing."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from pushgate.errors import ConflictError, InvalidRequestError, NotFoundError
from pushgate.models.device import Device, DevicePlatform, DeviceStatus
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate.models.segment import Segment
from pushgate.models.send import AudienceMember
from pushgate.services.segments import preview, segments
from pushgate.services.segments.segments import AudienceFilter, SegmentInput
from tests.fakes.stores import FakeApps, FakeOrgs
from tests.unit.test_delivery import _app
from tests.unit.test_directory import FakePeople

ORG = str(uuid.uuid4())
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
APP_ID = str(uuid.uuid4())


class FakeSegments:
    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], Segment] = {}

    def get(self, org_id: str, segment_id: str) -> Segment | None:
        return self.saved.get((org_id, segment_id))

    def list_page(self, org_id: str, *, limit: int, next_token: str | None) -> tuple[list[Segment], str | None]:
        found = sorted((s for (o, _), s in self.saved.items() if o == org_id), key=lambda s: s.segment_id)
        return found[:limit], None

    def create(self, segment: Segment) -> None:
        if (segment.org_id, segment.segment_id) in self.saved:
            raise ConflictError(message="exists")
        self.saved[segment.org_id, segment.segment_id] = segment

    def replace(self, segment: Segment) -> bool:
        if (segment.org_id, segment.segment_id) not in self.saved:
            return False
        self.saved[segment.org_id, segment.segment_id] = segment
        return True

    def delete(self, org_id: str, segment_id: str) -> bool:
        return self.saved.pop((org_id, segment_id), None) is not None


class FakeDevices:
    """Devices by user, readable many people a read and as the app's device index (one shard)."""

    def __init__(self) -> None:
        self.by_user: dict[str, list[Device]] = {}
        #: The people of each read of devices by person.
        self.reads: list[int] = []

    def add(self, user_id: str, platform: DevicePlatform, status: DeviceStatus = DeviceStatus.ACTIVE) -> None:
        token = hashlib.sha256(f"{user_id}-{len(self.by_user.get(user_id, []))}".encode()).hexdigest()
        device = Device(
            org_id=ORG, app_id="app", user_id=user_id, platform=platform, token=token,
            token_sha256=hashlib.sha256(token.encode()).hexdigest(), status=status,
            registered_at=NOW, last_registered_at=NOW, status_changed_at=NOW,
        )  # fmt: skip
        self.by_user.setdefault(user_id, []).append(device)

    def active_devices(
        self, org_id: str, app_id: str, user_ids: Sequence[str], *, with_record: bool = False
    ) -> dict[str, list[AudienceMember]]:
        self.reads.append(len(user_ids))
        return {
            user_id: [
                AudienceMember(d.user_id, d.platform, d.token, d.token_sha256)
                for d in self.by_user.get(user_id, [])
                if d.status is DeviceStatus.ACTIVE
            ]
            for user_id in user_ids
        }

    range_parts = 1

    def active_devices_between(
        self, org_id: str, app_id: str, first_user_id: str, last_user_id: str, *, part: int
    ) -> list[AudienceMember] | None:
        wanted = sorted(user_id for user_id in self.by_user if first_user_id <= user_id <= last_user_id)
        return [member for members in self.active_devices(org_id, app_id, wanted).values() for member in members]

    def audience_page(
        self, org_id: str, app_id: str, shard: int, *, limit: int, start_key: Mapping[str, Any] | None
    ) -> tuple[list[AudienceMember], dict[str, Any] | None]:
        members = [
            AudienceMember(d.user_id, d.platform, d.token, d.token_sha256)
            for devices in self.by_user.values()
            for d in devices
            if d.status is DeviceStatus.ACTIVE
        ]
        offset = int((start_key or {}).get("offset", 0))
        page = members[offset : offset + limit]
        return page, ({"offset": offset + limit} if offset + limit < len(members) else None)


def _segment_stores() -> segments.SegmentStores:
    return segments.SegmentStores(orgs=FakeOrgs(ORG), segments=FakeSegments())


def test_a_segment_is_validated_when_saved_replaced_and_deleted() -> None:
    stores = _segment_stores()
    with pytest.raises(InvalidRequestError, match="position 19") as raised:
        segments.create_segment(ORG, SegmentInput("s", "firstname eq 'a' or", EntityType.CONTACT), stores=stores)
    assert raised.value.problems[0].field == "Filter"
    with pytest.raises(InvalidRequestError) as named:
        segments.create_segment(ORG, SegmentInput("  ", "firstname eq 'a'", EntityType.CONTACT), stores=stores)
    assert named.value.problems[0].field == "Name"

    created = segments.create_segment(
        ORG, SegmentInput(" Berlin ", " address1_city eq 'Berlin' ", EntityType.LEAD), stores=stores, now=lambda: NOW
    )
    assert (created.name, created.filter, created.kind) == ("Berlin", "address1_city eq 'Berlin'", EntityType.LEAD)
    later = datetime(2026, 12, 7, tzinfo=UTC)
    replaced = segments.replace_segment(
        ORG, created.segment_id, SegmentInput("B", "pushconsent eq true", EntityType.CONTACT), stores=stores,
        now=lambda: later,
    )  # fmt: skip
    assert (replaced.created_at, replaced.updated_at, replaced.kind) == (NOW, later, EntityType.CONTACT)
    assert segments.list_segments(ORG, limit=10, next_token=None, stores=stores)[0] == [replaced]
    segments.delete_segment(ORG, created.segment_id, stores=stores)
    with pytest.raises(NotFoundError):
        segments.get_segment(ORG, created.segment_id, stores=stores)
    with pytest.raises(InvalidRequestError, match="segmentId"):
        segments.get_segment(ORG, "not-a-uuid", stores=stores)


def test_an_audience_names_a_filter_or_a_segment_and_errors_name_its_fields() -> None:
    stores = _segment_stores()
    with pytest.raises(InvalidRequestError) as neither:
        segments.audience_person_filter(ORG, AudienceFilter(), segments=stores.segments)
    assert neither.value.problems[0].field == "Audience"
    with pytest.raises(InvalidRequestError) as bad:
        segments.audience_person_filter(ORG, AudienceFilter(filter="x eq"), segments=stores.segments)
    assert bad.value.problems[0].field == "Audience.Filter"
    with pytest.raises(NotFoundError) as missing:
        segments.audience_person_filter(ORG, AudienceFilter(segment_id=str(uuid.uuid4())), segments=stores.segments)
    assert missing.value.problems[0].field == "Audience.SegmentId"
    saved = segments.create_segment(ORG, SegmentInput("s", "lastname eq 'x'", EntityType.PROFILE), stores=stores)
    found, segment_id = segments.audience_person_filter(
        ORG, AudienceFilter(segment_id=saved.segment_id), segments=stores.segments
    )
    assert (found.text, found.entity_type, segment_id) == ("lastname eq 'x'", EntityType.PROFILE, saved.segment_id)


def _preview_stores(people: FakePeople, devices: FakeDevices) -> preview.PreviewStores:
    app = _app().model_copy(update={"org_id": ORG, "app_id": str(uuid.uuid4())})
    return preview.PreviewStores(
        orgs=FakeOrgs(ORG),
        apps=FakeApps(app),
        people=people,
        recipient_devices=devices,
        device_index=devices,
        segments=FakeSegments(),
        shards=1,
    )


def _directory(count: int) -> tuple[FakePeople, FakeDevices, dict[str, Sequence[DevicePlatform]]]:
    people, devices = FakePeople(), FakeDevices()
    platforms: dict[str, Sequence[DevicePlatform]] = {}
    for index in range(count):
        person_id = f"p{index:03d}"
        kind = EntityType.LEAD if index % 9 == 0 else EntityType.CONTACT
        attributes = PersonAttributes(firstname=f"F{index}", lastname="L", pushconsent=index % 4 != 0)
        people.save(Person(org_id=ORG, entity_type=kind, person_id=person_id, attributes=attributes,
                           created_at=NOW, modified_at=NOW), previous=None)  # fmt: skip
        platforms[person_id] = [DevicePlatform.IOS, DevicePlatform.ANDROID][: index % 3]
        for platform in platforms[person_id]:
            devices.add(person_id, platform)
        if index % 5 == 0:
            devices.add(person_id, DevicePlatform.IOS, DeviceStatus.INVALID)
    return people, devices, platforms


def test_a_preview_counts_the_same_by_person_queries_and_by_the_device_index(monkeypatch: pytest.MonkeyPatch) -> None:
    people, devices, platforms = _directory(40)
    stores = _preview_stores(people, devices)
    audience = AudienceFilter(filter="startswith(firstname,'f1') or firstname in ('F2','F3','F4')")
    matched = {f"p{i:03d}" for i in [1, 2, 3, 4, *range(10, 20)] if i % 9 != 0}
    consenting = {p for p in matched if int(p[1:]) % 4 != 0}
    reached = {p for p in consenting if platforms[p]}

    by_person = preview.preview_audience(ORG, APP_ID, audience, stores=stores)
    # The consenting matches' devices are read in one read of them all (50 people a statement), not
    # one query a person
    assert devices.reads == [len(consenting)]
    monkeypatch.setattr(preview, "PER_PERSON_DEVICE_READS", 0)
    by_index = preview.preview_audience(ORG, APP_ID, audience, stores=stores)

    for found in (by_person, by_index):
        assert (found.matched, found.no_consent, found.people) == (
            len(matched),
            len(matched - consenting),
            len(reached),
        )
        assert found.ios == sum(DevicePlatform.IOS in platforms[p] for p in reached)
        assert found.android == sum(DevicePlatform.ANDROID in platforms[p] for p in reached)
        assert {p.person_id for p in found.sample} <= reached and len(found.sample) == min(10, len(reached))
    assert devices.reads == [len(consenting)]  # the index join read no person's devices


def test_a_preview_reads_its_matches_devices_50_people_a_read() -> None:
    # Given 240 people: 213 contacts (every ninth is a lead), 160 of them consenting to push
    people, devices, platforms = _directory(240)
    stores = _preview_stores(people, devices)

    # When a filter every contact matches is previewed
    found = preview.preview_audience(ORG, APP_ID, AudienceFilter(filter="lastname eq 'L'"), stores=stores)

    # Then their devices took four reads of at most 50 people (a query each made 160), and each
    # consenting contact with a device is counted
    assert sorted(devices.reads) == [10, 50, 50, 50]
    contacts = {f"p{i:03d}" for i in range(240) if i % 9 != 0}
    assert found.people == sum(1 for p in contacts if int(p[1:]) % 4 != 0 and platforms[p])


def test_an_all_devices_preview_leaves_out_people_who_withdrew_consent() -> None:
    people, devices, platforms = _directory(20)
    devices.add("anonymous", DevicePlatform.ANDROID)
    found = preview.preview_audience(ORG, APP_ID, None, stores=_preview_stores(people, devices))
    with_devices = {p for p, owned in platforms.items() if owned}
    withdrawn = {p for p in with_devices if int(p[1:]) % 4 == 0}
    assert found.matched == len(with_devices) + 1
    assert found.no_consent == len(withdrawn)
    assert found.people == len(with_devices - withdrawn) + 1
    assert found.ios + found.android == sum(len(platforms[p]) for p in with_devices - withdrawn) + 1
