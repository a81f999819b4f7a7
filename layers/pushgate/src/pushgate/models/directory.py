"""The directory: the org's people (contacts, leads, profiles) and the links from apps' own user ids.

CI-J sends to a directory id: a Dataverse contact or lead, or a Customer Insights - Data profile.
Pushgate keeps a stand-in directory with Dataverse-style attribute names so apps and journeys can
find that id by email or phone, and so an app can link its own user id to it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from pushgate.models.frozen import Frozen


class EntityType(StrEnum):
    """The kind of directory record a push recipient is, as CI-J names it."""

    CONTACT = "contact"
    LEAD = "lead"
    PROFILE = "profile"

    @property
    def entity_set(self) -> str:
        """The collection name in URLs (``contacts``), as Dataverse's entity set names."""
        return f"{self.value}s"

    @property
    def id_attribute(self) -> str:
        """The attribute holding the record's id (``contactid``), as Dataverse names it."""
        return f"{self.value}id"

    @classmethod
    def from_entity_set(cls, entity_set: str) -> EntityType | None:
        """The entity type of a collection name, or ``None`` for an unknown one."""
        for entity_type in cls:
            if entity_type.entity_set == entity_set:
                return entity_type
        return None


#: Resolution order when one email or phone number belongs to people of several entity types:
#: contacts are what journeys usually target; a lead is a contact not yet qualified; a profile
#: unifies the others, so it is the last resort.
ENTITY_TYPE_PRECEDENCE = (EntityType.CONTACT, EntityType.LEAD, EntityType.PROFILE)


class PersonAttributes(Frozen):
    """What the directory knows about a person, already validated and normalised.

    Attribute names follow Dataverse's logical names where Dataverse has them.

    Attributes:
        firstname: Given name.
        lastname: Family name.
        fullname: Display name; defaults to ``firstname lastname``.
        emailaddress1: Primary email, as given (matched case-insensitively).
        mobilephone: Mobile number in E.164.
        telephone1: Business phone in E.164.
        address1_city: City of the primary address.
        locale: BCP 47 language tag (``en-US``), for personalisation.
        timezone: IANA time zone name (``Europe/Paris``), for quiet hours and scheduling.
        trackingconsent: Whether opens and clicks may be tracked (links are tracked only with it).
        pushconsent: Whether the person may receive push notifications at all.
        customattributes: Free attributes for personalisation (bounded; see the service).
    """

    firstname: str | None = None
    lastname: str | None = None
    fullname: str | None = None
    emailaddress1: str | None = None
    mobilephone: str | None = None
    telephone1: str | None = None
    address1_city: str | None = None
    locale: str | None = None
    timezone: str | None = None
    trackingconsent: bool = False
    pushconsent: bool = True
    customattributes: dict[str, Any] = Field(default_factory=dict)


class Person(Frozen):
    """One directory record.

    Attributes:
        org_id: Owner org.
        entity_type: Contact, lead or profile.
        person_id: The directory id apps register devices under (a UUID unless the operator chose one).
        attributes: The person's attributes.
        created_at: Creation time (UTC).
        modified_at: Last change (UTC).
        revision: Incremented on every change; guards read-modify-write against concurrent writers.
    """

    org_id: str
    entity_type: EntityType
    person_id: str
    attributes: PersonAttributes
    created_at: datetime
    modified_at: datetime
    revision: int = 1


class AppUserLink(Frozen):
    """An app's own user id pointing at a directory record.

    Attributes:
        org_id: Owner org.
        app_id: The mobile app whose user id this is.
        app_user_id: The app's own id for its user.
        entity_type: Kind of the linked record.
        entity_id: The linked record's id.
        created_at: When the link was first made.
        modified_at: When it last changed.
    """

    org_id: str
    app_id: str
    app_user_id: str
    entity_type: EntityType
    entity_id: str
    created_at: datetime
    modified_at: datetime


#: Names of the indexed identifiers (the ``<field>`` of lookup keys).
LOOKUP_EMAIL = "EMAIL"
LOOKUP_MOBILEPHONE = "MOBILEPHONE"
LOOKUP_TELEPHONE1 = "TELEPHONE1"


def lookup_values(attributes: PersonAttributes) -> dict[str, str]:
    """The indexed identifiers of a person: lookup field → normalised value (absent ones left out)."""
    values = {}
    if attributes.emailaddress1:
        values[LOOKUP_EMAIL] = attributes.emailaddress1.strip().lower()
    if attributes.mobilephone:
        values[LOOKUP_MOBILEPHONE] = attributes.mobilephone
    if attributes.telephone1:
        values[LOOKUP_TELEPHONE1] = attributes.telephone1
    return values


def lookup_digest(normalised_value: str) -> str:
    """The SHA-256 hex digest a lookup key carries instead of the value itself."""
    return hashlib.sha256(normalised_value.encode("utf-8")).hexdigest()
