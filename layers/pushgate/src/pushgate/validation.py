"""The one conversion of validation errors into the API's field problems.

Pydantic (request bodies, credentials, message content, directory attributes) and Powertools'
request validation (query and path parameters) report errors as ``{"loc", "type", "msg"}`` details;
:func:`field_problems` turns them into :class:`~pushgate.errors.FieldProblem` values naming the
field as the client sent it. A context words its own problems through a ``describe`` function (its
location segments and sentence for one detail) and never copies input values into them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

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
