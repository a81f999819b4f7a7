"""Filters over the directory's people: which attributes a filter may name, and how a person is matched.

One parser (``pushgate.odata_filter``) serves ``GET .../contacts?$filter=``, saved segments, segment
sends and audience previews, so a filter that saves is a filter that sends. Emails, phone numbers
and ids in equalities are put in their stored form first (a phone in any national spelling matches
its E.164 form), and a malformed one is a 400 naming its position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pushgate.errors import InvalidRequestError
from pushgate.models.directory import EntityType, Person
from pushgate.odata_filter import (
    CUSTOM_PREFIX,
    FILTER_FIELD,
    AttributeKind,
    Expression,
    Literal,
    evaluate,
    filter_error,
    parse_filter,
    rewrite_literals,
)
from pushgate.services.directory.person_attributes import (
    PERSON_ATTRIBUTES,
    canonical_client_id,
    email_problem,
    phone_problem_and_e164,
)

_BOOLEAN_ATTRIBUTES = frozenset({"trackingconsent", "pushconsent"})
_DATETIME_ATTRIBUTES = frozenset({"createdon", "modifiedon"})
#: The attributes with a lookup index (besides the id): equalities on them never read every person.
INDEXED_ATTRIBUTES: Final = ("emailaddress1", "mobilephone", "telephone1")


@dataclass(frozen=True)
class PersonFilter:
    """A parsed filter over one kind of people.

    Attributes:
        text: The filter as given.
        entity_type: Contacts, leads or profiles.
        expression: The parsed expression, literals in stored form.
    """

    text: str
    entity_type: EntityType
    expression: Expression

    def matches(self, person: Person) -> bool:
        """Whether the person is of the filter's kind and matches it."""
        return person.entity_type is self.entity_type and evaluate(self.expression, person_values(person))


def _kinds(entity_type: EntityType) -> dict[str, AttributeKind]:
    kinds = {entity_type.id_attribute: AttributeKind.STRING}
    for name in PERSON_ATTRIBUTES:
        if name != "customattributes":
            kinds[name] = AttributeKind.BOOLEAN if name in _BOOLEAN_ATTRIBUTES else AttributeKind.STRING
    kinds.update(dict.fromkeys(_DATETIME_ATTRIBUTES, AttributeKind.DATETIME))
    return kinds


def _attribute_kind(entity_type: EntityType) -> Any:
    kinds = _kinds(entity_type)

    def kind_of(name: str) -> AttributeKind | None:
        if name.startswith(CUSTOM_PREFIX):
            return AttributeKind.ANY
        return kinds.get(name)

    return kind_of


def parse_person_filter(text: str, entity_type: EntityType, *, field: str = FILTER_FIELD) -> PersonFilter:
    """Parses a filter over one kind of people, with emails, phones and ids in their stored form.

    Raises:
        InvalidRequestError: The filter is malformed, or names an unknown attribute or a bad email,
            phone or id (``field`` named, with the position).
    """
    id_attribute = entity_type.id_attribute

    def stored_form(attribute: str, value: Literal, position: int) -> Literal:
        if not isinstance(value, str):
            return value
        where = f"the {attribute} value at position {position}"
        if attribute == id_attribute:
            try:
                return canonical_client_id(value, field)
            except InvalidRequestError:
                raise filter_error(f"{where} is not a valid id", field) from None
        if attribute == "emailaddress1":
            problem = email_problem(value.strip())
            if problem is not None:
                raise filter_error(f"{where} {problem}", field)
            return value.strip().lower()
        if attribute in {"mobilephone", "telephone1"}:
            problem, e164 = phone_problem_and_e164(value)
            if problem is not None:
                raise filter_error(f"{where} {problem}", field)
            return e164
        return value

    expression = parse_filter(text, _attribute_kind(entity_type), field=field)
    return PersonFilter(text, entity_type, rewrite_literals(expression, stored_form))


def person_values(person: Person) -> Mapping[str, Any]:
    """A person's attributes under the names filters use (custom ones as ``customattributes/<name>``)."""
    attributes = person.attributes
    values: dict[str, Any] = {f"{CUSTOM_PREFIX}{name}": value for name, value in attributes.customattributes.items()}
    # The fields as stored, without model_dump's copy: a segment send matches every person of a kind.
    values.update((name, value) for name, value in vars(attributes).items() if name != "customattributes")
    values[person.entity_type.id_attribute] = person.person_id
    values["createdon"] = person.created_at
    values["modifiedon"] = person.modified_at
    return values
