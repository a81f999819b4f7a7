"""The Secrets Manager adapter against moto server: reads, the per-environment cache, failures."""

from __future__ import annotations

import uuid

import pytest

from pushgate import deps
from pushgate.adapters.secrets_manager import SecretsManagerStore
from pushgate.errors import DependencyError
from tests.fakes.clocks import FixedClock


@pytest.fixture
def store_and_clock(aws_env: object) -> tuple[SecretsManagerStore, FixedClock]:
    clock = FixedClock(1_000.0)
    return SecretsManagerStore(deps.secretsmanager_client(), clock=clock), clock


def test_a_created_secret_reads_back(store_and_clock: tuple[SecretsManagerStore, FixedClock]) -> None:
    store, _ = store_and_clock
    name = f"pushgate-test/{uuid.uuid4().hex}"

    arn = store.create(name, '{"SigningKey": "k"}')

    assert store.read(arn) == '{"SigningKey": "k"}'
    assert store.read(name) == '{"SigningKey": "k"}'


def test_reads_with_a_max_age_are_served_from_the_cache_until_it_passes(
    store_and_clock: tuple[SecretsManagerStore, FixedClock],
) -> None:
    store, clock = store_and_clock
    client = deps.secretsmanager_client()
    arn = store.create(f"pushgate-test/{uuid.uuid4().hex}", "first")
    assert store.read(arn, max_age_seconds=300) == "first"
    client.put_secret_value(SecretId=arn, SecretString="second")

    clock.now += 299
    assert store.read(arn, max_age_seconds=300) == "first"
    assert store.read(arn) == "second", "a read without a max age always asks Secrets Manager"
    clock.now += 301
    client.put_secret_value(SecretId=arn, SecretString="third")
    assert store.read(arn, max_age_seconds=300) == "third"


def test_a_missing_secret_is_a_dependency_error_without_its_value(
    store_and_clock: tuple[SecretsManagerStore, FixedClock],
) -> None:
    store, _ = store_and_clock

    with pytest.raises(DependencyError, match="retry later"):
        store.read(f"pushgate-test/{uuid.uuid4().hex}")


def test_deleting_twice_is_fine(store_and_clock: tuple[SecretsManagerStore, FixedClock]) -> None:
    store, _ = store_and_clock
    arn = store.create(f"pushgate-test/{uuid.uuid4().hex}", "value")

    store.delete(arn)
    store.delete(f"pushgate-test/{uuid.uuid4().hex}")

    with pytest.raises(DependencyError):
        store.read(arn)
