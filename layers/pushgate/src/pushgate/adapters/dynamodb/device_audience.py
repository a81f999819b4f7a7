"""What a device item knows of its person, so a broadcast decides consent, zone and locale from the index.

Every device item carries a copy of its person's ``pushconsent``, ``trackingconsent``, ``timezone``
and ``locale`` (plus the person's kind and revision), and ``GSI3`` projects them, so a broadcast
page reads them with the devices and never reads a person unless the message is personal. The item
also carries the person's whole record (not projected), so a per-recipient send of a personal
message renders from the read of the recipient's devices.

The copy is kept in step from both sides, each in one transaction:

* a directory write (create, update, erase) updates every device of the person in every app of
  the org (one ``Query`` for the org's apps, one per app for the person's devices: no scan) in the
  same transaction as the person, conditioned on each device still existing; after it commits,
  the devices are read again and any one stamped with an older revision (a registration that
  committed between the read and the transaction) is brought up to date. The person's other
  kinds of record, which decide the copy, are read only when a device needs it; an import reads
  the org's apps once before its people and once after them (for an app created meanwhile);
* a registration copies the person as it reads it and checks, in the device's transaction, that
  the person is still at that revision (or still absent), so a person change racing it either
  lands first (the registration is retried and copies the new values) or finds the new device.

A device whose id names no person carries the anonymous defaults (push consent, no tracking, the
app's default zone, no locale). A device of an erased person carries ``pushconsent: false`` until
the erasure removes it. Items written before the copy existed have no ``person_revision``: a
broadcast page reads their people directly (a read-through), and their next registration or
directory write stamps them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from pushgate.adapters.dynamodb.keys import (
    APP_PREFIX,
    PARTITION_KEY,
    SORT_KEY,
    ItemKey,
    device_partition,
    org_partition,
    person_key,
)
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.device import DevicePlatform
from pushgate.models.directory import ENTITY_TYPE_PRECEDENCE, Person, PersonAttributes
from pushgate.models.send import AudienceMember

#: Attributes of a device item copied from its person (these projected into ``GSI3``).
PERSON_TYPE: Final = "person_type"
PUSH_CONSENT: Final = "pushconsent"
TRACKING_CONSENT: Final = "trackingconsent"
TIME_ZONE: Final = "timezone"
LOCALE: Final = "locale"
#: The person's revision the copy was taken at; 0 when no person existed; absent on items written
#: before the copy existed.
PERSON_REVISION: Final = "person_revision"
STAMP_ATTRIBUTES: Final = (PERSON_TYPE, PUSH_CONSENT, TRACKING_CONSENT, TIME_ZONE, LOCALE, PERSON_REVISION)
#: The person's whole record (its attributes as JSON), so a personal message renders from the
#: devices' read; absent without a live person. Not projected into ``GSI3``: broadcasts need none
#: of it and their index pages keep their size.
PERSON_RECORD: Final = "person_record"
#: The revision an erased person's devices are stamped with: above any live revision, so a racing
#: registration's copy never counts as newer.
ERASED_REVISION: Final = 2**62
#: Device updates that ride in the person's transaction (``TransactWriteItems`` takes 100 actions;
#: the person and its lookups take up to 7). A person with more devices gets the rest right after.
DEVICES_PER_TRANSACTION: Final = 90


def audience_member(item: Mapping[str, Any], platform: DevicePlatform, token_sha256: str) -> AudienceMember:
    """A device item (or its ``GSI3`` projection) as a member of an audience, with its person's copy."""
    return AudienceMember(
        user_id=str(item["user_id"]),
        platform=platform,
        token=str(item["token"]),
        token_sha256=token_sha256,
        # Items written before devices copied their person carry no revision: their people are read instead.
        stamped=PERSON_REVISION in item,
        profile_type=item.get(PERSON_TYPE),
        pushconsent=bool(item.get(PUSH_CONSENT, True)),
        trackingconsent=bool(item.get(TRACKING_CONSENT, False)),
        timezone=item.get(TIME_ZONE),
        locale=item.get(LOCALE),
        revision=int(item[PERSON_REVISION]) if PERSON_REVISION in item else None,
        record=PersonAttributes.model_validate_json(item[PERSON_RECORD]) if PERSON_RECORD in item else None,
    )


def person_stamp(person: Person | None, *, erased: bool = False) -> dict[str, Any]:
    """The device attributes that copy ``person`` (``None``: no person record, the anonymous defaults)."""
    if erased:
        return {
            PERSON_TYPE: None,
            PUSH_CONSENT: False,
            TRACKING_CONSENT: False,
            TIME_ZONE: None,
            LOCALE: None,
            PERSON_REVISION: ERASED_REVISION,
            PERSON_RECORD: None,
        }
    if person is None:
        return {
            PERSON_TYPE: None,
            PUSH_CONSENT: True,
            TRACKING_CONSENT: False,
            TIME_ZONE: None,
            LOCALE: None,
            PERSON_REVISION: 0,
            PERSON_RECORD: None,
        }
    attributes = person.attributes
    return {
        PERSON_TYPE: person.entity_type.value,
        PUSH_CONSENT: attributes.pushconsent,
        TRACKING_CONSENT: attributes.trackingconsent,
        TIME_ZONE: attributes.timezone,
        LOCALE: attributes.locale,
        PERSON_REVISION: person.revision,
        PERSON_RECORD: attributes.model_dump_json(exclude_none=True),
    }


def effective_person(people: Sequence[Person]) -> Person | None:
    """The person a device belongs to among the records with its id, by the sends' precedence
    (contact, then lead, then profile)."""
    by_type = {person.entity_type: person for person in people}
    for entity_type in ENTITY_TYPE_PRECEDENCE:
        if entity_type in by_type:
            return by_type[entity_type]
    return None


def read_people_with_id(table: MainTable, org_id: str, person_id: str) -> list[Person]:
    """Every directory record (of any kind) with this id, strongly consistent (one ``BatchGetItem``)."""
    from pushgate.adapters.dynamodb.directory import person_from_item  # noqa: PLC0415 - directory imports this module

    keys = [person_key(org_id, entity_type, person_id) for entity_type in ENTITY_TYPE_PRECEDENCE]
    return [person_from_item(item) for item in table.batch_get(keys, consistent=True)]


def person_guard(org_id: str, person_id: str, people: Sequence[Person]) -> list[dict[str, Any]]:
    """``ConditionCheck`` actions that hold while the person a device belongs to is as read: the
    effective record at its revision, and every kind before it in precedence still absent (a kind
    after it cannot change whom the device belongs to, so it is not checked)."""
    found = {person.entity_type: person for person in people}
    checks: list[dict[str, Any]] = []
    for entity_type in ENTITY_TYPE_PRECEDENCE:
        key = person_key(org_id, entity_type, person_id).as_dict()
        person = found.get(entity_type)
        if person is None:
            checks.append(
                {
                    "ConditionCheck": {
                        "Key": key,
                        "ConditionExpression": "attribute_not_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                    }
                }
            )
        else:
            checks.append(
                {
                    "ConditionCheck": {
                        "Key": key,
                        "ConditionExpression": "#revision = :revision",
                        "ExpressionAttributeNames": {"#revision": "revision"},
                        "ExpressionAttributeValues": {":revision": person.revision},
                    }
                }
            )
            break
    return checks


def org_app_ids(table: MainTable, org_id: str) -> list[str]:
    """The ids of the org's apps (one ``Query``)."""
    return [str(item["app_id"]) for item in table.query_all(org_partition(org_id), APP_PREFIX) if "app_id" in item]


def person_device_keys(
    table: MainTable, org_id: str, person_id: str, app_ids: Sequence[str] | None = None
) -> list[tuple[ItemKey, Any]]:
    """Every device item registered under ``person_id`` in every app of the org (or in ``app_ids``),
    with its stamped revision (``None`` when unstamped): one ``Query`` for the apps unless given,
    one per app (strongly consistent)."""
    found: list[tuple[ItemKey, Any]] = []
    for app_id in org_app_ids(table, org_id) if app_ids is None else app_ids:
        for item in table.query_partition(device_partition(org_id, app_id, person_id), consistent=True):
            if item.get("type") == "Device":
                found.append((ItemKey(str(item[PARTITION_KEY]), str(item[SORT_KEY])), item.get(PERSON_REVISION)))
    return found


def stamp_update(key: ItemKey, stamp: Mapping[str, Any]) -> dict[str, Any]:
    """The transaction ``Update`` that copies ``stamp`` onto a device item that still exists."""
    names = {f"#s{index}": name for index, name in enumerate(stamp)}
    names["#pk"] = PARTITION_KEY
    # Absent values are removed (the item's attributes stay as a registration writes them).
    values = {f":s{index}": value for index, value in enumerate(stamp.values()) if value is not None}
    assignments = ", ".join(f"#s{index} = :s{index}" for index in range(len(stamp)) if f":s{index}" in values)
    removals = ", ".join(f"#s{index}" for index in range(len(stamp)) if f":s{index}" not in values)
    return {
        "Update": {
            "Key": key.as_dict(),
            "UpdateExpression": f"SET {assignments}" + (f" REMOVE {removals}" if removals else ""),
            "ConditionExpression": "attribute_exists(#pk)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def settle_devices(
    table: MainTable,
    org_id: str,
    person_id: str,
    stamp: Callable[[], Mapping[str, Any]],
    app_ids: Sequence[str] | None = None,
) -> int:
    """Brings every device of ``person_id`` (in ``app_ids``, or every app of the org) whose copy is
    not at the revision of ``stamp()`` up to it, one conditional update each (a device removed
    meanwhile is skipped); returns how many changed. ``stamp`` is called only when a device exists."""
    from pushgate.errors import ConflictError  # noqa: PLC0415

    changed = 0
    for key, revision in person_device_keys(table, org_id, person_id, app_ids):
        if revision == stamp()[PERSON_REVISION]:
            continue
        try:
            table.transact_write([stamp_update(key, stamp())])
        except ConflictError:
            continue
        changed += 1
    return changed


def current_stamp(table: MainTable, org_id: str, person_id: str) -> dict[str, Any]:
    """The copy the devices of ``person_id`` should carry now, from every kind of record read afresh."""
    effective = effective_person(read_people_with_id(table, org_id, person_id))
    return person_stamp(effective, erased=effective is None)
