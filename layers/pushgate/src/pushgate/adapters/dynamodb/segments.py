"""Saved segments in the main table: one item per segment under the org's partition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pushgate.adapters.dynamodb.keys import PARTITION_KEY, SEGMENT_PREFIX, org_partition, segment_key
from pushgate.adapters.dynamodb.table import TableAdapter, model_from_item
from pushgate.models.segment import Segment


def _segment_from_item(item: Mapping[str, Any]) -> Segment:
    return model_from_item(Segment, item)


def _item(segment: Segment) -> dict[str, Any]:
    return {"type": "Segment", **segment.model_dump(mode="json", exclude_none=True)}


class DynamoSegmentRepository(TableAdapter):
    """The DynamoDB adapter of ``SegmentRepository``."""

    def get(self, org_id: str, segment_id: str) -> Segment | None:
        return self._table.get_as(segment_key(org_id, segment_id), _segment_from_item)

    def list_page(self, org_id: str, *, limit: int, next_token: str | None) -> tuple[list[Segment], str | None]:
        """A page of the org's segments in id order (one Query), and the token of the next page."""
        return self._table.page(
            org_partition(org_id), SEGMENT_PREFIX, _segment_from_item, limit=limit, next_token=next_token
        )

    def create(self, segment: Segment) -> None:
        """Writes a new segment (one conditional PutItem).

        Raises:
            ConflictError: A segment with this id exists.
        """
        key = segment_key(segment.org_id, segment.segment_id)
        self._table.put_new(key, _item(segment))

    def replace(self, segment: Segment) -> bool:
        """Replaces a segment that still exists (one conditional PutItem); ``False`` when it is gone."""
        key = segment_key(segment.org_id, segment.segment_id)
        return self._table.put_if(
            key, _item(segment), condition="#pk = :pk", names={"#pk": PARTITION_KEY}, values={":pk": key.pk}
        )

    def delete(self, org_id: str, segment_id: str) -> bool:
        return self._table.delete(segment_key(org_id, segment_id))
