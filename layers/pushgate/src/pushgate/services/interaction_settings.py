"""Settings of the interaction functions, read from the environment once per execution environment."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class InteractionSettings(BaseModel):
    """How long interaction records live and what counts as a bot click.

    Attributes:
        retention_days: Days opens and clicks are kept before DynamoDB's TTL removes them
            (``INTERACTION_RETENTION_DAYS``, default 90); the daily counters stay.
        human_click_seconds: A tracked-link click sooner than this after delivery is recorded as a
            bot click (``HUMAN_CLICK_SECONDS``, default 2).
    """

    model_config = ConfigDict(frozen=True)

    retention_days: int = Field(default=90, ge=1, le=3650, validation_alias="INTERACTION_RETENTION_DAYS")
    human_click_seconds: float = Field(default=2.0, ge=0, le=60, validation_alias="HUMAN_CLICK_SECONDS")

    @property
    def retention(self) -> timedelta:
        """The retention as a duration."""
        return timedelta(days=self.retention_days)

    @property
    def human_click_delay(self) -> timedelta:
        """The bot-click threshold as a duration."""
        return timedelta(seconds=self.human_click_seconds)


@cache
def interaction_settings() -> InteractionSettings:
    """Reads and validates the interaction settings once per execution environment."""
    return InteractionSettings.model_validate(dict(os.environ))
