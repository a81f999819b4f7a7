"""What an import asks of DynamoDB (DynamoDB Local): the org's apps once per import rather than twice per
person, a person's other records only when they have devices to copy onto, and still every device
in step with its person, even one registered meanwhile in an app created meanwhile."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.adapters.dynamodb.orgs import DynamoOrgRepository
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate.models.org import Org
from pushgate.services.directory.directory import DirectoryStores, import_people
from tests.integration.stored_devices import index_members, registered_device, stored_app

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PEOPLE = 20


@contextmanager
def requests_by_operation(table: MainTable) -> Iterator[Counter[str]]:
    """Counts the DynamoDB requests the table's client sends meanwhile, by operation."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def count(model: Any, **_: Any) -> None:
        with lock:
            counts[model.name] += 1

    events = table._client.meta.events  # the client the adapters share
    events.register("before-call.dynamodb", count, unique_id="count-requests")
    try:
        yield counts
    finally:
        events.unregister("before-call.dynamodb", unique_id="count-requests")


def _org(table: MainTable) -> str:
    org_id = str(uuid.uuid4())
    DynamoOrgRepository(table).create(Org(org_id=org_id, name="Import org", created_at=NOW))
    return org_id


def _profile_types(devices: DynamoDeviceRepository, org_id: str, app_id: str) -> dict[str, str | None]:
    return {user_id: member.profile_type for user_id, member in index_members(devices, org_id, app_id).items()}


def _items(prefix: str) -> list[dict[str, Any]]:
    return [{"contactid": f"{prefix}-{n:02d}", "emailaddress1": f"{prefix}{n}@example.com"} for n in range(PEOPLE)]


def test_an_import_into_an_org_without_apps_is_one_transaction_per_person(table: MainTable) -> None:
    org_id = _org(table)
    stores = DirectoryStores(orgs=DynamoOrgRepository(table), people=DynamoPersonRepository(table))

    with requests_by_operation(table) as requests:
        results = import_people(org_id, EntityType.CONTACT, _items("bulk"), stores=stores)

    assert [result.error for result in results] == [None] * PEOPLE
    # The org, the people already there, the apps before and after, and one transaction each.
    assert requests == {"GetItem": 1, "BatchGetItem": 1, "Query": 2, "TransactWriteItems": PEOPLE}


def test_an_import_reads_devices_per_app_and_copies_the_person_onto_the_devices_it_finds(table: MainTable) -> None:
    org_id = _org(table)
    app_id = stored_app(table, org_id)
    devices = DynamoDeviceRepository(table)
    for user_id in ("bulk-03", "bulk-11"):
        devices.save(registered_device(org_id, app_id, user_id, user_id), expected_owner=None)
    stores = DirectoryStores(orgs=DynamoOrgRepository(table), people=DynamoPersonRepository(table))

    with requests_by_operation(table) as requests:
        import_people(org_id, EntityType.CONTACT, _items("bulk"), stores=stores)

    # Each person's device partition before the transaction and after it; the other kinds of
    # record with the same id only for the two people whose devices take the copy.
    assert requests == {
        "GetItem": 1,
        "BatchGetItem": 1 + 2,
        "Query": 2 + 2 * PEOPLE,
        "TransactWriteItems": PEOPLE,
    }
    assert _profile_types(devices, org_id, app_id) == {"bulk-03": "contact", "bulk-11": "contact"}


def test_a_device_registered_during_an_import_in_an_app_created_during_it_gets_its_copy(table: MainTable) -> None:
    org_id = _org(table)
    people, devices = DynamoPersonRepository(table), DynamoDeviceRepository(table)
    person = Person(
        org_id=org_id,
        entity_type=EntityType.CONTACT,
        person_id="ana",
        attributes=PersonAttributes.model_validate({"firstname": "Ana"}),
        created_at=NOW,
        modified_at=NOW,
        revision=1,
    )

    with people.many_writes(org_id) as importing:
        late_app = stored_app(table, org_id)
        devices.save(registered_device(org_id, late_app, "ana", "ana"), expected_owner=None)
        importing.save(person, previous=None)

    assert _profile_types(devices, org_id, late_app) == {"ana": "contact"}
