"""Mobile app configurations and their access tokens in the main table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pushgate.adapters.dynamodb.keys import (
    APP_PREFIX,
    APP_TOKEN_PREFIX,
    SORT_KEY,
    api_token_key,
    api_tokens_prefix,
    mobile_app_key,
    org_partition,
)
from pushgate.adapters.dynamodb.table import TableAdapter
from pushgate.models.mobile_app import ApiToken, MobileApp

_APP_FIELDS = (
    "org_id",
    "app_id",
    "name",
    "description",
    "ios",
    "android",
    "created_at",
    "updated_at",
    "revision",
    "user_resolve_enabled",
)


def _app_item(app: MobileApp) -> dict[str, Any]:
    return {"type": "MobileApp", **app.model_dump(mode="json", include=set(_APP_FIELDS))}


def _app_from_item(item: dict[str, Any]) -> MobileApp:
    return MobileApp.model_validate({name: item[name] for name in _APP_FIELDS if name in item})


class DynamoMobileAppRepository(TableAdapter):
    """The DynamoDB adapter of ``MobileAppRepository``."""

    def create(self, app: MobileApp) -> None:
        """Stores a new configuration."""
        self._table.put_new(mobile_app_key(app.org_id, app.app_id), _app_item(app))

    def get(self, org_id: str, app_id: str) -> MobileApp | None:
        """Finds a configuration of an org."""
        return self._table.get_as(mobile_app_key(org_id, app_id), _app_from_item)

    def list_page(self, org_id: str, *, limit: int, next_token: str | None) -> tuple[list[MobileApp], str | None]:
        """One page of an org's configurations, in id order."""
        return self._table.page(org_partition(org_id), APP_PREFIX, _app_from_item, limit=limit, next_token=next_token)

    def replace(self, app: MobileApp, *, expected_revision: int) -> None:
        """Overwrites a configuration still at ``expected_revision``."""
        self._table.replace_revision(mobile_app_key(app.org_id, app.app_id), _app_item(app), expected_revision)

    def delete(self, org_id: str, app_id: str) -> None:
        """Deletes the configuration and then its tokens, so no token outlives its app."""
        self._table.delete(mobile_app_key(org_id, app_id))
        tokens = self._table.query_all(org_partition(org_id), api_tokens_prefix(app_id))
        self._table.delete_many([api_token_key(org_id, app_id, t["token_id"]) for t in tokens])


_TOKEN_FIELDS = ("org_id", "app_id", "token_id", "label", "token_sha256", "created_at", "last_used_at")


def _token_from_item(item: dict[str, Any]) -> ApiToken:
    return ApiToken.model_validate({name: item.get(name) for name in _TOKEN_FIELDS})


class DynamoApiTokenRepository(TableAdapter):
    """The DynamoDB adapter of ``ApiTokenRepository``."""

    def create(self, token: ApiToken) -> None:
        """Stores a new token (its hash)."""
        self._table.put_new(
            api_token_key(token.org_id, token.app_id, token.token_id),
            {"type": "ApiToken", **token.model_dump(mode="json")},
        )

    def get(self, org_id: str, app_id: str, token_id: str) -> ApiToken | None:
        """Finds a live token."""
        return self._table.get_as(api_token_key(org_id, app_id, token_id), _token_from_item)

    def find_in_org(self, org_id: str, token_id: str) -> ApiToken | None:
        """One ``Query`` of the org's token items (a handful per app), matched on the id."""
        for item in self._table.query_all(org_partition(org_id), APP_TOKEN_PREFIX):
            if str(item[SORT_KEY]).endswith(f"#{token_id}"):
                return _token_from_item(item)
        return None

    def list_for_app(self, org_id: str, app_id: str) -> list[ApiToken]:
        """Every live token of an app, oldest first."""
        tokens = [
            _token_from_item(item) for item in self._table.query_all(org_partition(org_id), api_tokens_prefix(app_id))
        ]
        return sorted(tokens, key=lambda token: token.created_at)

    def delete(self, org_id: str, app_id: str, token_id: str) -> bool:
        """Revokes a token."""
        return self._table.delete(api_token_key(org_id, app_id, token_id))

    def touch(self, token: ApiToken, used_at: datetime) -> None:
        """Records the last use."""
        self._table.set_attributes(
            api_token_key(token.org_id, token.app_id, token.token_id), {"last_used_at": used_at.isoformat()}
        )
