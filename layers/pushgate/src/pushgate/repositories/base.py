"""Ports the services depend on; adapters live in ``pushgate.repositories.dynamodb``."""

from __future__ import annotations

from typing import Protocol

from pushgate.models.org import Org


class OrgRepository(Protocol):
    """Stores and finds orgs."""

    def create(self, org: Org) -> None:
        """Stores a new org.

        Raises:
            ConflictError: An org with this id already exists.
        """

    def get(self, org_id: str) -> Org | None:
        """Finds an org by id, or ``None``."""
