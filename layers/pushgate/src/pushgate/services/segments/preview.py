"""Audience previews: how many people and devices a send's audience reaches now, without sending.

A segment's people are read as its send reads them (pages of one kind, eventually consistent) and
matched; then the Active devices of the app of each matching person with push consent are counted.
For up to ``PER_PERSON_DEVICE_READS`` such people their device partitions are read as a send
reads them (50 people a PartiQL statement, several in flight); beyond, the app's device index is
read once (16 shards, large pages) and joined in memory, which costs less than half a read unit a
person. ``AllActiveDevices`` counts the app's Active devices from that index, less those of people
who withdrew push consent, as a broadcast sends. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from pushgate.models.device import DevicePlatform
from pushgate.models.directory import Person
from pushgate.models.mobile_app import MobileApp
from pushgate.models.send import AudienceMember
from pushgate.services.apps.orgs import get_org
from pushgate.services.directory.person_filters import PersonFilter
from pushgate.services.directory.ports import PersonRepository
from pushgate.services.messages.ports import AppFinder
from pushgate.services.ports import OrgRepository
from pushgate.services.segments.ports import SegmentRepository
from pushgate.services.segments.segments import AudienceFilter, audience_person_filter
from pushgate.services.sends.ports import AudienceReader, RecipientDevices
from pushgate.services.sends.send_fanout import find_sendable_app, people_by_precedence, read_active_devices

#: People of a page read at once (as a segment send reads them).
PREVIEW_PAGE_PEOPLE: Final = 1000
#: Above this many consenting people, devices are counted from the app's device index instead.
PER_PERSON_DEVICE_READS: Final = 2000
#: Device index entries read per Query.
DEVICE_INDEX_PAGE: Final = 1000
SAMPLE_SIZE: Final = 10


@dataclass(frozen=True)
class PreviewStores:
    """The ports a preview reads.

    Attributes:
        orgs: Orgs.
        apps: Mobile apps.
        people: The directory.
        recipient_devices: The Active devices of many people a read.
        device_index: The app's device index, shard by shard.
        segments: Saved segments.
        shards: Shards of the device index.
    """

    orgs: OrgRepository
    apps: AppFinder
    people: PersonRepository
    recipient_devices: RecipientDevices
    device_index: AudienceReader
    segments: SegmentRepository
    shards: int


@dataclass
class AudiencePreview:
    """What an audience reaches now.

    Attributes:
        people: People matching, with push consent and at least one Active device of the app.
        matched: People matching the filter (for ``AllActiveDevices``: users with an Active device).
        no_consent: Matching people who withdrew push consent.
        ios: Active iOS devices of the people reached.
        android: Active Android devices of the people reached.
        sample: Up to ten of the people reached.
    """

    people: int = 0
    matched: int = 0
    no_consent: int = 0
    ios: int = 0
    android: int = 0
    sample: list[Person] = field(default_factory=list)


def _platform_configured(app: MobileApp, platform: DevicePlatform) -> bool:
    return (app.ios if platform is DevicePlatform.IOS else app.android) is not None


def _index_devices(app: MobileApp, stores: PreviewStores) -> Iterable[AudienceMember]:
    for shard in range(stores.shards):
        start_key = None
        while True:
            members, start_key = stores.device_index.audience_page(
                app.org_id, app.app_id, shard, limit=DEVICE_INDEX_PAGE, start_key=start_key
            )
            yield from members
            if start_key is None:
                break


def _platforms_by_person(
    app: MobileApp, people: Sequence[Person], stores: PreviewStores
) -> dict[str, list[DevicePlatform]]:
    if len(people) > PER_PERSON_DEVICE_READS:
        wanted = {person.person_id for person in people}
        found: dict[str, list[DevicePlatform]] = {}
        for member in _index_devices(app, stores):
            if member.user_id in wanted:
                found.setdefault(member.user_id, []).append(member.platform)
        return found

    user_ids = [person.person_id for person in people]
    devices = read_active_devices(stores.recipient_devices, app.org_id, app.app_id, user_ids)
    return {user_id: [member.platform for member in members] for user_id, members in devices.items()}


def _count(
    app: MobileApp, preview: AudiencePreview, person: Person | None, platforms: Sequence[DevicePlatform]
) -> None:
    usable = [platform for platform in platforms if _platform_configured(app, platform)]
    if not usable:
        return
    preview.ios += sum(1 for platform in usable if platform is DevicePlatform.IOS)
    preview.android += sum(1 for platform in usable if platform is DevicePlatform.ANDROID)
    preview.people += 1
    if person is not None and len(preview.sample) < SAMPLE_SIZE:
        preview.sample.append(person)


def _preview_filter(app: MobileApp, person_filter: PersonFilter, stores: PreviewStores) -> AudiencePreview:
    preview = AudiencePreview()
    consenting: list[Person] = []
    after_id: str | None = None
    while True:
        people, after_id = stores.people.read_page(
            app.org_id, person_filter.entity_type, after_id=after_id, limit=PREVIEW_PAGE_PEOPLE
        )
        for person in people:
            if not person_filter.matches(person):
                continue
            preview.matched += 1
            if person.attributes.pushconsent:
                consenting.append(person)
            else:
                preview.no_consent += 1
        if after_id is None:
            break
    platforms = _platforms_by_person(app, consenting, stores)
    for person in consenting:
        _count(app, preview, person, platforms.get(person.person_id, []))
    return preview


def _preview_all_devices(app: MobileApp, stores: PreviewStores) -> AudiencePreview:
    by_user: dict[str, list[DevicePlatform]] = {}
    for member in _index_devices(app, stores):
        by_user.setdefault(member.user_id, []).append(member.platform)
    people = people_by_precedence(app.org_id, sorted(by_user), stores.people)
    preview = AudiencePreview(matched=len(by_user))
    for user_id in sorted(by_user):
        person = people.get(user_id)
        if person is not None and not person.attributes.pushconsent:
            preview.no_consent += 1
            continue
        # A device without a directory record (an anonymous user) is reached, with defaults.
        _count(app, preview, person, by_user[user_id])
    return preview


def preview_audience(
    org_id: str, app_id: str, audience: AudienceFilter | None, *, stores: PreviewStores
) -> AudiencePreview:
    """Counts what an audience reaches now through an app.

    Args:
        org_id: The org.
        app_id: The ``MobileAppId``.
        audience: A filter or saved segment; ``None`` for ``AllActiveDevices``.
        stores: The ports.

    Raises:
        InvalidRequestError: A malformed id or filter (``Audience.Filter``, with the position).
        NotFoundError: No such org, app or segment.
        DependencyError: DynamoDB failed.
    """
    org = get_org(org_id, orgs=stores.orgs)
    app = find_sendable_app(org.org_id, app_id, apps=stores.apps)
    if audience is None:
        return _preview_all_devices(app, stores)
    person_filter, _ = audience_person_filter(org.org_id, audience, segments=stores.segments)
    return _preview_filter(app, person_filter, stores)
