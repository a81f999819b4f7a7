"""Key builders: the one place that knows how items are laid out in the main table.

The main table has a generic primary key (``pk``, ``sk``), one generic index ``GSI1``
(``gsi1pk``, ``gsi1sk``) and the TTL attribute ``expiration`` (epoch seconds; also the attribute
Powertools idempotency writes). ``docs/data-model.md`` lists every item collection and access
pattern; it and this module must agree, and the unit tests hold them to it.

| Item | pk | sk |
| --- | --- | --- |
| Org | ``ORG#<orgId>`` | ``ORG`` |
| MobileApp | ``ORG#<orgId>`` | ``APP#<appId>`` |
| ApiToken | ``ORG#<orgId>`` | ``APPTOKEN#<appId>#<tokenId>`` |
"""

from __future__ import annotations

from typing import NamedTuple

PARTITION_KEY = "pk"
SORT_KEY = "sk"
GSI1_NAME = "GSI1"
GSI1_PARTITION_KEY = "gsi1pk"
GSI1_SORT_KEY = "gsi1sk"
TTL_ATTRIBUTE = "expiration"

_SEPARATOR = "#"


class ItemKey(NamedTuple):
    """The primary key of one item."""

    pk: str
    sk: str

    def as_dict(self) -> dict[str, str]:
        """Returns the key as attribute name → value."""
        return {PARTITION_KEY: self.pk, SORT_KEY: self.sk}


def _component(value: str) -> str:
    if not value or _SEPARATOR in value:
        # An empty or '#'-bearing id would let one tenant's key collide with another's.
        raise ValueError(f"invalid key component: {value!r}")
    return value


def _part(prefix: str, value: str) -> str:
    return f"{prefix}{_SEPARATOR}{_component(value)}"


def org_partition(org_id: str) -> str:
    """The partition holding an org and, later, everything it owns."""
    return _part("ORG", org_id)


def org_key(org_id: str) -> ItemKey:
    """The key of the org item itself."""
    return ItemKey(org_partition(org_id), "ORG")


APP_PREFIX = "APP#"
APP_TOKEN_PREFIX = "APPTOKEN#"  # noqa: S105 - a key prefix, not a secret


def mobile_app_key(org_id: str, app_id: str) -> ItemKey:
    """The key of a mobile app configuration."""
    return ItemKey(org_partition(org_id), _part("APP", app_id))


def api_token_key(org_id: str, app_id: str, token_id: str) -> ItemKey:
    """The key of one access token of an app."""
    return ItemKey(org_partition(org_id), f"{api_tokens_prefix(app_id)}{_component(token_id)}")


def api_tokens_prefix(app_id: str) -> str:
    """The sort-key prefix under which an app's tokens sit (for listing them)."""
    return f"{APP_TOKEN_PREFIX}{_component(app_id)}{_SEPARATOR}"
