"""A push message's status and version, read without the message models (the delivery worker's check)."""

from __future__ import annotations

from pushgate.adapters.dynamodb.keys import push_message_key
from pushgate.adapters.dynamodb.table import TableAdapter
from pushgate.models.message_status import MessageStatus


class DynamoMessageStatusReader(TableAdapter):
    """Reads two attributes of a message's current item: a small read a job can afford."""

    def status_of(self, org_id: str, message_id: str) -> tuple[MessageStatus, int] | None:
        """Status and current version, or ``None`` when the message is gone."""
        item = self._table.get_attributes(push_message_key(org_id, message_id), ("status", "version"))
        return None if item is None else (MessageStatus(item["status"]), int(item["version"]))
