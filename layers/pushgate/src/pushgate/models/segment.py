"""Saved segments: a named filter over one kind of the directory's people, to send to by id."""

from __future__ import annotations

from datetime import datetime

from pushgate.models.directory import EntityType
from pushgate.models.frozen import Frozen


class Segment(Frozen):
    """A named filter over contacts, leads or profiles.

    Attributes:
        org_id: Owner org.
        segment_id: Its id (a UUID).
        name: Its name (1 to 256 characters).
        filter: The OData ``$filter`` over the directory (validated when saved).
        kind: Which people it selects from.
        description: Free text.
        created_at: When it was created.
        updated_at: When it was last replaced.
    """

    org_id: str
    segment_id: str
    name: str
    filter: str
    kind: EntityType
    description: str | None = None
    created_at: datetime
    updated_at: datetime
