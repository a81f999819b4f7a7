"""Provider credentials in AWS Secrets Manager."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

from pushgate.errors import DependencyError
from pushgate.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient


class SecretsManagerStore:
    """The Secrets Manager adapter of ``SecretStore``. Secret values never reach a log line."""

    def __init__(self, client: SecretsManagerClient, recovery_window_days: int = 7) -> None:
        """Wraps a client.

        Args:
            client: A boto3 Secrets Manager client.
            recovery_window_days: How long a deleted secret can still be restored (7 to 30).
        """
        self._client = client
        self._provider = SecretsProvider(boto3_client=client)
        self._recovery_window_days = recovery_window_days

    def create(self, name: str, secret_string: str) -> str:
        """Stores a new secret and returns its ARN."""
        try:
            return self._client.create_secret(Name=name, SecretString=secret_string)["ARN"]
        except (ClientError, BotoCoreError) as error:
            logger.exception("secrets manager create failed", extra={"secret_name": name})
            raise DependencyError(message="the secret store is unavailable; retry later") from error

    def read(self, secret_id: str, *, max_age_seconds: int = 0) -> str:
        """The secret's value, from Powertools' cache when it is younger than ``max_age_seconds``.

        Secrets are written once under a fresh name per save, so a cached value is never stale:
        a credential change gives the app a new secret id.
        """
        try:
            value = self._provider.get(secret_id, max_age=max_age_seconds, force_fetch=max_age_seconds == 0)
        except GetParameterError as error:
            logger.exception("secrets manager read failed", extra={"secret_id": secret_id})
            raise DependencyError(message="the secret store is unavailable; retry later") from error
        return str(value)

    def delete(self, secret_id: str) -> None:
        """Schedules the secret for deletion; one that is already gone is fine."""
        try:
            self._client.delete_secret(SecretId=secret_id, RecoveryWindowInDays=self._recovery_window_days)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return
            logger.exception("secrets manager delete failed", extra={"secret_id": secret_id})
            raise DependencyError(message="the secret store is unavailable; retry later") from error
