"""A push message's lifecycle status, apart from the message models.

The delivery worker reads only this of a message (is it still ``Active``?) on every job. Keeping it
out of ``message_template`` spares the worker's first job the import of the template models and
the template engine they validate with.
"""

from __future__ import annotations

from enum import StrEnum


class MessageStatus(StrEnum):
    """Lifecycle: ``Draft`` → ``Active`` ⇄ ``Inactive``. Only ``Active`` messages go out in journeys."""

    DRAFT = "Draft"
    ACTIVE = "Active"
    INACTIVE = "Inactive"
