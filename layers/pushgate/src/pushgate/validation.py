"""The one conversion of validation errors into the API's field problems.

Pydantic (request bodies, credentials, message content, directory attributes) and Powertools'
request validation (query and path parameters) report errors as ``{"loc", "type", "msg"}`` details;
:func:`field_problems` turns them into :class:`~pushgate.errors.FieldProblem` values naming the
field as the client sent it. A context words its own problems through a ``describe`` function (its
location segments and sentence for one detail) and never copies input values into them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from pushgate.errors import FieldProblem

#: One error detail → the field's location segments and the problem (``None``: pydantic's message).
Describe = Callable[[Mapping[str, Any]], tuple[list[str], str | None]]


def location_of(detail: Mapping[str, Any]) -> list[str]:
    """The detail's location as strings (list indexes included)."""
    return [str(part) for part in detail.get("loc", ())]


def _as_located(detail: Mapping[str, Any]) -> tuple[list[str], str | None]:
    return location_of(detail), None


def field_problems(
    errors: ValidationError | Iterable[Mapping[str, Any]],
    *,
    prefix: str = "",
    describe: Describe = _as_located,
    fallback: str = "body",
    deduplicate: bool = False,
) -> list[FieldProblem]:
    """Turns validation error details into field problems.

    Args:
        errors: A pydantic error, or the ``errors()`` list of Powertools' ``RequestValidationError``.
        prefix: Dotted path of the validated object inside the request, when it was validated alone.
        describe: The context's wording: location segments and problem of one detail.
        fallback: The field named when the location is empty (the whole body).
        deduplicate: Report a repeated problem once (a union-typed value fails once per alternative).

    Returns:
        One problem per detail, in the order given.
    """
    details = (
        errors.errors(include_url=False, include_input=False, include_context=True)
        if isinstance(errors, ValidationError)
        else errors
    )
    problems = []
    for detail in details:
        location, problem = describe(detail)
        path = ".".join(part for part in (prefix, *location) if part)
        problems.append(FieldProblem(path or fallback, problem if problem is not None else str(detail.get("msg"))))
    return list(dict.fromkeys(problems)) if deduplicate else problems


#: Discriminator tags pydantic inserts into error locations (``Ios.ios-p8-auth.KeyId``); they are
#: not client field names. The iOS credentials' ``AuthMode`` alternatives
#: (``pushgate.credentials.inputs``) and a send's or a preview's ``Audience`` alternatives
#: (``pushgate.api.schemas.segments``).
IOS_P8_TAG = "ios-p8-auth"
IOS_P12_TAG = "ios-p12-auth"
AUDIENCE_TAGS = ("broadcast-audience", "filter-audience", "segment-audience")
INTERNAL_LOCATION_SEGMENTS = frozenset({IOS_P8_TAG, IOS_P12_TAG, *AUDIENCE_TAGS})

_PYDANTIC_PROBLEM_WORDING = {
    "missing": "is required.",
    "extra_forbidden": "is not a recognised field; check the spelling (field names are PascalCase, e.g. KeyId).",
    "model_type": "must be a JSON object.",
    "model_attributes_type": "must be a JSON object.",
    "dict_type": "must be a JSON object.",
    "string_type": "must be a string.",
}


def problems_from_validation_error(error: ValidationError, *, prefix: str = "") -> list[FieldProblem]:
    """Turns a pydantic error into field problems with the dotted paths the client sent.

    Pydantic adds the union tag to error locations (``Ios.ios-token-auth.KeyId``); those segments
    are dropped, and an unknown ``AuthMode`` is reported on ``Ios.AuthMode``. Input values are never
    copied into the problems.

    Args:
        error: The validation error of a request model (a body, credentials, message content).
        prefix: Dotted path of the validated object inside the request, when it was validated alone.

    Returns:
        One problem per pydantic error, in pydantic's order.
    """
    return field_problems(error, prefix=prefix, describe=_describe, fallback="(body)")


def _describe(detail: Mapping[str, Any]) -> tuple[list[str], str]:
    segments = [part for part in location_of(detail) if part not in INTERNAL_LOCATION_SEGMENTS]
    if detail["type"] == "ios_auth_mode":
        segments.append("AuthMode")
    return segments, _pydantic_problem_sentence(detail["type"], detail["msg"])


def _pydantic_problem_sentence(error_type: str, message: str) -> str:
    if error_type in _PYDANTIC_PROBLEM_WORDING:
        return _PYDANTIC_PROBLEM_WORDING[error_type]
    if message.startswith("Input should be "):
        return "must be " + message.removeprefix("Input should be ") + "."
    return message


def field_error(model: str, field: str, error_type: str, problem: str) -> ValidationError:
    """A model's cross-field rule broken, located on the field to change (raise it in a ``model_validator``).

    Pydantic locates a ``model_validator``'s own errors on the whole model; this one names the field
    (``Audience``, nested paths included: ``Ios.Audience``), as every other problem does.

    Args:
        model: The model's name (pydantic's title of the error).
        field: The field the problem is reported on.
        error_type: A stable type for the problem (``send_audience_and_recipients``).
        problem: The sentence (no braces: pydantic reads them as placeholders).
    """
    detail = InitErrorDetails(type=PydanticCustomError(error_type, problem), loc=(field,), input=None)
    return ValidationError.from_exception_data(model, [detail])


def _json_integer(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)  # DynamoDB hands stored numbers back as Decimal
    raise PydanticCustomError("json_integer", "must be a JSON integer such as 30 (not a string, boolean or decimal)")


#: An integer as JSON writes it, for operator routes: ``"30"``, ``30.0`` and ``true`` are refused
#: rather than coerced (pydantic's lax mode would take all three), so what is stored is what was meant.
#: Models that are also read back from DynamoDB accept its integral ``Decimal`` values.
JsonInt = Annotated[int, BeforeValidator(_json_integer)]
