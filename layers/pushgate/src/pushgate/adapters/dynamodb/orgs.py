"""Orgs in the main table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pushgate.adapters.dynamodb.keys import (
    ORG_LISTING_PARTITION,
    ORG_LISTING_PREFIX,
    PARTITION_KEY,
    SORT_KEY,
    org_key,
    org_listing_key,
)
from pushgate.adapters.dynamodb.table import TableAdapter, decode_page_token, encode_page_token
from pushgate.errors import InvalidRequestError
from pushgate.models.org import Org


def _org_fields(org: Org) -> dict[str, Any]:
    return {"org_id": org.org_id, "name": org.name, "created_at": org.created_at.isoformat()}


def _org_from_item(item: dict[str, Any]) -> Org:
    return Org(org_id=item["org_id"], name=item["name"], created_at=datetime.fromisoformat(item["created_at"]))


def _listing_key(org: Org) -> dict[str, str]:
    return org_listing_key(org.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), org.org_id).as_dict()


class DynamoOrgRepository(TableAdapter):
    """The DynamoDB adapter of ``OrgRepository``."""

    def create(self, org: Org) -> None:
        """Stores a new org and its entry in the list of orgs, in one transaction; a duplicate id is a
        ``ConflictError``."""
        self._table.transact_write(
            [
                {
                    "Put": {
                        "Item": {**org_key(org.org_id).as_dict(), "type": "Org", **_org_fields(org)},
                        "ConditionExpression": "attribute_not_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                    }
                },
                {"Put": {"Item": {**_listing_key(org), "type": "OrgListing", **_org_fields(org)}}},
            ]
        )

    def get(self, org_id: str) -> Org | None:
        """Finds an org by id."""
        return self._table.get_as(org_key(org_id), _org_from_item)

    def list_page(self, *, limit: int, next_token: str | None) -> tuple[list[Org], str | None]:
        """One page of every org, oldest first."""
        start_key = decode_page_token(next_token, ORG_LISTING_PARTITION)
        if start_key is not None and not start_key[SORT_KEY]["S"].startswith(ORG_LISTING_PREFIX):
            raise InvalidRequestError.for_field("NextToken", "is not a token this API returned")
        items, last_key = self._table.query_prefix(
            ORG_LISTING_PARTITION, ORG_LISTING_PREFIX, limit=limit, start_key=start_key
        )
        return [_org_from_item(item) for item in items], encode_page_token(last_key)
