"""Organisations: the tenant every other resource belongs to."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Org(BaseModel):
    """One tenant of a Pushgate deployment.

    Attributes:
        org_id: Canonical lowercase UUID.
        name: Display name chosen by the operator.
        created_at: When the org was created (UTC).
    """

    model_config = ConfigDict(frozen=True)

    org_id: str
    name: str
    created_at: datetime
