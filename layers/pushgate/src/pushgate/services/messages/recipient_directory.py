"""The directory as messages see it: a recipient's personalization data, found by directory id.

A ``UserId`` in a send or a preview is the id of a contact, a lead or a profile, without saying
which; contacts win over leads and leads over profiles when the same id exists in several, the
same precedence the user-mapping lookups use.
"""

from __future__ import annotations

from collections.abc import Sequence

from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate.services.directory.ports import PersonRepository
from pushgate.services.messages.ports import PersonData

#: Which record wins when one id names several kinds of person.
ENTITY_PRECEDENCE: tuple[EntityType, ...] = (EntityType.CONTACT, EntityType.LEAD, EntityType.PROFILE)


def person_data(person: Person) -> PersonData:
    """The record ``{{contact.*}}`` placeholders read (with its id attribute, ``contactid``) and the locale.

    Custom attributes stay under ``customattributes``, as stored and as the API shows them; the
    renderer also offers them by name (``pushgate.services.messages.message_rendering.personalization_attributes``).
    """
    return record_data(person.entity_type, person.person_id, person.attributes)


def record_data(entity_type: EntityType, person_id: str, attributes: PersonAttributes) -> PersonData:
    """``person_data`` of a record known by its parts (a device's copy of its person)."""
    data = attributes.model_dump(exclude_none=True)
    data[entity_type.id_attribute] = person_id
    return PersonData(attributes=data, locale=attributes.locale)


class DirectoryRecipients:
    """Finds recipients in the directory (the adapter of ``RecipientDirectory``)."""

    def __init__(self, people: PersonRepository) -> None:
        """Wraps the person repository."""
        self._people = people

    def find_people(self, org_id: str, user_ids: Sequence[str]) -> dict[str, Person]:
        """The people behind many directory ids at once (one batch read per chunk of ids)."""
        # An id that cannot be a directory key (empty, or with the key separator) names nobody.
        usable = [user_id for user_id in dict.fromkeys(user_ids) if user_id and "#" not in user_id]
        refs = [(entity_type, user_id) for user_id in usable for entity_type in ENTITY_PRECEDENCE]
        found: dict[str, Person] = {}
        for person in sorted(self._people.get_many(org_id, refs), key=lambda p: ENTITY_PRECEDENCE.index(p.entity_type)):
            found.setdefault(person.person_id, person)
        return found

    def find_person(self, org_id: str, user_id: str) -> PersonData | None:
        """The personalization data of one recipient, or ``None`` when no record has that id."""
        person = self.find_people(org_id, [user_id]).get(user_id)
        return None if person is None else person_data(person)
