"""Organisations: the tenant every other resource belongs to."""

from __future__ import annotations

from datetime import datetime

from pushgate.models.frozen import Frozen


class Org(Frozen):
    """One tenant of a Pushgate deployment.

    Attributes:
        org_id: Canonical lowercase UUID.
        name: Display name chosen by the operator.
        created_at: When the org was created (UTC).
    """

    org_id: str
    name: str
    created_at: datetime
