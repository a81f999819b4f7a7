"""A thin wrapper over the DynamoDB client for the main table, with one error translation."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from pushgate.adapters.dynamodb.keys import (
    GSI1_NAME,
    GSI1_PARTITION_KEY,
    GSI1_SORT_KEY,
    PARTITION_KEY,
    SORT_KEY,
    ItemKey,
)
from pushgate.errors import ConflictError, DependencyError, InvalidRequestError
from pushgate.observability import logger
from pushgate.runtime.attribute_values import deserialize, serialize

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from pydantic import BaseModel

_BATCH_WRITE_LIMIT = 25


def _to_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: serialize(value) for name, value in item.items() if value is not None}


def _from_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: deserialize(value) for name, value in item.items()}


def revision_put(key: ItemKey, attributes: Mapping[str, Any], expected_revision: int | None) -> dict[str, Any]:
    """A :meth:`MainTable.transact_write` ``Put`` guarded by the revision the caller read.

    Args:
        key: The item.
        attributes: What it holds (its new ``revision`` included).
        expected_revision: ``None``: the item must not exist yet; a number: the stored item still
            has that ``revision``.
    """
    put: dict[str, Any] = {"Item": {**key.as_dict(), **attributes}}
    if expected_revision is None:
        put["ConditionExpression"] = "attribute_not_exists(#pk)"
        put["ExpressionAttributeNames"] = {"#pk": PARTITION_KEY}
    else:
        put["ConditionExpression"] = "#revision = :expected"
        put["ExpressionAttributeNames"] = {"#revision": "revision"}
        put["ExpressionAttributeValues"] = {":expected": expected_revision}
    return {"Put": put}


def encode_opaque_token(plain: Mapping[str, Any]) -> str:
    """A ``NextToken`` clients pass back unchanged: the listing's position as base64url JSON."""
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def decode_opaque_token(token: str) -> Any:
    """The position a ``NextToken`` holds; the caller still checks that it belongs to its listing.

    Raises:
        InvalidRequestError: The token is not base64url JSON.
    """
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        raise InvalidRequestError.for_field("NextToken", "is not a token this API returned") from None


ModelT = TypeVar("ModelT", bound="BaseModel")
RecordT = TypeVar("RecordT")


def model_from_item(model: type[ModelT], item: Mapping[str, Any]) -> ModelT:
    """The model an item stores: its fields, without the keys and index attributes stored beside them."""
    return model.model_validate({name: item[name] for name in model.model_fields if name in item})


def encode_page_token(last_key: Mapping[str, Any] | None) -> str | None:
    """An opaque ``NextToken`` for a page's ``LastEvaluatedKey`` (``None`` on the last page)."""
    if not last_key:
        return None
    return encode_opaque_token({name: deserialize(value) for name, value in last_key.items()})


def decode_page_token(token: str | None, expected_partition: str) -> dict[str, Any] | None:
    """Reads a ``NextToken``; a forged or foreign one is a 400, never a scan of another partition.

    Raises:
        InvalidRequestError: The token is malformed or belongs to another listing.
    """
    if not token:
        return None
    plain = decode_opaque_token(token)
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
        InvalidRequestError: DynamoDB refused the request as invalid (``ValidationException``).
        DependencyError: DynamoDB throttled, is missing the table, or failed otherwise.
    """
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code in {"ConditionalCheckFailedException", "TransactionCanceledException"}:
            raise ConflictError(message="the item already exists or was changed concurrently") from error
        if code == "ValidationException":
            # DynamoDB refused the request itself (a key or item over its limits): retrying cannot
            # help, so this is never a 503. Input checks should have caught it first; say so loudly.
            logger.error("dynamodb refused a request as invalid", extra={"operation": operation})
            raise InvalidRequestError(message="a value in the request is too large or malformed to store") from error
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
                ExpressionAttributeValues={":expected": serialize(expected_revision)},
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
                ExpressionAttributeValues={f":v{i}": serialize(v) for i, v in enumerate(values.values())},
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
        self._batch_write("delete_many", [{"DeleteRequest": {"Key": _to_dynamo(k.as_dict())}} for k in keys])

    def put_many(self, items: Sequence[tuple[ItemKey, Mapping[str, Any]]]) -> None:
        """Writes items (last writer wins) in batches of 25, retrying what DynamoDB leaves unprocessed."""
        self._batch_write(
            "put_many", [{"PutRequest": {"Item": _to_dynamo({**key.as_dict(), **values})}} for key, values in items]
        )

    def _batch_write(self, operation: str, all_requests: Sequence[Mapping[str, Any]]) -> None:
        for start in range(0, len(all_requests), _BATCH_WRITE_LIMIT):
            requests: list[Any] = list(all_requests[start : start + _BATCH_WRITE_LIMIT])
            while requests:
                with translated_errors(operation):
                    response = self._client.batch_write_item(RequestItems={self.table_name: requests})
                requests = list(response.get("UnprocessedItems", {}).get(self.table_name, []))

    def query_prefix(
        self,
        partition: str,
        sort_key_prefix: str,
        *,
        limit: int | None = None,
        start_key: Mapping[str, Any] | None = None,
        descending: bool = False,
        consistent: bool = True,
    ) -> tuple[list[dict[str, Any]], Mapping[str, Any] | None]:
        """One page of the items of a partition whose sort key starts with a prefix.

        ``consistent=False`` reads eventually consistently, at half the read units (bulk reads).

        Args:
            partition: The partition.
            sort_key_prefix: The prefix.
            limit: Items to read at most.
            start_key: The ``LastEvaluatedKey`` of the page before.
            descending: Highest sort key first (newest first, for time-ordered keys).
            consistent: Read strongly consistently.

        Returns:
            The items, and the ``LastEvaluatedKey`` to continue from (``None`` when done).
        """
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": {":pk": {"S": partition}, ":prefix": {"S": sort_key_prefix}},
            "ConsistentRead": consistent,
        }
        if limit is not None:
            request["Limit"] = limit
        if start_key:
            request["ExclusiveStartKey"] = start_key
        if descending:
            request["ScanIndexForward"] = False
        with translated_errors("query_prefix"):
            response = self._client.query(**request)
        return [_from_dynamo(item) for item in response.get("Items", [])], response.get("LastEvaluatedKey")

    def page(
        self,
        partition: str,
        sort_key_prefix: str,
        read: Callable[[dict[str, Any]], RecordT],
        *,
        limit: int,
        next_token: str | None,
    ) -> tuple[list[RecordT], str | None]:
        """One page of a listing (the items of a partition under a prefix), read from a ``NextToken``.

        Returns:
            The items as ``read`` makes them, and the ``NextToken`` of the next page (``None`` on the last).

        Raises:
            InvalidRequestError: ``next_token`` is malformed or belongs to another partition.
        """
        start_key = decode_page_token(next_token, partition)
        items, last_key = self.query_prefix(partition, sort_key_prefix, limit=limit, start_key=start_key)
        return [read(item) for item in items], encode_page_token(last_key)

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

    def get_as(self, key: ItemKey, read: Callable[[dict[str, Any]], RecordT]) -> RecordT | None:
        """The item at ``key`` as ``read`` makes it (see :meth:`get`), or ``None`` when absent."""
        item = self.get(key)
        return None if item is None else read(item)

    def transact_write(self, actions: Sequence[Mapping[str, Mapping[str, Any]]]) -> None:
        """Writes up to 100 actions all-or-nothing (``TransactWriteItems``).

        Args:
            actions: DynamoDB's own action shapes with plain Python values, e.g.
                ``{"Put": {"Item": {...}, "ConditionExpression": "...", "ExpressionAttributeNames": {...},
                "ExpressionAttributeValues": {...}}}``, ``{"Delete": {"Key": {...}}}``,
                ``{"ConditionCheck": {"Key": {...}, "ConditionExpression": "..."}}`` or ``{"Update": {...}}``.
                The table name is filled in and ``Item``, ``Key`` and ``ExpressionAttributeValues``
                are serialised here.

        Raises:
            ConflictError: A condition failed or another transaction touched the same items.
        """
        transact_items: list[Any] = []
        for action in actions:
            ((operation, request),) = action.items()
            serialised: dict[str, Any] = {**request, "TableName": self.table_name}
            for part in ("Item", "Key", "ExpressionAttributeValues"):
                if part in request:
                    serialised[part] = _to_dynamo(request[part])
            transact_items.append({operation: serialised})
        if not transact_items:
            return
        with translated_errors("transact_write"):
            self._client.transact_write_items(TransactItems=transact_items)

    def batch_get(self, keys: Sequence[ItemKey], *, consistent: bool = True) -> list[dict[str, Any]]:
        """Reads items (strongly consistently unless told otherwise), 100 keys per request, retrying
        unprocessed keys. An eventually consistent read costs half the read units.

        Returns:
            The items that exist, in no particular order.
        """
        found: list[dict[str, Any]] = []
        unique = list({(key.pk, key.sk): key for key in keys}.values())
        for start in range(0, len(unique), 100):
            pending: list[Any] = [_to_dynamo(key.as_dict()) for key in unique[start : start + 100]]
            while pending:
                with translated_errors("batch_get"):
                    response = self._client.batch_get_item(
                        RequestItems={self.table_name: {"Keys": pending, "ConsistentRead": consistent}}
                    )
                found.extend(_from_dynamo(item) for item in response.get("Responses", {}).get(self.table_name, []))
                unprocessed = response.get("UnprocessedKeys", {}).get(self.table_name)
                pending = list(unprocessed["Keys"]) if unprocessed else []
        return found

    # ---------------------------------------------------------------- added for device registration
    def put(self, key: ItemKey, attributes: Mapping[str, Any]) -> None:
        """Writes an item whatever is there (for items whose last writer wins, such as outcomes)."""
        with translated_errors("put"):
            self._client.put_item(TableName=self.table_name, Item=_to_dynamo({**key.as_dict(), **attributes}))

    def update_if(
        self,
        key: ItemKey,
        values: Mapping[str, Any],
        *,
        condition: str,
        condition_values: Mapping[str, Any],
    ) -> bool:
        """Sets attributes of an item only when a condition holds; returns whether it did.

        Args:
            key: The item.
            values: Attribute name → new value.
            condition: A condition expression; ``#pk`` names the partition key, ``#c<name>`` an
                attribute (for example ``#cuser_id = :user``), ``:<name>`` a value.
            condition_values: The ``:<name>`` values of the condition.
        """
        names = {f"#a{index}": name for index, name in enumerate(values)}
        names.update({f"#c{name}": name for name in _condition_attribute_names(condition)})
        if "#pk" in condition:
            names["#pk"] = PARTITION_KEY
        assignments = ", ".join(f"#a{index} = :v{index}" for index in range(len(values)))
        expression_values = {f":v{i}": serialize(v) for i, v in enumerate(values.values())}
        expression_values.update({name: serialize(value) for name, value in condition_values.items()})
        try:
            with translated_errors("update_if"):
                self._client.update_item(
                    TableName=self.table_name,
                    Key=_to_dynamo(key.as_dict()),
                    UpdateExpression=f"SET {assignments}",
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=expression_values,
                )
        except ConflictError:
            return False
        return True

    def delete_if(self, key: ItemKey, *, condition: str, condition_values: Mapping[str, Any]) -> bool:
        """Deletes an item only when a condition holds (``#c<name>`` / ``:<name>`` as in ``update_if``)."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": _to_dynamo(key.as_dict()),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {f"#c{name}": name for name in _condition_attribute_names(condition)},
            "ExpressionAttributeValues": {name: serialize(v) for name, v in condition_values.items()},
        }
        if not request["ExpressionAttributeNames"]:
            del request["ExpressionAttributeNames"]
        try:
            with translated_errors("delete_if"):
                self._client.delete_item(**request)
        except ConflictError:
            return False
        return True

    def put_items_at_revisions(self, writes: Sequence[tuple[ItemKey, Mapping[str, Any], int | None]]) -> None:
        """Writes several items in one transaction, each guarded by its revision.

        Args:
            writes: ``(key, attributes, expected_revision)``; ``None`` means the item must not
                exist yet, a number that the stored item still has that ``revision``.

        Raises:
            ConflictError: A guard failed; nothing was written.
        """
        self.transact_write([revision_put(key, attributes, expected) for key, attributes, expected in writes])

    def delete_at_revision(self, key: ItemKey, expected_revision: int) -> None:
        """Deletes an item only if it still has the revision the caller read.

        Raises:
            ConflictError: It changed (or vanished) since it was read.
        """
        with translated_errors("delete_at_revision"):
            self._client.delete_item(
                TableName=self.table_name,
                Key=_to_dynamo(key.as_dict()),
                ConditionExpression="#revision = :expected",
                ExpressionAttributeNames={"#revision": "revision"},
                ExpressionAttributeValues={":expected": serialize(expected_revision)},
            )

    def get_attributes(self, key: ItemKey, names: Sequence[str]) -> dict[str, Any] | None:
        """Reads only some attributes of an item (strongly consistent), or ``None`` when absent."""
        with translated_errors("get_attributes"):
            response = self._client.get_item(
                TableName=self.table_name,
                Key=_to_dynamo(key.as_dict()),
                ConsistentRead=True,
                ProjectionExpression=", ".join(f"#p{index}" for index in range(len(names))),
                ExpressionAttributeNames={f"#p{index}": name for index, name in enumerate(names)},
            )
        item = response.get("Item")
        return None if item is None else _from_dynamo(item)

    def query_partition(self, partition: str, *, consistent: bool = True) -> list[dict[str, Any]]:
        """Every item of a partition, across pages (one ``Query`` while it fits in a page); strongly
        consistent unless told otherwise (an eventually consistent read costs half the read units)."""
        request = _partition_query(self.table_name, partition)
        request["ConsistentRead"] = consistent
        return self._every_page(request, "query_partition")

    def query_partitions(
        self, partitions: Sequence[str], *, attributes: Sequence[str] = (), consistent: bool = True
    ) -> dict[str, list[dict[str, Any]]]:
        """Every item of many partitions, read together: one PartiQL ``SELECT ... WHERE pk IN [...]``
        for every 50 partitions instead of one ``Query`` each.

        The read units are those of a ``Query`` per partition; what it saves is requests, whose
        signing, sending and parsing cost a Lambda far more CPU than the items they carry.

        Args:
            partitions: The partitions.
            attributes: The attributes to return (the keys always come back); all when empty. The
                read units are the same; fewer attributes are less to parse.
            consistent: Read strongly consistently (twice the read units).

        Returns:
            Partition → its items in sort key order (``[]`` for a partition with none).
        """
        wanted = dict.fromkeys((PARTITION_KEY, SORT_KEY, *attributes)) if attributes else {}
        projection = ", ".join(f'"{name}"' for name in wanted) if wanted else "*"
        found: dict[str, list[dict[str, Any]]] = {partition: [] for partition in partitions}
        unique = list(found)
        for start in range(0, len(unique), _PARTITIONS_PER_STATEMENT):
            group = unique[start : start + _PARTITIONS_PER_STATEMENT]
            # The values travel as parameters; the table's and attributes' names are the code's own
            # (DynamoDB allows no quote in a table's name).
            placeholders = ", ".join(["?"] * len(group))
            statement = f'SELECT {projection} FROM "{self.table_name}" WHERE "{PARTITION_KEY}" IN [{placeholders}]'  # noqa: S608
            request: dict[str, Any] = {
                "Statement": statement,
                "Parameters": [{"S": partition} for partition in group],
                "ConsistentRead": consistent,
                "Limit": _STATEMENT_PAGE_ITEMS,
            }
            while True:
                with translated_errors("query_partitions"):
                    response = self._client.execute_statement(**request)
                for item in response.get("Items", []):
                    plain = _from_dynamo(item)
                    found[str(plain[PARTITION_KEY])].append(plain)
                if not response.get("NextToken"):
                    break
                request["NextToken"] = response["NextToken"]
        for items in found.values():
            items.sort(key=lambda item: str(item[SORT_KEY]))
        return found

    # ---------------------------------------------------------------- added for sends and delivery
    def update_expression(
        self,
        key: ItemKey,
        update: str,
        *,
        names: Mapping[str, str],
        values: Mapping[str, Any],
        condition: str | None = None,
    ) -> bool:
        """Runs one ``UpdateItem`` with a caller-written expression; returns whether it applied.

        For counters (``ADD``, ``SET #m.#k = if_not_exists(#m.#k, :zero) + :n``) and conditional
        state changes that ``update_if`` cannot express.

        Args:
            key: The item.
            update: The ``UpdateExpression``.
            names: ``ExpressionAttributeNames``.
            values: ``ExpressionAttributeValues`` as plain Python values.
            condition: A ``ConditionExpression``, if any; when it fails nothing is written.
        """
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": _to_dynamo(key.as_dict()),
            "UpdateExpression": update,
        }
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        if values:
            request["ExpressionAttributeValues"] = {name: serialize(v) for name, v in values.items()}
        if condition is not None:
            request["ConditionExpression"] = condition
        try:
            with translated_errors("update_expression"):
                self._client.update_item(**request)
        except ConflictError:
            return False
        return True

    def query_from(
        self, partition: str, sort_key_prefix: str, from_sort_key: str | None, *, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of a partition's items under a prefix, starting at a sort key (inclusive).

        Returns:
            The items in sort-key order, and whether more may follow.
        """
        start = from_sort_key if from_sort_key and from_sort_key.startswith(sort_key_prefix) else sort_key_prefix
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :from AND :to",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": {
                ":pk": {"S": partition},
                ":from": {"S": start},
                ":to": {"S": sort_key_prefix + "\uffff"},
            },
            "ConsistentRead": True,
            "Limit": limit,
        }
        with translated_errors("query_from"):
            response = self._client.query(**request)
        return [_from_dynamo(item) for item in response.get("Items", [])], bool(response.get("LastEvaluatedKey"))

    # ---------------------------------------------------------------- added for the token cleanup
    def query_gsi1_below(
        self,
        partition: str,
        below: str,
        *,
        limit: int,
        start_key: Mapping[str, Any] | None = None,
        equal_to: Mapping[str, str] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of ``GSI1`` items of a partition whose ``gsi1sk`` sorts below a bound, in order.

        The index is eventually consistent: callers write with conditions on what they read.

        Args:
            partition: The ``gsi1pk``.
            below: Items with ``gsi1sk < below`` are returned.
            limit: Items read per page (before ``equal_to`` filters).
            start_key: A plain ``LastEvaluatedKey`` (as this method returns it) to continue from.
            equal_to: Attribute name to value filters (a ``FilterExpression``; read units are spent anyway).

        Returns:
            The items, and the plain ``LastEvaluatedKey`` to continue from (``None`` when done).
        """
        request = _index_query(self.table_name, GSI1_NAME, GSI1_PARTITION_KEY, partition, equal_to)
        request["KeyConditionExpression"] += " AND #sk < :below"
        request["ExpressionAttributeNames"]["#sk"] = GSI1_SORT_KEY
        request["ExpressionAttributeValues"][":below"] = {"S": below}
        request["Limit"] = limit
        if start_key:
            request["ExclusiveStartKey"] = _to_dynamo(start_key)
        with translated_errors("query_gsi1_below"):
            response = self._client.query(**request)
        last_key = response.get("LastEvaluatedKey")
        items = [_from_dynamo(item) for item in response.get("Items", [])]
        return items, (_from_dynamo(last_key) if last_key else None)

    # ---------------------------------------------------------------- added for interactions and insights
    def query_between(self, partition: str, low: str, high: str) -> list[dict[str, Any]]:
        """Every item of a partition whose sort key is between two bounds (inclusive), across pages."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": {":pk": {"S": partition}, ":low": {"S": low}, ":high": {"S": high}},
            "ConsistentRead": True,
        }
        return self._every_page(request, "query_between")

    def query_after(
        self, partition: str, after: str | None, *, limit: int, on_gsi1: bool = False
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of a partition's items whose sort key sorts after a bound (or from the start), in order.

        Args:
            partition: The ``pk`` (or the ``gsi1pk`` when ``on_gsi1``).
            after: Only items with a greater sort key (``sk``, or ``gsi1sk``); ``None`` for all.
            limit: Items read at most.
            on_gsi1: Query ``GSI1`` (eventually consistent) instead of the table.

        Returns:
            The items, and whether more may follow.
        """
        partition_name, sort_name = (GSI1_PARTITION_KEY, GSI1_SORT_KEY) if on_gsi1 else (PARTITION_KEY, SORT_KEY)
        condition = "#pk = :pk" + (" AND #sk > :after" if after is not None else "")
        values: dict[str, Any] = {":pk": {"S": partition}}
        names = {"#pk": partition_name}
        if after is not None:
            values[":after"] = {"S": after}
            names["#sk"] = sort_name
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "Limit": limit,
        }
        if on_gsi1:
            request["IndexName"] = GSI1_NAME
        else:
            request["ConsistentRead"] = True
        with translated_errors("query_after"):
            response = self._client.query(**request)
        return [_from_dynamo(item) for item in response.get("Items", [])], bool(response.get("LastEvaluatedKey"))

    def put_if(
        self, key: ItemKey, attributes: Mapping[str, Any], *, condition: str, names: Mapping[str, str],
        values: Mapping[str, Any],
    ) -> bool:  # fmt: skip
        """Writes an item if a condition on the stored one holds; returns whether it did."""
        try:
            with translated_errors("put_if"):
                self._client.put_item(
                    TableName=self.table_name,
                    Item=_to_dynamo({**key.as_dict(), **attributes}),
                    ConditionExpression=condition,
                    ExpressionAttributeNames=dict(names),
                    ExpressionAttributeValues=_to_dynamo(values),
                )
        except ConflictError:
            return False
        return True

    # ---------------------------------------------------------------- added for broadcasts
    def query_index_page(
        self,
        index_name: str,
        partition_attribute: str,
        partition: str,
        *,
        limit: int,
        start_key: Mapping[str, Any] | None,
        equals: Mapping[str, str] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of an index partition (eventually consistent, as every GSI read is).

        Args:
            index_name: The index.
            partition_attribute: Its partition key attribute.
            partition: The partition.
            limit: Items DynamoDB reads for the page (before ``equals`` filters them), in as many
                ``Query`` calls as its 1 MB a call takes.
            start_key: The ``LastEvaluatedKey`` of the page before, in DynamoDB's attribute format.
            equals: Attribute → value the returned items must have (a filter: read units count
                every item read).

        Returns:
            The items, and the key to continue from (``None`` after the last page).
        """
        request = _index_query(self.table_name, index_name, partition_attribute, partition, equals)
        items: list[dict[str, Any]] = []
        last: Mapping[str, Any] | None = start_key
        read = 0
        # A Query stops at 1 MB read; the page goes on from there, so it holds ``limit`` items
        # whatever their size (the read units are the same as the two Queries' pages would be).
        while True:
            if last:
                request["ExclusiveStartKey"] = dict(last)
            request["Limit"] = limit - read
            with translated_errors("query_index_page"):
                response = self._client.query(**request)
            items.extend(_from_dynamo(item) for item in response.get("Items", []))
            read += int(response.get("ScannedCount", 0))
            last = response.get("LastEvaluatedKey")
            if not last or read >= limit:
                return items, (dict(last) if last else None)

    def query_index_range(
        self,
        index_name: str,
        partition: tuple[str, str],
        sort_range: tuple[str, str, str],
        *,
        equals: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]] | None:
        """Every entry of an index partition whose sort key lies in a range (both ends included),
        across pages (eventually consistent, as every GSI read is).

        Args:
            index_name: The index.
            partition: Its partition key attribute and the partition.
            sort_range: Its sort key attribute, the lowest and the highest value.
            equals: Attribute → value the returned items must have (a filter: read units count
                every item read).

        Returns:
            The entries in sort key order; ``None`` when the index cannot be read yet (DynamoDB is
            still building it after a stack update added it, or the table predates it).
        """
        sort_attribute, low, high = sort_range
        request = _index_query(self.table_name, index_name, *partition, equals)
        request["KeyConditionExpression"] += " AND #sk BETWEEN :low AND :high"
        request["ExpressionAttributeNames"]["#sk"] = sort_attribute
        request["ExpressionAttributeValues"].update({":low": {"S": low}, ":high": {"S": high}})
        try:
            return self._every_page(request, "query_index_range")
        except _IndexUnreadableError:
            return None

    def _every_page(self, request: dict[str, Any], operation: str) -> list[dict[str, Any]]:
        """The items of a ``Query`` across its pages.

        Raises:
            _IndexUnreadableError: The request names an index DynamoDB is still building, or that
                the table does not have.
        """
        items: list[dict[str, Any]] = []
        while True:
            with translated_errors(operation):
                try:
                    response = self._client.query(**request)
                except ClientError as error:
                    if "IndexName" in request and _index_unreadable(error, request["IndexName"]):
                        raise _IndexUnreadableError from error
                    raise
            items.extend(_from_dynamo(item) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            request["ExclusiveStartKey"] = last


class _IndexUnreadableError(Exception):
    """A read of an index DynamoDB cannot answer yet (kept apart from the refusals of bad requests)."""


def _index_query(
    table_name: str, index_name: str, partition_attribute: str, partition: str, equals: Mapping[str, str] | None
) -> dict[str, Any]:
    """A ``Query`` request of one index partition, filtered to entries with the ``equals`` values."""
    request: dict[str, Any] = {
        "TableName": table_name,
        "IndexName": index_name,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": partition_attribute},
        "ExpressionAttributeValues": {":pk": {"S": partition}},
    }
    if equals:
        _filter_equal(request, equals)
    return request


def _filter_equal(request: dict[str, Any], equals: Mapping[str, str]) -> None:
    """Adds a ``FilterExpression`` keeping the items with these attribute values to a ``Query`` request
    (its ``ExpressionAttributeNames`` and ``ExpressionAttributeValues`` set already)."""
    clauses = []
    for index, (name, value) in enumerate(sorted(equals.items())):
        request["ExpressionAttributeNames"][f"#f{index}"] = name
        request["ExpressionAttributeValues"][f":f{index}"] = {"S": value}
        clauses.append(f"#f{index} = :f{index}")
    request["FilterExpression"] = " AND ".join(clauses)


def _index_unreadable(error: ClientError, index_name: str) -> bool:
    """Whether DynamoDB refused a read of an index because it is being built or does not exist."""
    if error.response.get("Error", {}).get("Code") not in {"ValidationException", "ResourceNotFoundException"}:
        return False
    message = str(error.response.get("Error", {}).get("Message", ""))
    # "Cannot read from backfilling global secondary index: GSI4" while DynamoDB builds it;
    # "The table does not have the specified index: GSI4" on a table without it.
    return "backfilling" in message or ("specified index" in message and index_name in message)


#: The partition key values one PartiQL ``IN`` may name.
_PARTITIONS_PER_STATEMENT = 50
#: AWS answers an ``IN`` over partition keys in pages of at most 10 items. Asking for that page size
#: makes DynamoDB Local page the same way, so a local run makes (and the bench meters) AWS's requests.
_STATEMENT_PAGE_ITEMS = 10


_CONDITION_NAME = re.compile(r"#c([A-Za-z_][A-Za-z0-9_]*)")


class TableAdapter:
    """An adapter over the main table, which it reads and writes through ``self._table``."""

    def __init__(self, table: MainTable) -> None:
        """Binds the adapter to the main table."""
        self._table = table


def _condition_attribute_names(condition: str) -> set[str]:
    return set(_CONDITION_NAME.findall(condition))


def _partition_query(table_name: str, partition: str) -> dict[str, Any]:
    return {
        "TableName": table_name,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
        "ExpressionAttributeValues": {":pk": {"S": partition}},
        "ConsistentRead": True,
    }
