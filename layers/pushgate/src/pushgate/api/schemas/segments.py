"""Bodies of the saved-segment routes (``/admin/v1/orgs/{orgId}/segments``), of audience previews
(``/audiences/preview``) and of the segment audiences a send names."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, StringConstraints, Tag

from pushgate.api.schemas.common import REQUEST_CONFIG, Identifier
from pushgate.models.directory import EntityType, Person
from pushgate.models.segment import Segment
from pushgate.models.send import Audience as BroadcastAudience
from pushgate.odata_filter import MAX_FILTER_LENGTH
from pushgate.services.segments.preview import AudiencePreview
from pushgate.services.segments.segments import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    AudienceFilter,
    SegmentInput,
)
from pushgate.text import SINGLE_LINE
from pushgate.validation import AUDIENCE_TAGS

FilterText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_FILTER_LENGTH), SINGLE_LINE]
#: The collection a filter selects from, named as in the directory's URLs.
Kind = Literal["contacts", "leads", "profiles"]


def entity_type_of(kind: Kind) -> EntityType:
    """The entity type of a ``Kind`` (``contacts`` → contact)."""
    found = EntityType.from_entity_set(kind)
    assert found is not None  # noqa: S101 - Kind only admits the three entity sets
    return found


class FilterAudience(BaseModel):
    """A segment audience given inline: an OData ``$filter`` over one kind of people."""

    model_config = REQUEST_CONFIG

    Filter: FilterText
    Kind: Kind = "contacts"


class SegmentAudience(BaseModel):
    """A segment audience given by a saved segment's id."""

    model_config = REQUEST_CONFIG

    SegmentId: Identifier


def _audience_tag(value: Any) -> str:
    # Chosen by shape, so an error names the alternative the client meant (``Audience.Kind``).
    if isinstance(value, dict | FilterAudience | SegmentAudience):
        segment = isinstance(value, SegmentAudience) or (
            isinstance(value, dict) and "SegmentId" in value and "Filter" not in value
        )
        return SEGMENT_TAG if segment else FILTER_TAG
    return BROADCAST_TAG


BROADCAST_TAG, FILTER_TAG, SEGMENT_TAG = AUDIENCE_TAGS
#: What a send or a preview goes to when it names no recipients.
AudienceBody = Annotated[
    Annotated[BroadcastAudience, Tag(BROADCAST_TAG)]
    | Annotated[FilterAudience, Tag(FILTER_TAG)]
    | Annotated[SegmentAudience, Tag(SEGMENT_TAG)],
    Discriminator(_audience_tag),
]


def audience_filter(audience: FilterAudience | SegmentAudience) -> AudienceFilter:
    """The service's view of a segment audience."""
    if isinstance(audience, SegmentAudience):
        return AudienceFilter(segment_id=audience.SegmentId)
    return AudienceFilter(filter=audience.Filter, kind=entity_type_of(audience.Kind))


class SegmentRequest(BaseModel):
    """``POST .../segments`` and ``PUT .../segments/{segmentId}`` (a PUT replaces every field)."""

    model_config = REQUEST_CONFIG

    Name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH)]
    Filter: FilterText
    Kind: Kind = "contacts"
    Description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_LENGTH)] | None = None

    def as_input(self) -> SegmentInput:
        """The service's view of the body."""
        return SegmentInput(self.Name, self.Filter, entity_type_of(self.Kind), self.Description)


class SegmentResponse(BaseModel):
    """A saved segment."""

    SegmentId: str
    Name: str
    Filter: str
    Kind: Kind
    Description: str | None
    CreatedAt: datetime
    UpdatedAt: datetime

    @classmethod
    def from_segment(cls, segment: Segment) -> SegmentResponse:
        """The view of a segment."""
        kind: Kind = "contacts"
        if segment.kind is EntityType.LEAD:
            kind = "leads"
        elif segment.kind is EntityType.PROFILE:
            kind = "profiles"
        return cls(
            SegmentId=segment.segment_id,
            Name=segment.name,
            Filter=segment.filter,
            Kind=kind,
            Description=segment.description,
            CreatedAt=segment.created_at,
            UpdatedAt=segment.updated_at,
        )


class SegmentListResponse(BaseModel):
    """``GET .../segments``."""

    Segments: list[SegmentResponse]
    NextToken: str | None


class AudiencePreviewRequest(BaseModel):
    """``POST .../audiences/preview``."""

    model_config = REQUEST_CONFIG

    MobileAppId: Identifier
    Audience: AudienceBody


class PreviewDevices(BaseModel):
    """Active devices reached, by platform."""

    Total: int
    Ios: int
    Android: int


class PreviewPerson(BaseModel):
    """One person of a preview's sample."""

    PersonId: str
    Kind: str
    FirstName: str | None
    LastName: str | None
    Email: str | None = None

    @classmethod
    def from_person(cls, person: Person) -> PreviewPerson:
        """The sample view of a person."""
        return cls(
            PersonId=person.person_id,
            Kind=person.entity_type.entity_set,
            FirstName=person.attributes.firstname,
            LastName=person.attributes.lastname,
            Email=person.attributes.emailaddress1,
        )


class AudiencePreviewResponse(BaseModel):
    """How many people and devices an audience reaches now."""

    People: int
    Matched: int
    NoConsent: int
    Devices: PreviewDevices
    Sample: Annotated[list[PreviewPerson], Field(max_length=10)]

    @classmethod
    def from_preview(cls, preview: AudiencePreview) -> AudiencePreviewResponse:
        """The view of a preview."""
        return cls(
            People=preview.people,
            Matched=preview.matched,
            NoConsent=preview.no_consent,
            Devices=PreviewDevices(Total=preview.ios + preview.android, Ios=preview.ios, Android=preview.android),
            Sample=[PreviewPerson.from_person(person) for person in preview.sample],
        )
