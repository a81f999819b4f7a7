"""The population seeding writes exactly what the directory and a registration would store."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.adapters.dynamodb.keys import device_partition, device_token_owner_key, person_key
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.device import Device, DevicePlatform
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate_local.seeding import write_population

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _person(org_id: str, user_id: str) -> Person:
    return Person(
        org_id=org_id,
        entity_type=EntityType.CONTACT,
        person_id=user_id,
        attributes=PersonAttributes(firstname="Ana", emailaddress1="ana@example.com", timezone="Europe/Berlin"),
        created_at=AT,
        modified_at=AT,
    )


def _device(org_id: str, user_id: str, platform: DevicePlatform, serial: int) -> Device:
    token = hashlib.sha256(f"{user_id}-{serial}".encode()).hexdigest()
    return Device(
        org_id=org_id,
        app_id="app-1",
        user_id=user_id,
        platform=platform,
        token=token,
        token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        registered_at=AT,
        last_registered_at=AT,
        status_changed_at=AT,
    )


def _stored(table: MainTable, person: Person, devices: list[Device]) -> list[dict[str, Any]]:
    """Every item of the person and their devices, without the org id (each org is its own run)."""
    items = [table.get(person_key(person.org_id, person.entity_type, person.person_id))]
    items += table.query_partition(device_partition(person.org_id, "app-1", person.person_id))
    items += [table.get(device_token_owner_key(d.org_id, d.app_id, d.platform.value, d.token_sha256)) for d in devices]
    return [{k: str(v).replace(person.org_id, "ORG") for k, v in item.items()} for item in items if item]


def test_seeded_people_and_devices_are_stored_as_the_repositories_store_them(table: MainTable) -> None:
    by_repositories, by_seeding = f"org-{uuid.uuid4()}", f"org-{uuid.uuid4()}"
    person = _person(by_repositories, "user-1")
    devices = [_device(by_repositories, "user-1", platform, n) for n, platform in enumerate(DevicePlatform)]
    DynamoPersonRepository(table).save(person, previous=None)
    for device in devices:
        DynamoDeviceRepository(table).save(device, expected_owner=None)

    seeded_person = person.model_copy(update={"org_id": by_seeding})
    seeded_devices = [device.model_copy(update={"org_id": by_seeding}) for device in devices]
    written = write_population(table, [(seeded_person, seeded_devices)])

    expected = _stored(table, person, devices)
    assert written == len(expected) + 1  # and the person's e-mail lookup, which is keyed by digest
    assert _stored(table, seeded_person, seeded_devices) == expected
