"""The directory (people and their lookup items) and app-user links in the main table.

A person and its lookup items (one per indexed email or phone number) are always written in one
transaction, conditioned on the person's revision, so a changed or removed email never leaves a
stale lookup behind. An app-user link and its reverse item under the person are written in one
transaction together with a check that the person exists, so a link never outlives an erasure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache, partial
from typing import Any

from pushgate.adapters.dynamodb.device_audience import (
    DEVICES_PER_TRANSACTION,
    PERSON_REVISION,
    current_stamp,
    effective_person,
    org_app_ids,
    person_device_keys,
    person_stamp,
    read_people_with_id,
    settle_devices,
    stamp_update,
)
from pushgate.adapters.dynamodb.keys import (
    PARTITION_KEY,
    PERSON_PREFIX,
    SORT_KEY,
    ItemKey,
    app_user_link_key,
    org_partition,
    person_key,
    person_link_key,
    person_links_prefix,
    person_lookup_key,
    person_lookup_partition,
    person_prefix,
)
from pushgate.adapters.dynamodb.table import MainTable, TableAdapter
from pushgate.models.directory import AppUserLink, EntityType, Person, PersonAttributes, lookup_digest, lookup_values
from pushgate.runtime.attribute_values import serialize


def _person_item(person: Person) -> dict[str, Any]:
    attributes = person.attributes.model_dump(exclude={"customattributes"})
    return {
        **person_key(person.org_id, person.entity_type, person.person_id).as_dict(),
        "type": "Person",
        "org_id": person.org_id,
        "entity_type": person.entity_type.value,
        "person_id": person.person_id,
        "attributes": {name: value for name, value in attributes.items() if value is not None},
        # Custom values may be floats, which DynamoDB's number type would only take as Decimals.
        "custom_attributes_json": json.dumps(person.attributes.customattributes, separators=(",", ":")),
        "created_at": person.created_at.isoformat(),
        "modified_at": person.modified_at.isoformat(),
        "revision": person.revision,
    }


def stored_person_items(person: Person) -> list[dict[str, Any]]:
    """The items the directory stores for a new ``person``, keys included: its record and its lookups."""
    return [_person_item(person), *_lookup_keys(person).values()]


def person_from_item(item: Mapping[str, Any]) -> Person:
    """A person as its item stores it."""
    attributes = {**item.get("attributes", {}), "customattributes": json.loads(item["custom_attributes_json"])}
    return Person(
        org_id=item["org_id"],
        entity_type=EntityType(item["entity_type"]),
        person_id=item["person_id"],
        attributes=PersonAttributes.model_validate(attributes),
        created_at=item["created_at"],
        modified_at=item["modified_at"],
        revision=int(item["revision"]),
    )


def _lookup_keys(person: Person) -> dict[ItemKey, dict[str, Any]]:
    keys = {}
    for field, value in lookup_values(person.attributes).items():
        key = person_lookup_key(person.org_id, field, lookup_digest(value), person.entity_type, person.person_id)
        keys[key] = {
            **key.as_dict(),
            "type": "PersonLookup",
            "entity_type": person.entity_type.value,
            "person_id": person.person_id,
        }
    return keys


def _revision_condition(previous: Person | None) -> dict[str, Any]:
    if previous is None:
        return {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": PARTITION_KEY}}
    return {
        "ConditionExpression": "#revision = :revision",
        "ExpressionAttributeNames": {"#revision": "revision"},
        "ExpressionAttributeValues": {":revision": previous.revision},
    }


class DynamoPersonRepository:
    """The adapter of ``PersonRepository``: people of an org's directory, with their email and phone lookups."""

    def __init__(
        self, table: MainTable, *, consistent_batch_reads: bool = True, app_ids: Sequence[str] | None = None
    ) -> None:
        """Binds the repository to the main table.

        Args:
            table: The main table.
            consistent_batch_reads: Whether ``get_many`` reads strongly consistently; a send's
                fan-out reads eventually consistently, at half the read units.
            app_ids: The org's apps as ``many_writes`` read them; ``None`` reads them at each write.
        """
        self._table = table
        self._consistent_batch_reads = consistent_batch_reads
        self._app_ids = app_ids
        #: The ids written by a ``many_writes`` repository (none kept otherwise).
        self._written: set[str] | None = set() if app_ids is not None else None

    @contextmanager
    def many_writes(self, org_id: str) -> Iterator[DynamoPersonRepository]:
        """A repository for many writes in one org (an import) that reads the org's apps once before
        them instead of twice per write, and once after them: an app created meanwhile may hold a
        device registered meanwhile under a written id, so each written id is settled in it."""
        known = org_app_ids(self._table, org_id)
        writing = DynamoPersonRepository(
            self._table, consistent_batch_reads=self._consistent_batch_reads, app_ids=known
        )
        try:
            yield writing
        finally:
            created = [app_id for app_id in org_app_ids(self._table, org_id) if app_id not in known]
            if created:
                for person_id in sorted(writing._written or ()):
                    stamp = cache(partial(current_stamp, self._table, org_id, person_id))
                    settle_devices(self._table, org_id, person_id, stamp, created)

    def get(self, org_id: str, entity_type: EntityType, person_id: str) -> Person | None:
        return self._table.get_as(person_key(org_id, entity_type, person_id), person_from_item)

    def get_many(self, org_id: str, refs: Sequence[tuple[EntityType, str]]) -> list[Person]:
        """The people that exist among ``refs`` (any order)."""
        items = self._table.batch_get(
            [person_key(org_id, entity_type, person_id) for entity_type, person_id in refs],
            consistent=self._consistent_batch_reads,
        )
        return [person_from_item(item) for item in items]

    def list_page(
        self, org_id: str, entity_type: EntityType, *, limit: int, after_id: str | None
    ) -> tuple[list[Person], bool]:
        """A page of one entity type's people in id order, after ``after_id``; and whether more follow."""
        partition = org_partition(org_id)
        start_key = None
        if after_id is not None:
            start = person_key(org_id, entity_type, after_id)
            start_key = {PARTITION_KEY: serialize(start.pk), SORT_KEY: serialize(start.sk)}
        # One extra item tells whether a next page exists, so the last page carries no next link.
        items, _ = self._table.query_prefix(partition, person_prefix(entity_type), limit=limit + 1, start_key=start_key)
        return [person_from_item(item) for item in items[:limit]], len(items) > limit

    def read_page(
        self, org_id: str, entity_type: EntityType, *, after_id: str | None, limit: int
    ) -> tuple[list[Person], str | None]:
        """A page of one entity type's people in id order (eventually consistent, half the read units
        of a strong read: one ``Query``, or more when the page passes a ``Query``'s 1 MB); and the id to
        continue after, ``None`` after the last page."""
        start_key: Mapping[str, Any] | None = None
        if after_id is not None:
            start = person_key(org_id, entity_type, after_id)
            start_key = {PARTITION_KEY: serialize(start.pk), SORT_KEY: serialize(start.sk)}
        items: list[dict[str, Any]] = []
        while True:
            batch, last_key = self._table.query_prefix(
                org_partition(org_id),
                person_prefix(entity_type),
                limit=limit - len(items),
                start_key=start_key,
                consistent=False,
            )
            items.extend(batch)
            if not last_key or len(items) >= limit:
                break
            start_key = last_key
        people = [person_from_item(item) for item in items]
        return people, (people[-1].person_id if last_key and people else None)

    def find_by_lookup(
        self, org_id: str, field: str, normalised_value: str, entity_type: EntityType | None
    ) -> list[tuple[EntityType, str]]:
        """The people whose indexed ``field`` has this normalised value (one entity type, or all)."""
        prefix = person_prefix(entity_type) if entity_type is not None else PERSON_PREFIX
        items = self._table.query_all(person_lookup_partition(org_id, field, lookup_digest(normalised_value)), prefix)
        return [(EntityType(item["entity_type"]), str(item["person_id"])) for item in items]

    def save(self, person: Person, *, previous: Person | None) -> None:
        """Writes a person and its changed lookups in one transaction.

        Raises:
            ConflictError: The person changed (or appeared) since ``previous`` was read.
        """
        old_lookups = _lookup_keys(previous) if previous is not None else {}
        new_lookups = _lookup_keys(person)
        actions: list[dict[str, Any]] = [{"Put": {"Item": _person_item(person), **_revision_condition(previous)}}]
        actions += [{"Delete": {"Key": key.as_dict()}} for key in old_lookups.keys() - new_lookups.keys()]
        actions += [{"Put": {"Item": item}} for key, item in new_lookups.items() if key not in old_lookups]
        self._write_with_devices(person, actions, lambda others: effective_person([*others, person]))

    def _write_with_devices(
        self,
        person: Person,
        actions: list[dict[str, Any]],
        effective_among: Callable[[list[Person]], Person | None],
    ) -> None:
        """Writes ``actions`` together with the copy of the person on its devices (see
        ``device_audience``), then settles devices the transaction could not name.

        ``effective_among`` names whom the devices belong to once the write is done, given the
        records of the other kinds with the person's id; those are read only when a device needs
        the copy, so a person without devices costs no read of them.
        """

        @cache
        def stamp() -> dict[str, Any]:
            others = [
                p
                for p in read_people_with_id(self._table, person.org_id, person.person_id)
                if p.entity_type != person.entity_type
            ]
            effective = effective_among(others)
            return person_stamp(effective, erased=effective is None)

        devices = person_device_keys(self._table, person.org_id, person.person_id, self._app_ids)
        updates = [stamp_update(key, stamp()) for key, revision in devices if revision != stamp()[PERSON_REVISION]]
        self._table.transact_write([*actions, *updates[:DEVICES_PER_TRANSACTION]])
        if self._written is not None:
            self._written.add(person.person_id)
        settle_devices(self._table, person.org_id, person.person_id, stamp, self._app_ids)

    def delete(self, person: Person) -> int:
        """Deletes a person and its lookups in one transaction; returns how many lookups went.

        Raises:
            ConflictError: The person changed since it was read.
        """
        lookups = _lookup_keys(person)
        actions: list[dict[str, Any]] = [
            {
                "Delete": {
                    "Key": person_key(person.org_id, person.entity_type, person.person_id).as_dict(),
                    **_revision_condition(person),
                }
            }
        ]
        actions += [{"Delete": {"Key": key.as_dict()}} for key in lookups]
        # Another kind of record with the same id now owns the devices; with none, they are an
        # erased person's and receive nothing until the erasure removes them.
        self._write_with_devices(person, actions, effective_person)
        return len(lookups)


_LINK_FIELDS = ("org_id", "app_id", "app_user_id", "entity_type", "entity_id", "created_at", "modified_at")


def _link_item(link: AppUserLink) -> dict[str, Any]:
    return {
        **app_user_link_key(link.org_id, link.app_id, link.app_user_id).as_dict(),
        "type": "AppUserLink",
        **link.model_dump(mode="json", include=set(_LINK_FIELDS)),
    }


def _reverse_key(link: AppUserLink) -> ItemKey:
    return person_link_key(link.org_id, link.entity_type, link.entity_id, link.app_id, link.app_user_id)


def _link_from_item(item: Mapping[str, Any]) -> AppUserLink:
    return AppUserLink.model_validate({name: item[name] for name in _LINK_FIELDS})


class DynamoAppUserLinkRepository(TableAdapter):
    """The adapter of ``AppUserLinkRepository``: links from apps' own user ids to directory records, with a
    reverse item per link.
    """

    def get(self, org_id: str, app_id: str, app_user_id: str) -> AppUserLink | None:
        return self._table.get_as(app_user_link_key(org_id, app_id, app_user_id), _link_from_item)

    def save(self, link: AppUserLink, *, previous: AppUserLink | None) -> None:
        """Writes a link (moving its reverse item when it points elsewhere now) if the person exists.

        Raises:
            ConflictError: The person is gone, or the link changed since ``previous`` was read.
        """
        if previous is None:
            condition: dict[str, Any] = {
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            }
        else:
            condition = {
                "ConditionExpression": "#modified = :modified",
                "ExpressionAttributeNames": {"#modified": "modified_at"},
                "ExpressionAttributeValues": {":modified": _link_item(previous)["modified_at"]},
            }
        reverse = _reverse_key(link)
        actions: list[dict[str, Any]] = [
            {"Put": {"Item": _link_item(link), **condition}},
            {
                "Put": {
                    "Item": {
                        **reverse.as_dict(),
                        "type": "PersonAppUserLink",
                        "app_id": link.app_id,
                        "app_user_id": link.app_user_id,
                    }
                }
            },
            {
                "ConditionCheck": {
                    "Key": person_key(link.org_id, link.entity_type, link.entity_id).as_dict(),
                    "ConditionExpression": "attribute_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                }
            },
        ]
        if previous is not None and _reverse_key(previous) != reverse:
            actions.append({"Delete": {"Key": _reverse_key(previous).as_dict()}})
        self._table.transact_write(actions)

    def delete(self, link: AppUserLink) -> None:
        """Deletes a link and its reverse item in one transaction."""
        self._table.transact_write(
            [
                {"Delete": {"Key": app_user_link_key(link.org_id, link.app_id, link.app_user_id).as_dict()}},
                {"Delete": {"Key": _reverse_key(link).as_dict()}},
            ]
        )

    def list_for_person(self, org_id: str, entity_type: EntityType, person_id: str) -> list[AppUserLink]:
        """Every link pointing at a person: the reverse items (one ``Query``), then the links themselves
        (``BatchGetItem``), keeping only those that still point at the person."""
        reverse_items = self._table.query_all(org_partition(org_id), person_links_prefix(entity_type, person_id))
        keys = [app_user_link_key(org_id, str(i["app_id"]), str(i["app_user_id"])) for i in reverse_items]
        links = [_link_from_item(item) for item in self._table.batch_get(keys)]
        mine = [link for link in links if link.entity_type is entity_type and link.entity_id == person_id]
        return sorted(mine, key=lambda link: (link.app_id, link.app_user_id))

    def delete_for_person(self, org_id: str, entity_type: EntityType, person_id: str) -> int:
        """Deletes every link pointing at a person; returns how many there were."""
        reverse_items = self._table.query_all(org_partition(org_id), person_links_prefix(entity_type, person_id))
        for item in reverse_items:
            link_key = app_user_link_key(org_id, str(item["app_id"]), str(item["app_user_id"]))
            # The forward item is deleted only while it still points at this person: an app may
            # have re-linked its user elsewhere since the reverse item was read.
            self._table.transact_write(
                [
                    {"Delete": {"Key": ItemKey(str(item[PARTITION_KEY]), str(item[SORT_KEY])).as_dict()}},
                    {
                        "Delete": {
                            "Key": link_key.as_dict(),
                            "ConditionExpression": "attribute_not_exists(#pk) OR "
                            "(#entity_type = :entity_type AND #entity_id = :entity_id)",
                            "ExpressionAttributeNames": {
                                "#pk": PARTITION_KEY,
                                "#entity_type": "entity_type",
                                "#entity_id": "entity_id",
                            },
                            "ExpressionAttributeValues": {":entity_type": entity_type.value, ":entity_id": person_id},
                        }
                    },
                ]
            )
        return len(reverse_items)
