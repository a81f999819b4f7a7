"""The secrets cache (``pushgate.runtime.secrets_cache``) against the library it replaces, Powertools'
``SecretsProvider``, both reading the same secrets from moto server."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import GetParameterError, SecretsProvider
from botocore.exceptions import ClientError

from pushgate import deps
from pushgate.runtime.secrets_cache import SecretsCache
from tests.fakes.clocks import FixedClock

SECRETS: dict[str, dict[str, Any]] = {
    "text": {"SecretString": "a plain value"},
    "json": {"SecretString": '{"KeyId": "ABC123DEFG", "TeamId": "DEF123GHIJ", "SigningKey": "-----BEGIN"}'},
    "unicode": {"SecretString": "clé → ☃"},
    "binary": {"SecretBinary": "clé binaire".encode()},
}


@pytest.fixture
def secrets(aws_env: object) -> dict[str, str]:
    """The ARN of each secret of ``SECRETS``, created in moto."""
    client = deps.secretsmanager_client()
    return {
        kind: client.create_secret(Name=f"pushgate-parity/{kind}/{uuid.uuid4().hex}", **value)["ARN"]  # type: ignore[arg-type]
        for kind, value in SECRETS.items()
    }


@pytest.fixture
def powertools(aws_env: object) -> SecretsProvider:
    return SecretsProvider(boto3_client=boto3.client("secretsmanager"))


def _as_text(value: str | bytes | dict[str, Any] | None) -> str:
    # Powertools gives a binary secret as bytes; the cache decodes it (UTF-8), as the adapter always did.
    return value.decode() if isinstance(value, bytes) else str(value)


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_both_read_the_same_value(
    kind: str, secrets: dict[str, str], powertools: SecretsProvider, aws_env: object
) -> None:
    cache = SecretsCache(deps.secretsmanager_client())

    expected = _as_text(powertools.get(secrets[kind], max_age=300))

    assert cache.get(secrets[kind], max_age_seconds=300) == expected
    assert expected == _as_text(SECRETS[kind].get("SecretString", SECRETS[kind].get("SecretBinary")))


def test_both_keep_a_value_within_max_age_and_read_again_once_it_passed(
    secrets: dict[str, str], powertools: SecretsProvider
) -> None:
    client = deps.secretsmanager_client()
    clock = FixedClock(1_000.0)
    cache = SecretsCache(client, clock=clock)
    arn = secrets["text"]
    assert powertools.get(arn, max_age=1) == cache.get(arn, max_age_seconds=1) == "a plain value"

    # When the secret changes within max_age, both still answer what they read
    client.put_secret_value(SecretId=arn, SecretString="changed")
    assert powertools.get(arn, max_age=1) == cache.get(arn, max_age_seconds=1) == "a plain value"

    # Then once max_age passed (Powertools reads the wall clock; the cache's clock is moved), both read again
    time.sleep(1.05)
    clock.now += 1.05
    assert powertools.get(arn, max_age=1) == cache.get(arn, max_age_seconds=1) == "changed"


def test_neither_caches_a_failed_read(secrets: dict[str, str], powertools: SecretsProvider) -> None:
    client = deps.secretsmanager_client()
    cache = SecretsCache(client)
    name = f"pushgate-parity/late/{uuid.uuid4().hex}"
    reads: list[tuple[Callable[[], Any], type[Exception]]] = [
        (lambda: powertools.get(name, max_age=300), GetParameterError),
        (lambda: cache.get(name, max_age_seconds=300), ClientError),
    ]
    for read, error in reads:
        with pytest.raises(error, match="ResourceNotFoundException"):
            read()

    client.create_secret(Name=name, SecretString="arrived")

    assert powertools.get(name, max_age=300) == cache.get(name, max_age_seconds=300) == "arrived"
