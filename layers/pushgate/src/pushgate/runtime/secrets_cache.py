"""Secrets Manager values cached per execution environment: Powertools' ``SecretsProvider``, cut to one read.

**Replaces** ``aws_lambda_powertools.utilities.parameters.SecretsProvider.get(name, max_age=...)``:
a ``GetSecretValue`` whose answer is kept for ``max_age`` seconds. Only that is kept: no transforms,
no ``force_fetch``, no ``POWERTOOLS_PARAMETERS_MAX_AGE`` default (a read without a max age always
asks Secrets Manager, where Powertools would cache for 5 s), a binary secret comes back decoded as
UTF-8 (Powertools gives bytes), and the SDK's own errors reach the caller (Powertools wraps them in
``GetParameterError``): the adapter (``pushgate.adapters.secrets_manager``) maps them to
``DependencyError``. Secrets are written once under a fresh name per save, so a cached value is
never stale: a credential change gives the app a new secret id.

**Saves** the import of ``aws_lambda_powertools.utilities.parameters``, which imports boto3 (its
providers build boto3 clients) and, through its AppConfig provider, s3transfer: 88 ms against
0.4 ms for this module, with botocore and Powertools' Logger already loaded, on the delivery
worker's path to its first notification (median of 15 fresh processes, ``python -m bench.forks``,
on a 2-core machine under load: compare the two, not the absolute numbers; the run is in
docs/decisions.md).

**Parity test**: ``tests/integration/test_secrets_cache_parity.py`` reads the same secrets (text,
JSON, binary) through ``SecretsProvider`` and through this cache against moto: the same values, the
same cached answer within ``max_age`` after the secret changed, a fresh one once it passed, and
neither caches a failed read.

**Can go** when the functions that read secrets load boto3 anyway (the layer's import budget,
``tests/unit/test_import_boundaries.py``, forbids boto3 today), or when Powertools' parameters
module imports boto3 only when a provider is first built.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient


class SecretsCache:
    """``GetSecretValue`` answers kept per secret id with the moment they were read."""

    def __init__(self, client: SecretsManagerClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        """Wraps a client.

        Args:
            client: A botocore Secrets Manager client.
            clock: Seconds on a monotonic scale, for the cache's ages.
        """
        self._client = client
        self._clock = clock
        self._values: dict[str, tuple[str, float]] = {}

    def get(self, secret_id: str, *, max_age_seconds: int = 0) -> str:
        """The secret's value, cached when it was read less than ``max_age_seconds`` ago.

        Raises:
            botocore.exceptions.ClientError: Secrets Manager refused the read (a failure is never cached).
            botocore.exceptions.BotoCoreError: Secrets Manager could not be reached.
        """
        now = self._clock()
        cached = self._values.get(secret_id)
        if cached is not None and now - cached[1] < max_age_seconds:
            return cached[0]
        answer = self._client.get_secret_value(SecretId=secret_id)
        value = answer["SecretString"] if "SecretString" in answer else answer["SecretBinary"].decode()
        self._values[secret_id] = (value, now)
        return value
