"""Saved segments and the audiences sends and previews name: a filter over one kind of people.

An audience is ``{"Filter", "Kind"}`` or ``{"SegmentId"}``; both come down to one parsed
:class:`~pushgate.services.directory.person_filters.PersonFilter`. A segment's filter is parsed
when it is saved, by the same parser as sends and ``GET .../contacts?$filter=``, so a saved
segment always sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pushgate.errors import FieldProblem, InvalidRequestError, NotFoundError
from pushgate.ids import new_id, parse_uuid
from pushgate.models.directory import EntityType
from pushgate.models.segment import Segment
from pushgate.services.apps.orgs import get_org
from pushgate.services.directory.person_filters import PersonFilter, parse_person_filter
from pushgate.services.ports import OrgRepository
from pushgate.services.segments.ports import SegmentRepository

MAX_NAME_LENGTH = 256
MAX_DESCRIPTION_LENGTH = 1024


@dataclass(frozen=True)
class SegmentStores:
    """The ports the segment use cases work with.

    Attributes:
        orgs: Orgs.
        segments: Saved segments.
    """

    orgs: OrgRepository
    segments: SegmentRepository


@dataclass(frozen=True)
class SegmentInput:
    """A segment as a request gives it (``Kind`` already read as an entity type)."""

    name: str
    filter: str
    kind: EntityType
    description: str | None = None


@dataclass(frozen=True)
class AudienceFilter:
    """A segment audience as a send or a preview names it: a filter and kind, or a saved segment.

    Attributes:
        filter: The filter text (with ``kind``), or ``None`` when ``segment_id`` is given.
        kind: The people it selects from.
        segment_id: A saved segment's id instead of a filter.
    """

    filter: str | None = None
    kind: EntityType = EntityType.CONTACT
    segment_id: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _checked(given: SegmentInput) -> SegmentInput:
    name = given.name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidRequestError.for_field("Name", f"must be 1 to {MAX_NAME_LENGTH} characters")
    if given.description is not None and len(given.description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidRequestError.for_field("Description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
    parse_person_filter(given.filter, given.kind, field="Filter")
    return SegmentInput(name, given.filter.strip(), given.kind, given.description)


def create_segment(
    org_id: str,
    given: SegmentInput,
    *,
    stores: SegmentStores,
    now: Callable[[], datetime] = _now,
    make_id: Callable[[], str] = new_id,
) -> Segment:
    """Saves a new segment.

    Raises:
        InvalidRequestError: A bad name or description, or a filter that does not parse (``Filter``,
            with the position).
        NotFoundError: No such org.
    """
    org = get_org(org_id, orgs=stores.orgs)
    checked = _checked(given)
    at = now()
    segment = Segment(
        org_id=org.org_id,
        segment_id=make_id(),
        name=checked.name,
        filter=checked.filter,
        kind=checked.kind,
        description=checked.description,
        created_at=at,
        updated_at=at,
    )
    stores.segments.create(segment)
    return segment


def get_segment(org_id: str, segment_id: str, *, stores: SegmentStores, field: str = "segmentId") -> Segment:
    """One segment.

    Raises:
        InvalidRequestError: The id is not a UUID (names ``field``).
        NotFoundError: No such org or segment.
    """
    org = get_org(org_id, orgs=stores.orgs)
    canonical = parse_uuid(segment_id, field)
    segment = stores.segments.get(org.org_id, canonical)
    if segment is None:
        problem = f"no segment {canonical} in this org"
        raise NotFoundError(message=f"{field}: {problem}", problems=[FieldProblem(field, problem)])
    return segment


def list_segments(
    org_id: str, *, limit: int, next_token: str | None, stores: SegmentStores
) -> tuple[list[Segment], str | None]:
    """A page of the org's segments and the token of the next one."""
    org = get_org(org_id, orgs=stores.orgs)
    return stores.segments.list_page(org.org_id, limit=limit, next_token=next_token)


def replace_segment(
    org_id: str,
    segment_id: str,
    given: SegmentInput,
    *,
    stores: SegmentStores,
    now: Callable[[], datetime] = _now,
) -> Segment:
    """Replaces a segment's name, filter, kind and description.

    Raises:
        InvalidRequestError: As :func:`create_segment`.
        NotFoundError: No such org or segment (or it was deleted meanwhile).
    """
    previous = get_segment(org_id, segment_id, stores=stores)
    checked = _checked(given)
    segment = previous.model_copy(
        update={
            "name": checked.name,
            "filter": checked.filter,
            "kind": checked.kind,
            "description": checked.description,
            "updated_at": now(),
        }
    )
    if not stores.segments.replace(segment):
        raise NotFoundError(message=f"segment {segment.segment_id} not found")
    return segment


def delete_segment(org_id: str, segment_id: str, *, stores: SegmentStores) -> None:
    """Deletes a segment (sends already accepted keep their filter).

    Raises:
        NotFoundError: No such org or segment.
    """
    org = get_org(org_id, orgs=stores.orgs)
    canonical = parse_uuid(segment_id, "segmentId")
    if not stores.segments.delete(org.org_id, canonical):
        raise NotFoundError(message=f"segment {canonical} not found")


def audience_person_filter(
    org_id: str, audience: AudienceFilter, *, segments: SegmentRepository, field: str = "Audience"
) -> tuple[PersonFilter, str | None]:
    """The parsed filter of an audience, and the saved segment's id when it named one.

    Raises:
        InvalidRequestError: A filter that does not parse (``<field>.Filter``), neither or both of
            ``Filter`` and ``SegmentId``, or a malformed segment id.
        NotFoundError: No such segment (``<field>.SegmentId``).
    """
    if (audience.filter is None) == (audience.segment_id is None):
        raise InvalidRequestError.for_field(field, "give either Filter (with Kind) or SegmentId")
    if audience.segment_id is not None:
        path = f"{field}.SegmentId"
        canonical = parse_uuid(audience.segment_id, path)
        segment = segments.get(org_id, canonical)
        if segment is None:
            problem = f"no segment {canonical} in this org"
            raise NotFoundError(message=f"{path}: {problem}", problems=[FieldProblem(path, problem)])
        return parse_person_filter(segment.filter, segment.kind, field=path), segment.segment_id
    assert audience.filter is not None  # noqa: S101 - checked above
    return parse_person_filter(audience.filter, audience.kind, field=f"{field}.Filter"), None
