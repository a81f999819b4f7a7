"""A thin wrapper over the DynamoDB client for the main table, with one error translation."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from pushgate.errors import ConflictError, DependencyError, InvalidRequestError
from pushgate.observability import logger
from pushgate.repositories.dynamodb.keys import PARTITION_KEY, SORT_KEY, ItemKey

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_BATCH_WRITE_LIMIT = 25


def _to_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items() if value is not None}


def _from_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def encode_page_token(last_key: Mapping[str, Any] | None) -> str | None:
    """An opaque ``NextToken`` for a page's ``LastEvaluatedKey`` (``None`` on the last page)."""
    if not last_key:
        return None
    plain = {name: _deserializer.deserialize(value) for name, value in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def decode_page_token(token: str | None, expected_partition: str) -> dict[str, Any] | None:
    """Reads a ``NextToken``; a forged or foreign one is a 400, never a scan of another partition.

    Raises:
        InvalidRequestError: The token is malformed or belongs to another listing.
    """
    if not token:
        return None
    try:
        plain = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        raise InvalidRequestError.for_field("NextToken", "is not a token this API returned") from None
    if (
        not isinstance(plain, dict)
        or plain.get(PARTITION_KEY) != expected_partition
        or not isinstance(plain.get(SORT_KEY), str)
    ):
        raise InvalidRequestError.for_field("NextToken", "is not a token this API returned")
    return _to_dynamo(plain)


@contextmanager
def translated_errors(operation: str) -> Iterator[None]:
    """Turns DynamoDB failures into domain errors, in one place.

    Args:
        operation: What was being done, for the log line.

    Raises:
        ConflictError: A condition on a write failed.
        DependencyError: DynamoDB throttled, is missing the table, or failed otherwise.
    """
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code in {"ConditionalCheckFailedException", "TransactionCanceledException"}:
            raise ConflictError(message="the item already exists or was changed concurrently") from error
        logger.exception("dynamodb operation failed", extra={"operation": operation, "error_code": code})
        raise DependencyError(message="the data store is unavailable; retry later") from error
    except BotoCoreError as error:
        logger.exception("dynamodb operation failed", extra={"operation": operation})
        raise DependencyError(message="the data store is unavailable; retry later") from error


class MainTable:
    """The single main table: serialisation and error translation around the boto3 client."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        """Wraps a client for one table.

        Args:
            client: A boto3 DynamoDB client (created once per execution environment).
            table_name: The main table's name.
        """
        self._client = client
        self.table_name = table_name

    def put_new(self, key: ItemKey, attributes: Mapping[str, Any]) -> None:
        """Writes an item that must not exist yet.

        Raises:
            ConflictError: An item with this key exists.
        """
        item = {**key.as_dict(), **attributes}
        with translated_errors("put_new"):
            self._client.put_item(
                TableName=self.table_name,
                Item=_to_dynamo(item),
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
            )

    def replace_revision(self, key: ItemKey, attributes: Mapping[str, Any], expected_revision: int) -> None:
        """Overwrites an item only if it still has the revision the caller read.

        Raises:
            ConflictError: The item changed (or vanished) since it was read.
        """
        item = {**key.as_dict(), **attributes}
        with translated_errors("replace_revision"):
            self._client.put_item(
                TableName=self.table_name,
                Item=_to_dynamo(item),
                ConditionExpression="#revision = :expected",
                ExpressionAttributeNames={"#revision": "revision"},
                ExpressionAttributeValues={":expected": _serializer.serialize(expected_revision)},
            )

    def set_attributes(self, key: ItemKey, values: Mapping[str, Any]) -> None:
        """Sets attributes of an existing item (a missing item is a ``ConflictError``)."""
        names = {f"#a{index}": name for index, name in enumerate(values)}
        assignments = ", ".join(f"#a{index} = :v{index}" for index in range(len(values)))
        with translated_errors("set_attributes"):
            self._client.update_item(
                TableName=self.table_name,
                Key=_to_dynamo(key.as_dict()),
                UpdateExpression=f"SET {assignments}",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={**names, "#pk": PARTITION_KEY},
                ExpressionAttributeValues={f":v{i}": _serializer.serialize(v) for i, v in enumerate(values.values())},
            )

    def delete(self, key: ItemKey) -> bool:
        """Deletes an item; returns whether it existed."""
        with translated_errors("delete"):
            response = self._client.delete_item(
                TableName=self.table_name, Key=_to_dynamo(key.as_dict()), ReturnValues="ALL_OLD"
            )
        return "Attributes" in response

    def delete_many(self, keys: Sequence[ItemKey]) -> None:
        """Deletes items in batches of 25, retrying what DynamoDB leaves unprocessed."""
        for start in range(0, len(keys), _BATCH_WRITE_LIMIT):
            requests: list[Any] = [
                {"DeleteRequest": {"Key": _to_dynamo(k.as_dict())}} for k in keys[start : start + _BATCH_WRITE_LIMIT]
            ]
            while requests:
                with translated_errors("delete_many"):
                    response = self._client.batch_write_item(RequestItems={self.table_name: requests})
                requests = list(response.get("UnprocessedItems", {}).get(self.table_name, []))

    def query_prefix(
        self,
        partition: str,
        sort_key_prefix: str,
        *,
        limit: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> tuple[list[dict[str, Any]], Mapping[str, Any] | None]:
        """One page of the items of a partition whose sort key starts with a prefix.

        Returns:
            The items, and the ``LastEvaluatedKey`` to continue from (``None`` when done).
        """
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": {":pk": {"S": partition}, ":prefix": {"S": sort_key_prefix}},
            "ConsistentRead": True,
        }
        if limit is not None:
            request["Limit"] = limit
        if start_key:
            request["ExclusiveStartKey"] = start_key
        with translated_errors("query_prefix"):
            response = self._client.query(**request)
        return [_from_dynamo(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")

    def query_all(self, partition: str, sort_key_prefix: str) -> list[dict[str, Any]]:
        """Every item of a partition under a prefix, across pages."""
        items: list[dict[str, Any]] = []
        start_key: Mapping[str, Any] | None = None
        while True:
            page, start_key = self.query_prefix(partition, sort_key_prefix, start_key=start_key)
            items.extend(page)
            if not start_key:
                return items

    def ping(self) -> None:
        """Checks that the table exists and answers.

        Raises:
            DependencyError: It does not.
        """
        with translated_errors("ping"):
            self._client.describe_table(TableName=self.table_name)

    def get(self, key: ItemKey) -> dict[str, Any] | None:
        """Reads one item strongly consistently, or ``None`` when absent."""
        with translated_errors("get"):
            response = self._client.get_item(
                TableName=self.table_name,
                Key=_to_dynamo(key.as_dict()),
                ConsistentRead=True,
            )
        item = response.get("Item")
        if item is None:
            return None
        return _from_dynamo(item)
