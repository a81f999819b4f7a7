"""Settings of the device-registration functions, read from the environment once per execution environment."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class RegistrationQueueSettings(BaseModel):
    """Where accepted registrations go.

    Attributes:
        queue_url: URL of the registration queue (``REGISTRATION_QUEUE_URL``).
    """

    model_config = ConfigDict(frozen=True)

    queue_url: str = Field(min_length=1, validation_alias="REGISTRATION_QUEUE_URL")


@cache
def registration_queue_settings() -> RegistrationQueueSettings:
    """Reads and validates the queue settings once per execution environment."""
    return RegistrationQueueSettings.model_validate(dict(os.environ))


class WebhookSettings(BaseModel):
    """How registration webhooks are called.

    Attributes:
        allow_loopback: Also call loopback addresses, over http or https
            (``PUSHGATE_ALLOW_LOOPBACK_WEBHOOKS=true``; the local runtime only, never in AWS).
        timeout_s: Limit of the one attempt, connect and answer together (``WEBHOOK_TIMEOUT_SECONDS``).
    """

    model_config = ConfigDict(frozen=True)

    allow_loopback: bool = Field(default=False, validation_alias="PUSHGATE_ALLOW_LOOPBACK_WEBHOOKS")
    timeout_s: float = Field(default=5.0, gt=0, le=30, validation_alias="WEBHOOK_TIMEOUT_SECONDS")


@cache
def webhook_settings() -> WebhookSettings:
    """Reads and validates the webhook settings once per execution environment."""
    return WebhookSettings.model_validate(dict(os.environ))
