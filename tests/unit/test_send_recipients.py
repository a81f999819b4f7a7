"""The fan-out's directory read: precedence of contact over lead over profile, one key per person
whenever the first entity type finds them (every key asked for is billed, found or not)."""

from collections.abc import Sequence
from datetime import UTC, datetime

from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate.services.sends.send_fanout import people_by_precedence
from tests.unit.test_directory import FakePeople

ORG = "0b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a10"
AT = datetime(2026, 11, 1, tzinfo=UTC)


class CountingPeople(FakePeople):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[EntityType, str]] = []

    def get_many(self, org_id: str, refs: Sequence[tuple[EntityType, str]]) -> list[Person]:
        self.asked.extend(refs)
        return super().get_many(org_id, refs)


def _person(entity_type: EntityType, person_id: str, name: str) -> Person:
    return Person(
        org_id=ORG,
        entity_type=entity_type,
        person_id=person_id,
        attributes=PersonAttributes(firstname=name),
        created_at=AT,
        modified_at=AT,
    )


def test_the_highest_entity_type_wins_and_found_people_are_not_asked_for_again() -> None:
    people = CountingPeople()
    for person in (
        _person(EntityType.CONTACT, "both", "Contact"),
        _person(EntityType.LEAD, "both", "Lead"),
        _person(EntityType.LEAD, "lead-only", "Lead"),
        _person(EntityType.PROFILE, "profile-only", "Profile"),
    ):
        people.people[(ORG, person.entity_type, person.person_id)] = person

    found = people_by_precedence(ORG, ["both", "lead-only", "profile-only", "nobody"], people)

    assert {user: p.attributes.firstname for user, p in found.items()} == {
        "both": "Contact",
        "lead-only": "Lead",
        "profile-only": "Profile",
    }
    asked = sorted((t.value, i) for t, i in people.asked)
    assert asked == sorted(
        [("contact", u) for u in ("both", "lead-only", "profile-only", "nobody")]
        + [("lead", u) for u in ("lead-only", "profile-only", "nobody")]
        + [("profile", u) for u in ("profile-only", "nobody")]
    )
