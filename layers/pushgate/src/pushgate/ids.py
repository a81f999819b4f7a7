"""Identifiers: how they are made and how client-supplied ones are checked."""

from __future__ import annotations

import uuid

from pushgate.errors import InvalidRequestError


def new_id() -> str:
    """A fresh random id, as a canonical lowercase UUID."""
    return str(uuid.uuid4())


def parse_uuid(value: str, field_path: str) -> str:
    """Checks a client-supplied id and returns its canonical form.

    Args:
        value: The id as sent.
        field_path: Where it was sent (``OrgId``), for the error.

    Returns:
        The lowercase hyphenated UUID.

    Raises:
        InvalidRequestError: The value is not a UUID.
    """
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidRequestError.for_field(field_path, "must be a UUID") from None
