"""Device items keep a copy of their person's consent, zone and locale (DynamoDB Local): written by the
registration, kept in step by every directory write, and read back from the app's device index."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from pushgate.adapters.dynamodb.device_audience import person_guard, read_people_with_id
from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.adapters.dynamodb.keys import device_key
from pushgate.adapters.dynamodb.recipient_devices import DynamoRecipientDevices
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.errors import ConflictError
from pushgate.models.device import Device
from pushgate.models.directory import EntityType, Person, PersonAttributes
from tests.integration.stored_devices import index_members, registered_device, stored_app

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _device(org_id: str, app_id: str, user_id: str) -> Device:
    return registered_device(org_id, app_id, user_id, user_id)


def _person(org_id: str, user_id: str, revision: int = 1, **attributes: object) -> Person:
    return Person(
        org_id=org_id,
        entity_type=EntityType.CONTACT,
        person_id=user_id,
        attributes=PersonAttributes.model_validate(attributes),
        created_at=NOW,
        modified_at=NOW,
        revision=revision,
    )


def test_the_copy_follows_registration_consent_changes_and_erasure_in_every_app(table: MainTable) -> None:
    org_id = str(uuid.uuid4())
    apps = [stored_app(table, org_id), stored_app(table, org_id)]
    people, devices = DynamoPersonRepository(table), DynamoDeviceRepository(table)
    person = _person(org_id, "ana", trackingconsent=True, timezone="Asia/Tokyo", locale="ja-JP")
    people.save(person, previous=None)
    for app_id in apps:
        devices.save(_device(org_id, app_id, "ana"), expected_owner=None)
        devices.save(_device(org_id, app_id, "nobody"), expected_owner=None)

    for app_id in apps:
        members = index_members(devices, org_id, app_id)
        ana, nobody = members["ana"], members["nobody"]
        assert (ana.profile_type, ana.pushconsent, ana.trackingconsent) == ("contact", True, True)
        assert (ana.timezone, ana.locale, ana.stamped) == ("Asia/Tokyo", "ja-JP", True)
        assert (nobody.profile_type, nobody.pushconsent, nobody.trackingconsent) == (None, True, False)

    # A withdrawn consent reaches the devices of every app in the person's own transaction.
    withdrawn = _person(org_id, "ana", revision=2, pushconsent=False, timezone="Europe/Paris")
    people.save(withdrawn, previous=person)
    for app_id in apps:
        ana = index_members(devices, org_id, app_id)["ana"]
        assert (ana.pushconsent, ana.trackingconsent, ana.timezone) == (False, False, "Europe/Paris")

    # A person created after their devices were registered is copied onto them too.
    late = _person(org_id, "nobody", firstname="Late", pushconsent=False)
    people.save(late, previous=None)
    assert index_members(devices, org_id, apps[1])["nobody"].pushconsent is False

    # Erased: no consent, whatever the device said before, until the erasure removes the devices.
    people.delete(withdrawn)
    stored = table.get(device_key(org_id, apps[0], "ana", "ios", _device(org_id, apps[0], "ana").token_sha256))
    assert stored is not None
    assert stored["pushconsent"] is False


def test_a_registration_racing_a_person_change_is_refused_and_retried(table: MainTable) -> None:
    org_id = str(uuid.uuid4())
    app_id = stored_app(table, org_id)
    people = DynamoPersonRepository(table)
    person = _person(org_id, "bo")
    people.save(person, previous=None)
    read = read_people_with_id(table, org_id, "bo")
    # The person changes between the registration's read and its transaction: the guard fails.
    people.save(_person(org_id, "bo", revision=2, pushconsent=False), previous=person)
    with pytest.raises(ConflictError):
        table.transact_write(person_guard(org_id, "bo", read))
    # Read again, the registration copies the new consent.
    DynamoDeviceRepository(table).save(_device(org_id, app_id, "bo"), expected_owner=None)
    assert index_members(DynamoDeviceRepository(table), org_id, app_id)["bo"].pushconsent is False


def test_the_devices_carry_the_whole_record_through_registration_changes_and_erasure(table: MainTable) -> None:
    org_id = str(uuid.uuid4())
    app_id = stored_app(table, org_id)
    people, devices, reader = (
        DynamoPersonRepository(table),
        DynamoDeviceRepository(table),
        DynamoRecipientDevices(table),
    )

    def record() -> PersonAttributes | None:
        [member] = reader.active_devices(org_id, app_id, ["ana"], with_record=True)["ana"]
        return member.record

    # Registered before the person exists: nothing to copy.
    devices.save(_device(org_id, app_id, "ana"), expected_owner=None)
    assert record() is None
    person = _person(org_id, "ana", firstname="Ana", customattributes={"tier": "gold", "points": 1.5})
    people.save(person, previous=None)
    assert record() == person.attributes
    changed = _person(org_id, "ana", revision=2, firstname="Ann", locale="pt-BR")
    people.save(changed, previous=person)
    assert record() == changed.attributes
    # A registration copies the record as it reads it.
    devices.save(_device(org_id, app_id, "ana"), expected_owner="ana")
    assert record() == changed.attributes

    # A send of a message that reads no person does not ask for the record.
    [plain] = reader.active_devices(org_id, app_id, ["ana"])["ana"]
    assert (plain.record, plain.locale) == (None, "pt-BR")

    people.delete(changed)
    assert record() is None
