"""Push messages and their versions in the main table."""

from __future__ import annotations

from typing import Any

from pushgate.adapters.dynamodb.keys import (
    MESSAGE_PREFIX,
    org_partition,
    push_message_key,
    push_message_version_key,
    push_message_versions_prefix,
)
from pushgate.adapters.dynamodb.message_status import DynamoMessageStatusReader
from pushgate.models.message_status import MessageStatus
from pushgate.models.message_template import MessageContent, MessageTemplate, MessageVersion


def _message_item(message: MessageTemplate) -> dict[str, Any]:
    return {
        "type": "PushMessage",
        "org_id": message.org_id,
        "message_id": message.message_id,
        "status": message.status.value,
        "version": message.version,
        "revision": message.revision,
        "content": message.content.to_storage(),
        "created_at": message.created_at.isoformat(),
        "updated_at": message.updated_at.isoformat(),
        "status_changed_at": message.status_changed_at.isoformat(),
    }


def _message_from_item(item: dict[str, Any]) -> MessageTemplate:
    return MessageTemplate(
        org_id=item["org_id"],
        message_id=item["message_id"],
        status=MessageStatus(item["status"]),
        version=int(item["version"]),
        revision=int(item["revision"]),
        content=MessageContent.model_validate(item["content"]),
        created_at=item["created_at"],
        updated_at=item["updated_at"],
        status_changed_at=item["status_changed_at"],
    )


def _version_item(message: MessageTemplate) -> dict[str, Any]:
    return {
        "type": "PushMessageVersion",
        "org_id": message.org_id,
        "message_id": message.message_id,
        "version": message.version,
        "content": message.content.to_storage(),
        "created_at": message.updated_at.isoformat(),
    }


def _version_from_item(item: dict[str, Any]) -> MessageVersion:
    return MessageVersion(
        org_id=item["org_id"],
        message_id=item["message_id"],
        version=int(item["version"]),
        content=MessageContent.model_validate(item["content"]),
        created_at=item["created_at"],
    )


class DynamoMessageTemplateRepository(DynamoMessageStatusReader):
    """The DynamoDB adapter of ``MessageTemplateRepository`` (``status_of`` is the status reader's read)."""

    def create(self, message: MessageTemplate) -> None:
        """Stores the message and its first version in one transaction."""
        self._table.put_items_at_revisions(
            [
                (push_message_key(message.org_id, message.message_id), _message_item(message), None),
                (
                    push_message_version_key(message.org_id, message.message_id, message.version),
                    _version_item(message),
                    None,
                ),
            ]
        )

    def get(self, org_id: str, message_id: str) -> MessageTemplate | None:
        """The current state of a message."""
        return self._table.get_as(push_message_key(org_id, message_id), _message_from_item)

    def list_page(self, org_id: str, *, limit: int, next_token: str | None) -> tuple[list[MessageTemplate], str | None]:
        """One page of an org's messages, in id order."""
        return self._table.page(
            org_partition(org_id), MESSAGE_PREFIX, _message_from_item, limit=limit, next_token=next_token
        )

    def save_version(self, message: MessageTemplate, *, expected_revision: int) -> None:
        """Writes the new current state and the new version in one transaction."""
        self._table.put_items_at_revisions(
            [
                (push_message_key(message.org_id, message.message_id), _message_item(message), expected_revision),
                (
                    push_message_version_key(message.org_id, message.message_id, message.version),
                    _version_item(message),
                    None,
                ),
            ]
        )

    def save_status(self, message: MessageTemplate, *, expected_revision: int) -> None:
        """Writes a lifecycle change of the current item."""
        self._table.replace_revision(
            push_message_key(message.org_id, message.message_id), _message_item(message), expected_revision
        )

    def delete(self, message: MessageTemplate) -> None:
        """Deletes the message first (guarded), then its versions."""
        self._table.delete_at_revision(push_message_key(message.org_id, message.message_id), message.revision)
        versions = self._table.query_all(
            org_partition(message.org_id), push_message_versions_prefix(message.message_id)
        )
        self._table.delete_many(
            [push_message_version_key(message.org_id, message.message_id, int(v["version"])) for v in versions]
        )

    def get_version(self, org_id: str, message_id: str, version: int) -> MessageVersion | None:
        """One version."""
        return self._table.get_as(push_message_version_key(org_id, message_id, version), _version_from_item)

    def list_versions(self, org_id: str, message_id: str) -> list[MessageVersion]:
        """Every version, oldest first (the sort key is zero-padded)."""
        items = self._table.query_all(org_partition(org_id), push_message_versions_prefix(message_id))
        return [_version_from_item(item) for item in items]
