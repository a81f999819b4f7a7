"""A thin wrapper over the DynamoDB client for the main table, with one error translation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from pushgate.errors import ConflictError, DependencyError
from pushgate.observability import logger
from pushgate.repositories.dynamodb.keys import PARTITION_KEY, ItemKey

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


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
                Item={name: _serializer.serialize(value) for name, value in item.items()},
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
            )

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
                Key={name: _serializer.serialize(value) for name, value in key.as_dict().items()},
                ConsistentRead=True,
            )
        item = response.get("Item")
        if item is None:
            return None
        return {name: _deserializer.deserialize(value) for name, value in item.items()}
