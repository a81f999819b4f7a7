"""Writes a population (people and their registered devices) straight into the main table.

The items are the ones the directory and a registration store (``stored_person_items``,
``stored_device_items``), written with ``BatchWriteItem``: on DynamoDB Local thousands of them a
second, where the repositories' path (a read and a conditional transaction per person and per
device) manages a few hundred. For benchmarks and tests whose subject comes after the population,
not its registration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pushgate.adapters.dynamodb.devices import stored_device_items
from pushgate.adapters.dynamodb.directory import stored_person_items
from pushgate.adapters.dynamodb.keys import PARTITION_KEY, SORT_KEY, ItemKey
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.adapters.dynamodb.token_policies import CachedTokenPolicies, DynamoTokenPolicyRepository, TokenPolicies
from pushgate.models.device import Device
from pushgate.models.directory import Person

#: Items per ``put_many`` call of one thread (20 ``BatchWriteItem`` requests).
_CHUNK = 500


def population_items(
    population: Iterable[tuple[Person | None, Sequence[Device]]], policies: TokenPolicies
) -> list[tuple[ItemKey, dict[str, Any]]]:
    """The stored items of each person (``None``: devices of no directory record) and their devices."""
    items: list[tuple[ItemKey, dict[str, Any]]] = []
    for person, devices in population:
        stored = stored_person_items(person) if person is not None else []
        for device in devices:
            stored.extend(stored_device_items(device, policies, person))
        for item in stored:
            attributes = {name: value for name, value in item.items() if name not in {PARTITION_KEY, SORT_KEY}}
            items.append((ItemKey(item[PARTITION_KEY], item[SORT_KEY]), attributes))
    return items


def write_population(
    table: MainTable,
    population: Iterable[tuple[Person | None, Sequence[Device]]],
    *,
    policies: TokenPolicies | None = None,
    parallelism: int = 4,
) -> int:
    """Writes the population's items (last writer wins) from ``parallelism`` threads; returns how many.

    ``policies`` default to the apps' stored token policies, as a registration reads them.
    """
    items = population_items(population, policies or CachedTokenPolicies(DynamoTokenPolicyRepository(table)))
    chunks = [items[start : start + _CHUNK] for start in range(0, len(items), _CHUNK)]
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        list(pool.map(table.put_many, chunks))
    return len(items)
