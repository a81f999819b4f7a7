"""Typed settings read from the environment, validated once per execution environment.

Environment variables carry names and addresses only, never secrets. A missing required value
fails fast with a message naming the variable, instead of a silent default.
"""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class TableSettings(BaseModel):
    """Where the main DynamoDB table is.

    Attributes:
        table_name: Name of the single main table (``TABLE_NAME``).
    """

    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=3, validation_alias="TABLE_NAME")


@cache
def table_settings() -> TableSettings:
    """Reads and validates the table settings once per execution environment.

    Returns:
        The validated settings.

    Raises:
        pydantic.ValidationError: When ``TABLE_NAME`` is missing or malformed.
    """
    return TableSettings.model_validate(dict(os.environ))


class MobileAppSettings(BaseModel):
    """Settings of the functions that manage apps and check access tokens.

    Attributes:
        secrets_prefix: Prefix of every secret name Pushgate creates (``SECRETS_PREFIX``, the stack
            name and a slash, so several stacks can share an account).
        public_endpoint: Base URL apps call (``PUBLIC_ENDPOINT``); empty means the API's own domain.
    """

    model_config = ConfigDict(frozen=True)

    secrets_prefix: str = Field(min_length=1, validation_alias="SECRETS_PREFIX")
    public_endpoint: str = Field(default="", validation_alias="PUBLIC_ENDPOINT")


@cache
def mobile_app_settings() -> MobileAppSettings:
    """Reads and validates the mobile app settings once per execution environment."""
    return MobileAppSettings.model_validate(dict(os.environ))
