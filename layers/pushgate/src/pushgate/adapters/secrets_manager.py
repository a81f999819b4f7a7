"""Provider credentials in AWS Secrets Manager.

Reads go through :class:`pushgate.runtime.secrets_cache.SecretsCache` (a small per-environment
cache over the botocore client), not Powertools' ``SecretsProvider``: that module says why and what
it saves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from pushgate.errors import DependencyError
from pushgate.observability import logger
from pushgate.runtime.secrets_cache import SecretsCache

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient


class SecretsManagerStore:
    """The Secrets Manager adapter of ``SecretStore``. Secret values never reach a log line."""

    def __init__(
        self,
        client: SecretsManagerClient,
        recovery_window_days: int = 7,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Wraps a client.

        Args:
            client: A botocore Secrets Manager client.
            recovery_window_days: How long a deleted secret can still be restored (7 to 30).
            clock: Seconds on a monotonic scale, for the cache's ages.
        """
        self._client = client
        self._recovery_window_days = recovery_window_days
        self._cache = SecretsCache(client, clock=clock)

    def create(self, name: str, secret_string: str) -> str:
        """Stores a new secret and returns its ARN."""
        try:
            return self._client.create_secret(Name=name, SecretString=secret_string)["ARN"]
        except (ClientError, BotoCoreError) as error:
            logger.exception("secrets manager create failed", extra={"secret_name": name})
            raise DependencyError(message="the secret store is unavailable; retry later") from error

    def read(self, secret_id: str, *, max_age_seconds: int = 0) -> str:
        """The secret's value, from this environment's cache when it is younger than ``max_age_seconds``."""
        try:
            return self._cache.get(secret_id, max_age_seconds=max_age_seconds)
        except (ClientError, BotoCoreError) as error:
            logger.exception("secrets manager read failed", extra={"secret_id": secret_id})
            raise DependencyError(message="the secret store is unavailable; retry later") from error

    def delete(self, secret_id: str) -> None:
        """Schedules the secret for deletion; one that is already gone is fine."""
        try:
            self._client.delete_secret(SecretId=secret_id, RecoveryWindowInDays=self._recovery_window_days)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return
            logger.exception("secrets manager delete failed", extra={"secret_id": secret_id})
            raise DependencyError(message="the secret store is unavailable; retry later") from error
