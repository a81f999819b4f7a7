"""The items of DynamoDB's bulk reads, taken from the response's JSON without botocore's shape walk.

**Replaces** botocore's parse of the item lists of ``Query``, ``Scan`` and ``ExecuteStatement``
(``Items``) and of ``BatchGetItem`` (``Responses``). botocore's JSON parser walks the output shape
for every attribute value of every item (``_handle_structure`` and ``_parse_shape`` per value,
after it has loaded the JSON): for a device item of 14 attributes that is about ten times what
loading the JSON costs, and the bulk reads of a send (a broadcast's index pages, a per-recipient
send's device partitions, a segment's people) read tens of thousands of items. A
``before-parse`` handler loads the body, takes the item list out of it, gives each binary value the
form botocore gives (``bytes``, base64-decoded; nothing else differs: strings and numbers stay the
JSON's strings, ``BOOL`` and ``NULL`` its booleans) and hands the list back through the
``customized_response_dict`` botocore merges into its result. botocore parses the rest of the body
(keys, tokens, consumed capacity) and every error answer as before.

**Saves** CPU on every item a bulk read returns: 568 µs against 98 µs for an answer of 10 device
items of 14 attributes (``python -m bench.forks``, median of 15 fresh processes, each parsing such an
answer 100 times, on the 2-core development machine; the run is in docs/decisions.md, "Less
botocore work a request").

**Parity test**: ``tests/unit/test_dynamodb_items.py`` parses answers of each operation, with every
attribute type nested in maps and lists, binary values, unprocessed keys, paging keys and consumed
capacity, both with botocore alone and with this handler, and compares the results; errors and the
operations it leaves alone parse as botocore parses them. The integration suites read DynamoDB
Local through it.

**Can go** when botocore's parser no longer walks the shape of every attribute value.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.model import OperationModel

#: The member of each bulk read's answer that holds its items.
ITEM_MEMBERS = {"Query": "Items", "Scan": "Items", "ExecuteStatement": "Items", "BatchGetItem": "Responses"}
#: The JSON keys of the binary types, the only values whose parsed form differs from the JSON's.
_BINARY_MARKERS = (b'"B"', b'"BS"')


def _parsed_value(value: dict[str, Any]) -> dict[str, Any]:
    """One attribute value in the form botocore parses it into."""
    kind, inner = next(iter(value.items()))
    if kind == "M":
        return {"M": {name: _parsed_value(nested) for name, nested in inner.items()}}
    if kind == "L":
        return {"L": [_parsed_value(nested) for nested in inner]}
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(member) for member in inner]}
    return value


def _parsed_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: _parsed_value(value) for name, value in item.items()} for item in items]


def take_items(
    operation_model: OperationModel, response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    """botocore's ``before-parse`` event: moves a bulk read's items from the body to the result."""
    member = ITEM_MEMBERS.get(operation_model.name)
    body = response_dict.get("body")
    if member is None or response_dict.get("status_code", 500) >= 300 or not body:
        return
    answer = json.loads(body)
    items = answer.pop(member, None)
    if items is None:
        return
    if any(marker in body for marker in _BINARY_MARKERS):
        items = (
            {table: _parsed_items(table_items) for table, table_items in items.items()}
            if member == "Responses"
            else _parsed_items(items)
        )
    customized_response_dict[member] = items
    response_dict["body"] = json.dumps(answer).encode()


def install(client: BaseClient) -> None:
    """Lets ``client`` (a DynamoDB client) read its bulk reads' items this way."""
    client.meta.events.register("before-parse.dynamodb", take_items, unique_id="pushgate-dynamodb-items")
