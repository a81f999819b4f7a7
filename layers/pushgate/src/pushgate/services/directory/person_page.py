"""What an operator's person page shows beside the record: the person's devices per app, the
app-user links pointing at them, and their recent notifications.

Devices are stored per (app, user), so the devices are one ``Query`` per app of the org (an org has
few apps, a person few devices). The ledger has no per-person index: recent notifications are found
by reading the ledgers of the org's most recent sends, a bounded amount of work whose limits the
answer states (see ``docs/data-model.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pushgate.models.device import Device
from pushgate.models.directory import AppUserLink, EntityType
from pushgate.models.mobile_app import MobileApp
from pushgate.models.send import LedgerEntry, SendRecord
from pushgate.services.apps.mobile_apps import every_app
from pushgate.services.devices.ports import DeviceRepository
from pushgate.services.directory.directory import DirectoryStores, get_person
from pushgate.services.directory.ports import AppUserLinkRepository
from pushgate.services.messages.ports import MessageTemplateRepository
from pushgate.services.ports import MobileAppRepository
from pushgate.services.sends.ports import SendHistoryFilter, SendRepository

#: How many of the org's most recent sends the notification search reads.
RECENT_SENDS: Final = 20
#: A send whose ledger holds more entries than this is not searched (a broadcast to a large app):
#: reading it would cost more than a page view should.
MAX_LEDGER_ENTRIES: Final = 5_000
_LEDGER_PAGE: Final = 1_000


@dataclass(frozen=True)
class PersonPageStores:
    """The ports the person page reads.

    Attributes:
        directory: Orgs and people.
        apps: Mobile app configurations.
        devices: Devices.
        links: App-user links.
        sends: Sends, their history and ledgers.
        messages: Push messages (their names).
    """

    directory: DirectoryStores
    apps: MobileAppRepository
    devices: DeviceRepository
    links: AppUserLinkRepository
    sends: SendRepository
    messages: MessageTemplateRepository


@dataclass(frozen=True)
class PersonDevice:
    """One device of the person, with the app it is registered with."""

    app: MobileApp
    device: Device


@dataclass(frozen=True)
class PersonNotification:
    """One ledger entry of the person in a recent send."""

    send: SendRecord
    message_name: str | None
    entry: LedgerEntry


@dataclass(frozen=True)
class NotificationSearch:
    """The person's notifications in the org's recent sends, and how far the search went.

    Attributes:
        notifications: Newest send first; within a send, in ledger order.
        sends_searched: Recent sends whose ledgers were read.
        sends_skipped: Recent sends too large to read (more than ``MAX_LEDGER_ENTRIES`` entries).
    """

    notifications: list[PersonNotification]
    sends_searched: int
    sends_skipped: int


def person_devices(
    org_id: str, entity_type: EntityType, person_id: str, *, stores: PersonPageStores
) -> list[PersonDevice]:
    """Every device registered under the person's id, per app (apps by name, devices newest first).

    Raises:
        InvalidRequestError: The id is malformed.
        NotFoundError: No such org or person.
    """
    person = get_person(org_id, entity_type, person_id, stores=stores.directory)
    found: list[PersonDevice] = []
    for app in sorted(every_app(person.org_id, stores.apps), key=lambda a: (a.name.lower(), a.app_id)):
        devices = stores.devices.list_for_user(person.org_id, app.app_id, person.person_id)
        devices.sort(key=lambda d: d.last_registered_at, reverse=True)
        found.extend(PersonDevice(app, device) for device in devices)
    return found


def person_links(
    org_id: str, entity_type: EntityType, person_id: str, *, stores: PersonPageStores
) -> list[AppUserLink]:
    """The app-user links pointing at the person.

    Raises:
        InvalidRequestError: The id is malformed.
        NotFoundError: No such org or person.
    """
    person = get_person(org_id, entity_type, person_id, stores=stores.directory)
    return stores.links.list_for_person(person.org_id, entity_type, person.person_id)


def _entries_of(send: SendRecord, user_id: str, sends: SendRepository) -> list[LedgerEntry]:
    found: list[LedgerEntry] = []
    next_token: str | None = None
    while True:
        page = sends.ledger_page(send.org_id, send.send_id, limit=_LEDGER_PAGE, next_token=next_token, outcome=None)
        found.extend(entry for entry in page.entries if entry.user_id == user_id)
        next_token = page.next_token
        if next_token is None:
            return found


def person_notifications(
    org_id: str, entity_type: EntityType, person_id: str, *, stores: PersonPageStores
) -> NotificationSearch:
    """The person's ledger entries in the org's ``RECENT_SENDS`` most recent sends.

    Raises:
        InvalidRequestError: The id is malformed.
        NotFoundError: No such org or person.
    """
    person = get_person(org_id, entity_type, person_id, stores=stores.directory)
    recent, _ = stores.sends.history_page(person.org_id, SendHistoryFilter(), limit=RECENT_SENDS, next_token=None)
    notifications: list[PersonNotification] = []
    names: dict[str, str | None] = {}
    searched = skipped = 0
    for send in recent:
        if send.devices_targeted + send.recipient_outcomes > MAX_LEDGER_ENTRIES:
            skipped += 1
            continue
        searched += 1
        entries = _entries_of(send, person.person_id, stores.sends)
        if entries and send.message_id not in names:
            message = stores.messages.get(person.org_id, send.message_id)
            names[send.message_id] = message.content.name if message is not None else None
        notifications.extend(PersonNotification(send, names.get(send.message_id), entry) for entry in entries)
    return NotificationSearch(notifications, searched, skipped)
