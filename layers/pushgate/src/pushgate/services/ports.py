"""Ports several capabilities share: the org, app and access-token stores (owned by ``apps``, read by
every capability), the secret store and ``Pingable``; adapters live in ``pushgate.adapters``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    # Types only: importing the app model pulls in the credential parsers (cryptography), which an
    # org lookup has no use for at cold start.
    from datetime import datetime

    from pushgate.models.mobile_app import ApiToken, MobileApp
    from pushgate.models.org import Org


class OrgRepository(Protocol):
    """Stores and finds orgs."""

    def create(self, org: Org) -> None:
        """Stores a new org.

        Raises:
            ConflictError: An org with this id already exists.
        """

    def get(self, org_id: str) -> Org | None:
        """Finds an org by id, or ``None``."""

    def list_page(self, *, limit: int, next_token: str | None) -> tuple[list[Org], str | None]:
        """One page of every org (oldest first) and the token of the next page.

        Raises:
            InvalidRequestError: ``next_token`` is not one this listing returned.
        """


class MobileAppRepository(Protocol):
    """Stores mobile app configurations."""

    def create(self, app: MobileApp) -> None:
        """Stores a new configuration."""

    def get(self, org_id: str, app_id: str) -> MobileApp | None:
        """Finds a configuration of an org, or ``None``."""

    def list_page(self, org_id: str, *, limit: int, next_token: str | None) -> tuple[list[MobileApp], str | None]:
        """One page of an org's configurations and the token of the next page."""

    def replace(self, app: MobileApp, *, expected_revision: int) -> None:
        """Overwrites a configuration that still has the revision the caller read.

        Raises:
            ConflictError: It changed in between.
        """

    def delete(self, org_id: str, app_id: str) -> None:
        """Deletes a configuration and its access tokens."""


class ApiTokenRepository(Protocol):
    """Stores access tokens (hashes only)."""

    def create(self, token: ApiToken) -> None:
        """Stores a new token."""

    def get(self, org_id: str, app_id: str, token_id: str) -> ApiToken | None:
        """Finds a token by its id, or ``None`` (also when revoked)."""

    def find_in_org(self, org_id: str, token_id: str) -> ApiToken | None:
        """Finds a token by its id among every app of the org, or ``None``."""

    def list_for_app(self, org_id: str, app_id: str) -> list[ApiToken]:
        """Every live token of an app, oldest first."""

    def delete(self, org_id: str, app_id: str, token_id: str) -> bool:
        """Revokes a token; returns whether it existed."""

    def touch(self, token: ApiToken, used_at: datetime) -> None:
        """Records when the token was last used."""


class SecretStore(Protocol):
    """Keeps provider credentials (Secrets Manager in AWS, moto locally)."""

    def create(self, name: str, secret_string: str) -> str:
        """Stores a new secret under a name; returns its id (ARN)."""

    def read(self, secret_id: str, *, max_age_seconds: int = 0) -> str:
        """The secret's value (cached up to ``max_age_seconds``)."""

    def delete(self, secret_id: str) -> None:
        """Deletes a secret (missing is fine)."""


class Pingable(Protocol):
    """A dependency that can be asked whether it answers."""

    def ping(self) -> None:
        """Returns when the dependency answers; raises ``DependencyError`` otherwise."""
