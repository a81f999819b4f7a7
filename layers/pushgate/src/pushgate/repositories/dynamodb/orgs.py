"""Orgs in the main table."""

from __future__ import annotations

from datetime import datetime

from pushgate.models.org import Org
from pushgate.repositories.dynamodb.keys import org_key
from pushgate.repositories.dynamodb.table import MainTable


class DynamoOrgRepository:
    """The DynamoDB adapter of ``OrgRepository``."""

    def __init__(self, table: MainTable) -> None:
        """Binds the repository to the main table."""
        self._table = table

    def create(self, org: Org) -> None:
        """Stores a new org; a duplicate id is a ``ConflictError``."""
        self._table.put_new(
            org_key(org.org_id),
            {"type": "Org", "org_id": org.org_id, "name": org.name, "created_at": org.created_at.isoformat()},
        )

    def get(self, org_id: str) -> Org | None:
        """Finds an org by id."""
        item = self._table.get(org_key(org_id))
        if item is None:
            return None
        return Org(org_id=item["org_id"], name=item["name"], created_at=datetime.fromisoformat(item["created_at"]))
