"""App-user links, the public resolve, and erasing a person.

An app may link its own user id to a directory record, so its backend never handles directory
ids. Apps and their backends resolve a user's directory id by email, phone or linked app-user id
with an ``ApiToken`` (the answer is the id and entity type, nothing else). Erasing a person runs a
list of erasers, one per kind of data held about them, each reporting what it removed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from pushgate.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from pushgate.models.directory import (
    ENTITY_TYPE_PRECEDENCE,
    LOOKUP_EMAIL,
    LOOKUP_MOBILEPHONE,
    LOOKUP_TELEPHONE1,
    AppUserLink,
    EntityType,
)
from pushgate.models.mobile_app import MobileApp
from pushgate.services.apps.mobile_apps import MobileAppStores, find_mobile_app
from pushgate.services.apps.orgs import get_org
from pushgate.services.directory.directory import DirectoryStores, person_path_id
from pushgate.services.directory.person_attributes import canonical_client_id, normalise_email, normalise_phone
from pushgate.services.directory.ports import AppUserLinkRepository, PersonRepository

#: How many times an eraser re-reads a person that changed while it was being erased.
ERASE_ATTEMPTS = 3


class Authenticator(Protocol):
    """The ``ApiToken`` check of public routes (``ApiTokenAuthenticator``)."""

    def authenticate(self, org_id: str, app_id: str, api_token: str) -> MobileApp:
        """The app the token opens (UnauthorizedError otherwise)."""


class PersonEraser(Protocol):
    """Removes (or anonymises) one kind of data held about a person.

    Implementations must be idempotent: erasing again after a partial failure finishes the job.
    """

    def erase(self, org_id: str, entity_type: EntityType, person_id: str) -> Mapping[str, int]:
        """Removes the data; returns how many items of each kind it removed (``{"AppUserLinks": 2}``)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _app_user_id(value: str) -> str:
    return canonical_client_id(value, "AppUserId")


def _entity_type(value: str) -> EntityType:
    try:
        return EntityType(value)
    except ValueError:
        choices = ", ".join(t.value for t in EntityType)
        raise InvalidRequestError.for_field("EntityType", f"must be one of {choices}") from None


def put_app_user_link(
    org_id: str,
    app_id: str,
    app_user_id: str,
    *,
    entity_type: str,
    entity_id: str,
    directory: DirectoryStores,
    apps: MobileAppStores,
    links: AppUserLinkRepository,
    now: Callable[[], datetime] = _now,
) -> tuple[AppUserLink, bool]:
    """Links an app's user id to a directory record (creates or re-points the link).

    Returns:
        The link, and whether it was created (rather than replaced or already so).

    Raises:
        InvalidRequestError: A bad id or entity type, or no such record in the org (``EntityId``).
        NotFoundError: No such org or app.
        ConflictError: The record was erased, or the link changed, while this ran.
    """
    app = find_mobile_app(org_id, app_id, stores=apps)
    canonical_user_id = _app_user_id(app_user_id)
    kind = _entity_type(entity_type)
    canonical_entity_id = canonical_client_id(entity_id, "EntityId")
    if directory.people.get(app.org_id, kind, canonical_entity_id) is None:
        raise InvalidRequestError.for_field("EntityId", f"no {kind.value} with this id exists in the org")
    previous = links.get(app.org_id, app.app_id, canonical_user_id)
    if previous is not None and (previous.entity_type, previous.entity_id) == (kind, canonical_entity_id):
        return previous, False
    changed_at = now()
    link = AppUserLink(
        org_id=app.org_id,
        app_id=app.app_id,
        app_user_id=canonical_user_id,
        entity_type=kind,
        entity_id=canonical_entity_id,
        created_at=previous.created_at if previous is not None else changed_at,
        modified_at=changed_at,
    )
    try:
        links.save(link, previous=previous)
    except ConflictError:
        raise ConflictError(
            message=f"the {kind.value} was removed or the link changed concurrently; read it and retry"
        ) from None
    return link, previous is None


def get_app_user_link(
    org_id: str, app_id: str, app_user_id: str, *, apps: MobileAppStores, links: AppUserLinkRepository
) -> AppUserLink:
    """One link of an app.

    Raises:
        NotFoundError: No such org, app or link.
    """
    app = find_mobile_app(org_id, app_id, stores=apps)
    canonical_user_id = _app_user_id(app_user_id)
    link = links.get(app.org_id, app.app_id, canonical_user_id)
    if link is None:
        raise NotFoundError(message=f"app user {canonical_user_id} is not linked in mobile app {app.app_id}")
    return link


def delete_app_user_link(
    org_id: str, app_id: str, app_user_id: str, *, apps: MobileAppStores, links: AppUserLinkRepository
) -> None:
    """Removes a link.

    Raises:
        NotFoundError: No such org, app or link.
    """
    links.delete(get_app_user_link(org_id, app_id, app_user_id, apps=apps, links=links))


@dataclass(frozen=True)
class ResolvedUser:
    """The answer of the public resolve: the directory id and its entity type, nothing else."""

    user_id: str
    entity_type: EntityType


def _pick(found: Sequence[tuple[EntityType, str]], what: str) -> ResolvedUser | None:
    for entity_type in ENTITY_TYPE_PRECEDENCE:
        ids = sorted(person_id for kind, person_id in found if kind is entity_type)
        if len(ids) > 1:
            raise ConflictError(
                message=f"several {entity_type.value}s share this {what}; link an AppUserId to pick one"
            )
        if ids:
            return ResolvedUser(ids[0], entity_type)
    return None


def resolve_user(
    org_id: str,
    *,
    app_id: str,
    api_token: str,
    email: str | None,
    phone: str | None,
    app_user_id: str | None,
    authenticator: Authenticator,
    people: PersonRepository,
    links: AppUserLinkRepository,
) -> ResolvedUser:
    """Finds the directory id of an app's user by exactly one of email, phone or app-user id.

    Across entity types a contact wins over a lead, and a lead over a profile; a phone number
    matches mobile phones before business phones. Several records of the winning type sharing the
    value are ambiguous (409): the app should link its user id instead.

    Raises:
        InvalidRequestError: Not exactly one identifier, or a malformed one.
        UnauthorizedError: The token does not open this app of this org.
        ForbiddenError: Resolving is disabled for the app.
        NotFoundError: Nothing matches.
        ConflictError: Several records of the winning type match.
    """
    sent = [name for name, value in (("Email", email), ("Phone", phone), ("AppUserId", app_user_id)) if value]
    if len(sent) != 1:
        raise InvalidRequestError.for_field(
            "body", f"send exactly one of Email, Phone or AppUserId (got {', '.join(sent) or 'none'})"
        )
    app = authenticator.authenticate(org_id, app_id, api_token)
    if not app.user_resolve_enabled:
        raise ForbiddenError(message="user resolution is disabled for this mobile app")
    resolved: ResolvedUser | None = None
    if email:
        found = people.find_by_lookup(app.org_id, LOOKUP_EMAIL, normalise_email(email, "Email"), None)
        resolved = _pick(found, "email")
    elif phone:
        e164 = normalise_phone(phone, "Phone")
        for field in (LOOKUP_MOBILEPHONE, LOOKUP_TELEPHONE1):
            resolved = _pick(people.find_by_lookup(app.org_id, field, e164, None), "phone number")
            if resolved is not None:
                break
    elif app_user_id:
        link = links.get(app.org_id, app.app_id, _app_user_id(app_user_id))
        resolved = None if link is None else ResolvedUser(link.entity_id, link.entity_type)
    if resolved is None:
        raise NotFoundError(message="no directory record matches")
    return resolved


class DirectoryRecordEraser:
    """Erases the directory record and its lookup items (kinds ``DirectoryRecord``, ``LookupEntries``)."""

    def __init__(self, people: PersonRepository) -> None:
        """Binds the eraser to the people store."""
        self._people = people

    def erase(self, org_id: str, entity_type: EntityType, person_id: str) -> Mapping[str, int]:
        """Deletes the record and its lookups in one transaction (nothing when already gone)."""
        for _ in range(ERASE_ATTEMPTS):
            person = self._people.get(org_id, entity_type, person_id)
            if person is None:
                return {"DirectoryRecord": 0, "LookupEntries": 0}
            try:
                lookups = self._people.delete(person)
            except ConflictError:
                continue
            return {"DirectoryRecord": 1, "LookupEntries": lookups}
        raise ConflictError(message=f"{entity_type.value} {person_id} kept changing while being erased; retry")


class AppUserLinkEraser:
    """Erases every app-user link pointing at the person (kind ``AppUserLinks``)."""

    def __init__(self, links: AppUserLinkRepository) -> None:
        """Binds the eraser to the link store."""
        self._links = links

    def erase(self, org_id: str, entity_type: EntityType, person_id: str) -> Mapping[str, int]:
        """Deletes the links and their reverse items."""
        return {"AppUserLinks": self._links.delete_for_person(org_id, entity_type, person_id)}


@dataclass(frozen=True)
class ErasureReport:
    """What erasing a person removed.

    Attributes:
        entity_type: The kind of record.
        person_id: Its id.
        removed: Items removed (or anonymised) per kind.
    """

    entity_type: EntityType
    person_id: str
    removed: dict[str, int]

    @property
    def found_anything(self) -> bool:
        """Whether anything at all was held about the person."""
        return any(self.removed.values())


def erase_person(
    org_id: str,
    entity_type: EntityType,
    person_id: str,
    *,
    directory: DirectoryStores,
    erasers: Sequence[PersonEraser],
) -> ErasureReport:
    """Removes everything held about a person, eraser by eraser, in order.

    The directory record goes first, so no new link can be made to the person while the rest is
    erased (a link is written only if the record exists). Erasing again is safe and finishes a
    partial erasure.

    Returns:
        What each eraser removed.

    Raises:
        NotFoundError: No such org.
    """
    org = get_org(org_id, orgs=directory.orgs)
    canonical_id = person_path_id(entity_type, person_id)
    removed: dict[str, int] = {}
    for eraser in erasers:
        for kind, count in eraser.erase(org.org_id, entity_type, canonical_id).items():
            removed[kind] = removed.get(kind, 0) + count
    return ErasureReport(entity_type, canonical_id, removed)
