"""Validating and normalising what clients send about a person: ids, emails, phones, locale, time zone.

Every check reports the field it is about, so one request (or one import item) gets every problem
at once. Emails are matched case-insensitively; phone numbers are stored and matched in E.164,
parsed with ``phonenumbers`` (Google's libphonenumber), never a hand-written pattern.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
)
from pydantic import ValidationError as PydanticValidationError

from pushgate.errors import FieldProblem, InvalidRequestError
from pushgate.models.directory import EntityType, PersonAttributes
from pushgate.text import SINGLE_LINE
from pushgate.time_zones import iana_name
from pushgate.validation import field_problems, location_of

#: Ids chosen by clients (person ids, app-user ids) become key components: no ``#``, bounded.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}$")
_UUID_SHAPE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TOP_LEVEL_DOMAIN = re.compile(r"^([A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")
_LOCALE = re.compile(r"^(?P<lang>[A-Za-z]{2,3})(-(?P<script>[A-Za-z]{4}))?(-(?P<region>[A-Za-z]{2}|[0-9]{3}))?$")
_CUSTOM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

MAX_EMAIL_LENGTH = 254
MAX_CUSTOM_ATTRIBUTES = 50
MAX_CUSTOM_VALUE_LENGTH = 1024
#: Bound on the custom attributes of one person, measured as compact JSON in UTF-8.
MAX_CUSTOM_ATTRIBUTES_BYTES = 8 * 1024
#: Attributes a client may send back from a GET but never sets (Dataverse's read-only columns).
READ_ONLY_ATTRIBUTES = frozenset({"createdon", "modifiedon"})

# Names, contact points and the rest are single lines (custom attribute values are free text).
ShortText = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=256), SINGLE_LINE]
LongText = Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=512), SINGLE_LINE]
RawContactPoint = Annotated[
    StrictStr, StringConstraints(strip_whitespace=True, max_length=MAX_EMAIL_LENGTH), SINGLE_LINE
]
CustomValue = StrictStr | StrictBool | StrictInt | StrictFloat | None


class _PersonInput(BaseModel):
    """The shape of a person as clients send it; values are checked further after this."""

    model_config = ConfigDict(extra="forbid")

    firstname: ShortText | None = None
    lastname: ShortText | None = None
    fullname: LongText | None = None
    emailaddress1: RawContactPoint | None = None
    mobilephone: RawContactPoint | None = None
    telephone1: RawContactPoint | None = None
    address1_city: ShortText | None = None
    locale: Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=35)] | None = None
    # An IANA name, a Windows time zone id, or a Dataverse timezonecode (as CI-J contacts carry it).
    timezone: Annotated[StrictStr, StringConstraints(strip_whitespace=True, max_length=64)] | StrictInt | None = None
    trackingconsent: StrictBool | None = None
    pushconsent: StrictBool | None = None
    customattributes: dict[str, CustomValue] | None = None


#: Every attribute a client may set, in the order responses list them.
PERSON_ATTRIBUTES = tuple(_PersonInput.model_fields)

_PROBLEM_WORDING = {
    "extra_forbidden": "is not a known attribute (names are Dataverse-style lowercase, e.g. emailaddress1)",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "dict_type": "must be a JSON object",
    "missing": "is required",
}


def problems_from_pydantic(error: PydanticValidationError, prefix: str = "") -> list[FieldProblem]:
    """Turns a pydantic error into field problems with the attribute names the client sent.

    Args:
        error: The validation error.
        prefix: Path of the validated object inside the request (``Items[3]``), if any.

    Returns:
        One problem per error; input values are never copied into them.
    """
    return field_problems(error, prefix=prefix, describe=_describe, deduplicate=True)


def _describe(detail: Mapping[str, Any]) -> tuple[list[str], str | None]:
    location = location_of(detail)
    problem = _PROBLEM_WORDING.get(detail["type"])
    if location[:1] == ["customattributes"] and len(location) > 1:
        # A value of a union type fails once per alternative, with the alternative in the path.
        location = location[:2]
        problem = "must be a string, number, boolean or null (no nested objects or lists)"
    if problem is None and detail["type"] == "string_too_long":
        problem = f"must be at most {detail.get('ctx', {}).get('max_length')} characters"
    return location, problem


def _join(prefix: str, path: str) -> str:
    return ".".join(part for part in (prefix, path) if part)


def canonical_client_id(value: str, field_path: str) -> str:
    """Checks an id chosen by a client and returns its canonical form.

    UUIDs are lowercased and hyphenated (Dataverse GUIDs are case-insensitive); other ids are kept
    as sent, provided they are safe as a key component.

    Raises:
        InvalidRequestError: The id is empty, too long, or has characters outside ``A-Z a-z 0-9 . _ : @ + = -``.
    """
    if _UUID_SHAPE.match(value):
        hexdigits = value.replace("-", "").lower()
        return f"{hexdigits[:8]}-{hexdigits[8:12]}-{hexdigits[12:16]}-{hexdigits[16:20]}-{hexdigits[20:]}"
    if not _CLIENT_ID.match(value):
        raise InvalidRequestError.for_field(
            field_path,
            "must be 1-128 characters from A-Z a-z 0-9 . _ : @ + = - and start with a letter or digit",
        )
    return value


def email_problem(value: str) -> str | None:
    """Why an email address is not acceptable, or ``None`` when it is.

    The check is syntactic (ASCII addresses, a dotted domain with a letter TLD); nothing is sent to
    the domain.
    """
    if len(value) > MAX_EMAIL_LENGTH:
        return f"must be at most {MAX_EMAIL_LENGTH} characters"
    local, at, domain = value.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or not local
        or len(local) > 64
        or not _EMAIL_LOCAL.match(local)
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.match(label) for label in labels)
        or not _TOP_LEVEL_DOMAIN.match(labels[-1])
    ):
        return "is not a valid email address (expected name@example.com)"
    return None


def normalise_email(value: str, field_path: str) -> str:
    """The form emails are matched in: trimmed and lowercased.

    Raises:
        InvalidRequestError: Not a valid email address.
    """
    stripped = value.strip()
    problem = email_problem(stripped)
    if problem is not None:
        raise InvalidRequestError.for_field(field_path, problem)
    return stripped.lower()


def phone_problem_and_e164(value: str) -> tuple[str | None, str]:
    """Parses a phone number in international format; returns ``(problem, e164)``.

    Returns:
        ``(None, "+14255550100")`` for a valid number, or the problem and an empty string.
    """
    # Imported here: the metadata costs about 90 ms, which only functions that parse phones should pay at cold start.
    import phonenumbers  # noqa: PLC0415

    stripped = value.strip()
    if not stripped.startswith("+"):
        return "must be in international format: + and the country code, e.g. +14255550100", ""
    try:
        number = phonenumbers.parse(stripped, None)
    except phonenumbers.NumberParseException:
        return "is not a phone number (expected + and the country code, e.g. +1 425 555 0100)", ""
    if not phonenumbers.is_valid_number(number):
        return "is not a valid phone number for its country code", ""
    return None, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(value: str, field_path: str) -> str:
    """The E.164 form of a phone number.

    Raises:
        InvalidRequestError: Not a valid number in international format.
    """
    problem, e164 = phone_problem_and_e164(value)
    if problem is not None:
        raise InvalidRequestError.for_field(field_path, problem)
    return e164


def _locale_problem_and_value(value: str) -> tuple[str | None, str]:
    match = _LOCALE.match(value.replace("_", "-"))
    if match is None:
        return "must be a BCP 47 language tag such as en-US, fr or zh-Hant-TW", ""
    parts = [match.group("lang").lower()]
    if match.group("script"):
        parts.append(match.group("script").title())
    if match.group("region"):
        parts.append(match.group("region").upper())
    return None, "-".join(parts)


def _custom_attribute_problems(values: Mapping[str, Any], field_path: str) -> list[FieldProblem]:
    problems = []
    if len(values) > MAX_CUSTOM_ATTRIBUTES:
        problems.append(FieldProblem(field_path, f"has {len(values)} attributes; at most {MAX_CUSTOM_ATTRIBUTES}"))
    for name, value in values.items():
        if not _CUSTOM_NAME.match(name):
            problems.append(
                FieldProblem(f"{field_path}.{name[:64]}", "names are 1-64 letters, digits or _ and start with a letter")
            )
        if isinstance(value, str) and len(value) > MAX_CUSTOM_VALUE_LENGTH:
            problems.append(
                FieldProblem(f"{field_path}.{name[:64]}", f"must be at most {MAX_CUSTOM_VALUE_LENGTH} characters")
            )
    size = len(json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_CUSTOM_ATTRIBUTES_BYTES:
        problems.append(
            FieldProblem(field_path, f"is {size} bytes as JSON; at most {MAX_CUSTOM_ATTRIBUTES_BYTES} are accepted")
        )
    return problems


def _fullname(firstname: str | None, lastname: str | None) -> str | None:
    joined = " ".join(part for part in (firstname, lastname) if part)
    return joined or None


def _time_zone_problems(given: dict[str, Any], prefix: str) -> list[FieldProblem]:
    """A Dataverse code sent as a number is stored as its text (``110``), like every other spelling."""
    if given.get("timezone") is None:
        return []
    given["timezone"] = str(given["timezone"])
    if iana_name(given["timezone"]) is not None:
        return []
    return [
        FieldProblem(
            _join(prefix, "timezone"),
            "must be an IANA time zone name (Europe/Paris), a Windows time zone id "
            "(W. Europe Standard Time) or a Dataverse timezonecode (110)",
        )
    ]


def _normalise_values(given: dict[str, Any], prefix: str) -> list[FieldProblem]:
    """Checks the values whose shape pydantic cannot judge, normalising them in place."""
    problems: list[FieldProblem] = []
    if given.get("emailaddress1") is not None:
        problem = email_problem(given["emailaddress1"])
        if problem is not None:
            problems.append(FieldProblem(_join(prefix, "emailaddress1"), problem))
    for phone_field in ("mobilephone", "telephone1"):
        if given.get(phone_field) is not None:
            problem, given[phone_field] = phone_problem_and_e164(given[phone_field])
            if problem is not None:
                problems.append(FieldProblem(_join(prefix, phone_field), problem))
    if given.get("locale") is not None:
        problem, given["locale"] = _locale_problem_and_value(given["locale"])
        if problem is not None:
            problems.append(FieldProblem(_join(prefix, "locale"), problem))
    problems += _time_zone_problems(given, prefix)
    if given.get("customattributes") is not None:
        problems += _custom_attribute_problems(given["customattributes"], _join(prefix, "customattributes"))
    return problems


def parse_attributes(
    raw: Mapping[str, Any],
    entity_type: EntityType,
    *,
    base: PersonAttributes | None = None,
    prefix: str = "",
) -> PersonAttributes:
    """Validates and normalises a person's attributes as a client sent them.

    Without ``base`` the result holds exactly what was sent (PUT: a full replacement). With it, sent
    attributes replace the base's and ``null`` clears one (PATCH). The record's id attribute
    (``contactid``) and read-only attributes (``createdon``) are ignored here; the caller checks the id.
    Empty strings count as absent, as in Dataverse. ``fullname`` follows ``firstname lastname``
    whenever a write changes either without sending ``fullname``.

    Args:
        raw: The JSON object sent.
        entity_type: The kind of record (its id attribute is skipped).
        base: The stored attributes, for a PATCH.
        prefix: Path of the object inside the request, for error fields (``Items[3]``).

    Returns:
        The normalised attributes.

    Raises:
        InvalidRequestError: Every problem found, each naming its field.
    """
    skipped = READ_ONLY_ATTRIBUTES | {entity_type.id_attribute}
    known = {name: value for name, value in raw.items() if name in PERSON_ATTRIBUTES}
    problems = [
        FieldProblem(_join(prefix, name[:64]), _PROBLEM_WORDING["extra_forbidden"])
        for name in raw
        if name not in PERSON_ATTRIBUTES and name not in skipped
    ]
    try:
        parsed = _PersonInput.model_validate(known)
    except PydanticValidationError as error:
        # Shape errors and value errors are reported together: the fields whose shape is right
        # are checked further, so one round trip tells the client everything.
        problems += problems_from_pydantic(error, prefix)
        failed = {str(detail["loc"][0]) for detail in error.errors() if detail["loc"]}
        parsed = _PersonInput.model_validate({name: value for name, value in known.items() if name not in failed})

    given = {name: getattr(parsed, name) for name in parsed.model_fields_set}
    given = {name: (None if value == "" else value) for name, value in given.items()}
    problems += _normalise_values(given, prefix)
    if problems:
        raise InvalidRequestError(message="; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)

    merged: dict[str, Any] = base.model_dump() if base is not None else {}
    for name, value in given.items():
        if value is None and name in {"trackingconsent", "pushconsent", "customattributes"}:
            # Clearing a flag or the custom attributes returns it to its default.
            merged.pop(name, None)
        else:
            merged[name] = value
    if "fullname" not in given and ({"firstname", "lastname"} & given.keys() or base is None):
        merged["fullname"] = _fullname(merged.get("firstname"), merged.get("lastname"))
    return PersonAttributes.model_validate(merged)
