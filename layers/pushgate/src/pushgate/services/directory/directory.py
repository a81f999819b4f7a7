"""The directory: contacts, leads and profiles of an org; upsert, read, change, delete, query, import.

Lookups by email and phone use the lookup items written with each person; a ``$filter`` whose
every ``or`` alternative has an equality on the id, email or a phone is answered from those
lookups, any other by a paged read of the kind's people; either way it is checked in full in memory.
Every write of a person is one transaction with its lookups, retried a few times when a concurrent
writer got there first, so callers see either the old or the new person, never half of one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Any

from pushgate.errors import ConflictError, FieldProblem, InvalidRequestError, NotFoundError, PushgateError
from pushgate.ids import new_id
from pushgate.models.directory import (
    LOOKUP_EMAIL,
    LOOKUP_MOBILEPHONE,
    LOOKUP_TELEPHONE1,
    EntityType,
    Person,
    PersonAttributes,
)
from pushgate.odata_filter import lookup_plan
from pushgate.services.apps.orgs import get_org
from pushgate.services.directory.person_attributes import PERSON_ATTRIBUTES, canonical_client_id, parse_attributes
from pushgate.services.directory.person_filters import INDEXED_ATTRIBUTES, PersonFilter, parse_person_filter
from pushgate.services.directory.ports import PersonRepository
from pushgate.services.ports import OrgRepository

MAX_IMPORT_ITEMS = 1000
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
#: Attempts of a read-modify-write before a concurrent writer's 409 reaches the client.
WRITE_ATTEMPTS = 3
#: Parallel writes of one import: DynamoDB transactions are per item, so they overlap well.
IMPORT_PARALLELISM = 8

QUERY_OPTIONS = frozenset({"$filter", "$select", "$top", "$skiptoken"})
_INDEXED_BY_ATTRIBUTE = {
    "emailaddress1": LOOKUP_EMAIL,
    "mobilephone": LOOKUP_MOBILEPHONE,
    "telephone1": LOOKUP_TELEPHONE1,
}
#: People read per Query when a filter has no indexed equality (eventually consistent, about 1 KB each).
SCAN_PAGE_SIZE = 1000
#: People one ``GET`` reads at most for a filter without an indexed equality (see ``_scan``).
MAX_SCANNED_PER_REQUEST = 20_000
#: Lookups one filter may cost before a paged read is cheaper.
MAX_LOOKUPS = 16


@dataclass(frozen=True)
class DirectoryStores:
    """The ports the directory use cases work with.

    Attributes:
        orgs: Orgs (every route checks its org first).
        people: People and their lookups.
    """

    orgs: OrgRepository
    people: PersonRepository


class WriteOutcome(StrEnum):
    """What a write did to a person."""

    CREATED = "Created"
    UPDATED = "Updated"
    UNCHANGED = "Unchanged"


@dataclass(frozen=True)
class QueryPage:
    """One page of a directory query.

    Attributes:
        people: The matching people, in id order.
        select: The attributes to return (``None``: all).
        next_skiptoken: The ``$skiptoken`` of the next page, or ``None`` on the last page.
    """

    people: list[Person]
    select: tuple[str, ...] | None
    next_skiptoken: str | None


@dataclass(frozen=True)
class ImportResult:
    """The outcome of one import item.

    Attributes:
        index: Position of the item in the request.
        person_id: The item's id (``None`` when it could not be read).
        outcome: What the write did, or ``None`` when the item failed.
        error: Why it failed.
    """

    index: int
    person_id: str | None
    outcome: WriteOutcome | None
    error: PushgateError | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def person_path_id(entity_type: EntityType, person_id: str) -> str:
    """The canonical form of a person id taken from a URL.

    Raises:
        InvalidRequestError: The id is not safe (it names ``contactid`` etc.).
    """
    return canonical_client_id(person_id, entity_type.id_attribute)


def _body_id(body: Mapping[str, Any], entity_type: EntityType, prefix: str = "") -> str | None:
    field_path = ".".join(part for part in (prefix, entity_type.id_attribute) if part)
    sent = body.get(entity_type.id_attribute)
    if sent is None:
        return None
    if not isinstance(sent, str):
        raise InvalidRequestError.for_field(field_path, "must be a string")
    return canonical_client_id(sent, field_path)


def _path_id(body: Mapping[str, Any], entity_type: EntityType, person_id: str) -> str:
    """The path's person id, canonical; a body may repeat it but not name another."""
    canonical_id = person_path_id(entity_type, person_id)
    sent_id = _body_id(body, entity_type)
    if sent_id is not None and sent_id != canonical_id:
        raise InvalidRequestError.for_field(entity_type.id_attribute, "differs from the id in the path")
    return canonical_id


def get_person(org_id: str, entity_type: EntityType, person_id: str, *, stores: DirectoryStores) -> Person:
    """One person of an org.

    Raises:
        NotFoundError: No such org or person.
    """
    org = get_org(org_id, orgs=stores.orgs)
    canonical_id = person_path_id(entity_type, person_id)
    person = stores.people.get(org.org_id, entity_type, canonical_id)
    if person is None:
        raise NotFoundError(message=f"{entity_type.value} {canonical_id} not found")
    return person


def _write(
    org_id: str,
    entity_type: EntityType,
    person_id: str,
    build: Callable[[Person | None], PersonAttributes | None],
    *,
    stores: DirectoryStores,
    now: Callable[[], datetime],
    previous: Person | None = None,
    previous_read: bool = False,
) -> tuple[Person, WriteOutcome]:
    """Read-modify-write of one person; ``build`` returns the new attributes, or ``None`` for 404."""
    for _ in range(WRITE_ATTEMPTS):
        if not previous_read:
            previous = stores.people.get(org_id, entity_type, person_id)
        previous_read = False
        attributes = build(previous)
        if attributes is None:
            raise NotFoundError(message=f"{entity_type.value} {person_id} not found")
        if previous is not None and previous.attributes == attributes:
            return previous, WriteOutcome.UNCHANGED
        written_at = now()
        person = Person(
            org_id=org_id,
            entity_type=entity_type,
            person_id=person_id,
            attributes=attributes,
            created_at=previous.created_at if previous is not None else written_at,
            modified_at=written_at,
            revision=previous.revision + 1 if previous is not None else 1,
        )
        try:
            stores.people.save(person, previous=previous)
        except ConflictError:
            continue
        return person, WriteOutcome.CREATED if previous is None else WriteOutcome.UPDATED
    raise ConflictError(message=f"{entity_type.value} {person_id} is being changed concurrently; retry")


def write_person(
    org_id: str,
    entity_type: EntityType,
    person_id: str,
    body: Mapping[str, Any],
    *,
    patch: bool = False,
    stores: DirectoryStores,
    now: Callable[[], datetime] = _now,
) -> tuple[Person, WriteOutcome]:
    """Creates or fully replaces a person (``PUT``); with ``patch``, changes the attributes sent,
    ``null`` clearing one (``PATCH``).

    Raises:
        InvalidRequestError: Bad attributes (all named), or a body id that differs from the path's.
        NotFoundError: No such org; with ``patch``, no such person.
    """
    org = get_org(org_id, orgs=stores.orgs)
    canonical_id = _path_id(body, entity_type, person_id)
    replacement = None if patch else parse_attributes(body, entity_type)

    def build(previous: Person | None) -> PersonAttributes | None:
        if replacement is not None:
            return replacement
        return None if previous is None else parse_attributes(body, entity_type, base=previous.attributes)

    return _write(org.org_id, entity_type, canonical_id, build, stores=stores, now=now)


def create_person(
    org_id: str,
    entity_type: EntityType,
    body: Mapping[str, Any],
    *,
    stores: DirectoryStores,
    now: Callable[[], datetime] = _now,
    make_id: Callable[[], str] = new_id,
) -> Person:
    """Creates a person with a new UUID, or with the id the body names (``POST``).

    Raises:
        ConflictError: A person with the given id exists.
    """
    org = get_org(org_id, orgs=stores.orgs)
    person_id = _body_id(body, entity_type) or make_id()
    attributes = parse_attributes(body, entity_type)
    written_at = now()
    person = Person(
        org_id=org.org_id,
        entity_type=entity_type,
        person_id=person_id,
        attributes=attributes,
        created_at=written_at,
        modified_at=written_at,
    )
    try:
        stores.people.save(person, previous=None)
    except ConflictError:
        raise ConflictError(message=f"{entity_type.value} {person_id} already exists; PUT replaces it") from None
    return person


def import_people(
    org_id: str,
    entity_type: EntityType,
    items: Sequence[Any],
    *,
    stores: DirectoryStores,
    now: Callable[[], datetime] = _now,
    make_id: Callable[[], str] = new_id,
) -> list[ImportResult]:
    """Upserts up to 1,000 people; each item succeeds or fails on its own.

    Items are upserted by id (``contactid`` etc.; a new UUID when absent), so sending the same
    import again changes nothing (``Unchanged``). An item with bad attributes, or repeating an id
    of an earlier item of the same request, is reported and not written.

    Returns:
        One result per item, in request order.

    Raises:
        InvalidRequestError: More than 1,000 items, or none.
        NotFoundError: No such org.
    """
    org = get_org(org_id, orgs=stores.orgs)
    if not items:
        raise InvalidRequestError.for_field("Items", "must hold at least one item")
    if len(items) > MAX_IMPORT_ITEMS:
        raise InvalidRequestError.for_field("Items", f"has {len(items)} items; at most {MAX_IMPORT_ITEMS} per request")
    results: dict[int, ImportResult] = {}
    valid: dict[int, tuple[str, PersonAttributes]] = {}
    seen_ids: dict[str, int] = {}
    for index, item in enumerate(items):
        prefix = f"Items[{index}]"
        try:
            if not isinstance(item, dict):
                raise InvalidRequestError.for_field(prefix, "must be a JSON object")
            person_id = _body_id(item, entity_type, prefix) or make_id()
            attributes = parse_attributes(item, entity_type, prefix=prefix)
        except InvalidRequestError as error:
            results[index] = ImportResult(index, None, None, error)
            continue
        if person_id in seen_ids:
            duplicate = InvalidRequestError.for_field(
                f"{prefix}.{entity_type.id_attribute}", f"repeats the id of Items[{seen_ids[person_id]}]"
            )
            results[index] = ImportResult(index, person_id, None, duplicate)
            continue
        seen_ids[person_id] = index
        valid[index] = (person_id, attributes)

    existing = {
        p.person_id: p for p in stores.people.get_many(org.org_id, [(entity_type, i) for i, _ in valid.values()])
    }

    def write_one(importing: DirectoryStores, index: int) -> ImportResult:
        person_id, attributes = valid[index]
        try:
            _, outcome = _write(
                org.org_id,
                entity_type,
                person_id,
                lambda _previous: attributes,
                stores=importing,
                now=now,
                previous=existing.get(person_id),
                previous_read=True,
            )
        except PushgateError as error:
            return ImportResult(index, person_id, None, error)
        return ImportResult(index, person_id, outcome)

    with stores.people.many_writes(org.org_id) as people, ThreadPoolExecutor(IMPORT_PARALLELISM) as pool:
        for result in pool.map(partial(write_one, replace(stores, people=people)), list(valid)):
            results[result.index] = result
    return [results[index] for index in range(len(items))]


def _lookup_candidates(
    org_id: str, entity_type: EntityType, plan: list[tuple[str, str]], stores: DirectoryStores
) -> set[tuple[EntityType, str]]:
    refs: set[tuple[EntityType, str]] = set()
    for attribute, value in plan:
        if attribute == entity_type.id_attribute:
            refs.add((entity_type, value))
        else:
            field = _INDEXED_BY_ATTRIBUTE[attribute]
            refs |= set(stores.people.find_by_lookup(org_id, field, value, entity_type))
    return refs


def _scan(
    org_id: str, person_filter: PersonFilter, *, top: int, after_id: str | None, stores: DirectoryStores
) -> tuple[list[Person], str | None]:
    """Matches from a paged read of the kind's people, and the id the next page continues after.

    A request reads at most ``MAX_SCANNED_PER_REQUEST`` people: a sparse filter over a large
    directory answers a short (even empty) page with a ``$skiptoken``, as Dataverse's server-driven
    paging does, instead of running into the function's time limit.
    """
    matching: list[Person] = []
    cursor = after_id
    scanned = 0
    while True:
        people, next_cursor = stores.people.read_page(
            org_id, person_filter.entity_type, after_id=cursor, limit=SCAN_PAGE_SIZE
        )
        for person in people:
            scanned += 1
            if person_filter.matches(person):
                if len(matching) == top:
                    return matching, matching[-1].person_id
                matching.append(person)
        if next_cursor is None:
            return matching, None
        cursor = next_cursor
        if scanned >= MAX_SCANNED_PER_REQUEST:
            return matching, cursor


def _parse_select(select: str | None, entity_type: EntityType) -> tuple[str, ...] | None:
    if select is None:
        return None
    allowed = {entity_type.id_attribute, *PERSON_ATTRIBUTES, "createdon", "modifiedon"}
    names = tuple(name.strip() for name in select.split(","))
    problems = [
        FieldProblem("$select", f"'{name[:64]}' is not an attribute of a {entity_type.value}")
        for name in names
        if name not in allowed
    ]
    if problems:
        raise InvalidRequestError(message="; ".join(f"$select: {p.problem}" for p in problems), problems=problems)
    return names


def _parse_top(top: str | None) -> int:
    if top is None:
        return DEFAULT_PAGE_SIZE
    if not top.isdigit() or not 1 <= int(top) <= MAX_PAGE_SIZE:
        raise InvalidRequestError.for_field("$top", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(top)


def query_people(
    org_id: str,
    entity_type: EntityType,
    options: Mapping[str, str],
    *,
    stores: DirectoryStores,
) -> QueryPage:
    """Lists or looks up people with OData-style options (``$filter``, ``$select``, ``$top``, ``$skiptoken``).

    Without ``$filter`` the people of the entity type are listed in id order; with it, a filter whose
    ``or`` alternatives each have an equality on an indexed attribute (id, email, mobile or business
    phone) is answered from those lookups, any other by a paged read of the kind's people (see
    ``_scan``); either way the whole filter is checked. ``$skiptoken`` is the opaque token of the
    previous page's ``@odata.nextLink``.

    Args:
        org_id: The org.
        entity_type: Which collection.
        options: The query string parameters as sent.
        stores: The directory ports.

    Returns:
        The page.

    Raises:
        InvalidRequestError: An unknown query option, a bad value, or a ``$filter`` the directory
            cannot answer (with the position or the unsupported operator named).
    """
    org = get_org(org_id, orgs=stores.orgs)
    unknown = sorted(name for name in options if name not in QUERY_OPTIONS)
    if unknown:
        supported = ", ".join(sorted(QUERY_OPTIONS))
        raise InvalidRequestError(
            message=f"unsupported query option(s) {', '.join(unknown)}; supported: {supported}",
            problems=[FieldProblem(name[:64], f"is not supported; use {supported}") for name in unknown],
        )
    select = _parse_select(options.get("$select"), entity_type)
    top = _parse_top(options.get("$top"))
    skiptoken = options.get("$skiptoken")
    after_id = None if skiptoken is None else _read_skiptoken(skiptoken, entity_type)

    filter_text = options.get("$filter")
    if filter_text is None:
        people, more = stores.people.list_page(org.org_id, entity_type, limit=top, after_id=after_id)
        return QueryPage(people, select, _skiptoken(people[-1].person_id, entity_type) if more and people else None)

    person_filter = parse_person_filter(filter_text, entity_type)
    plan = lookup_plan(person_filter.expression, (entity_type.id_attribute, *INDEXED_ATTRIBUTES))
    if plan is None or len(plan) > MAX_LOOKUPS:
        found, next_after = _scan(org.org_id, person_filter, top=top, after_id=after_id, stores=stores)
        return QueryPage(found, select, _skiptoken(next_after, entity_type) if next_after is not None else None)
    refs = _lookup_candidates(org.org_id, entity_type, plan, stores)
    matching = sorted(
        (person for person in stores.people.get_many(org.org_id, sorted(refs)) if person_filter.matches(person)),
        key=lambda person: person.person_id,
    )
    if after_id is not None:
        matching = [person for person in matching if person.person_id > after_id]
    page = matching[:top]
    return QueryPage(page, select, _skiptoken(page[-1].person_id, entity_type) if len(matching) > top else None)


def _skiptoken(last_id: str, entity_type: EntityType) -> str:
    # Opaque, as in Dataverse: the collection and the last id of the page, base64url JSON.
    plain = json.dumps({"Set": entity_type.value, "After": last_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(plain.encode()).decode().rstrip("=")


def _read_skiptoken(token: str, entity_type: EntityType) -> str:
    """The id a ``$skiptoken`` continues after; anything this API did not hand out is a 400."""
    try:
        plain = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        plain = None
    if not isinstance(plain, dict) or plain.get("Set") != entity_type.value or not isinstance(plain.get("After"), str):
        raise InvalidRequestError.for_field(
            "$skiptoken", "is not a $skiptoken this API returned; pass the one from @odata.nextLink"
        )
    return canonical_client_id(plain["After"], "$skiptoken")


def person_view(person: Person, select: Sequence[str] | None = None) -> dict[str, Any]:
    """A person as the API shows it: Dataverse-style attribute names, the id always included."""
    view: dict[str, Any] = {person.entity_type.id_attribute: person.person_id}
    full = {
        **person.attributes.model_dump(),
        "createdon": person.created_at.isoformat(),
        "modifiedon": person.modified_at.isoformat(),
    }
    for name in select if select is not None else full:
        if name in full:
            view[name] = full[name]
    return view
