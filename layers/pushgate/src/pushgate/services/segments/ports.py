"""Ports of the saved-segment use cases; the adapter lives in ``pushgate.adapters.dynamodb.segments``."""

from __future__ import annotations

from typing import Protocol

from pushgate.models.segment import Segment


class SegmentRepository(Protocol):
    """Stores an org's saved segments."""

    def get(self, org_id: str, segment_id: str) -> Segment | None:
        """One segment, or ``None``."""

    def list_page(self, org_id: str, *, limit: int, next_token: str | None) -> tuple[list[Segment], str | None]:
        """A page of the org's segments in id order, and the token of the next page."""

    def create(self, segment: Segment) -> None:
        """Stores a new segment (ConflictError when the id exists)."""

    def replace(self, segment: Segment) -> bool:
        """Replaces a stored segment; ``False`` when it is gone."""

    def delete(self, org_id: str, segment_id: str) -> bool:
        """Deletes a segment; ``False`` when there was none."""
