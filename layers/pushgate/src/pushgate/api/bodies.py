"""Reading JSON request bodies into models, for routes whose models report their own field problems."""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from pushgate.credentials import problems_from_validation_error
from pushgate.errors import InvalidRequestError, PayloadTooLargeError

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_BODY_BYTES = 256 * 1024


def parse_json_body(raw: str | None, model: type[ModelT], *, max_bytes: int = MAX_BODY_BYTES) -> ModelT:
    """Decodes and validates a JSON object body.

    Args:
        raw: The body as API Gateway passed it.
        model: The request model (its errors never echo input values).
        max_bytes: Largest body accepted.

    Returns:
        The validated model.

    Raises:
        PayloadTooLargeError: The body is larger than ``max_bytes``.
        InvalidRequestError: The body is missing, not JSON, not an object, or breaks the model;
            every problem is listed with its field.
    """
    if not raw:
        raise InvalidRequestError.for_field("body", "is required: send a JSON object")
    size = len(raw.encode("utf-8"))
    if size > max_bytes:
        raise PayloadTooLargeError(message=f"the body is {size} bytes; at most {max_bytes} are accepted")
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise InvalidRequestError.for_field("body", "is not valid JSON") from None
    if not isinstance(decoded, dict):
        raise InvalidRequestError.for_field("body", "must be a JSON object")
    try:
        return model.model_validate(decoded)
    except ValidationError as error:
        problems = problems_from_validation_error(error)
        summary = "; ".join(f"{p.field}: {p.problem}" for p in problems)
        raise InvalidRequestError(message=summary, problems=problems) from None
