"""Settings of the send and delivery functions, read from the environment once per execution environment."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class DeliveryQueueSettings(BaseModel):
    """Where delivery jobs go.

    Attributes:
        queue_url: URL of the delivery queue (``DELIVERY_QUEUE_URL``).
    """

    model_config = ConfigDict(frozen=True)

    queue_url: str = Field(min_length=1, validation_alias="DELIVERY_QUEUE_URL")


@cache
def delivery_queue_settings() -> DeliveryQueueSettings:
    """Reads and validates the queue settings once per execution environment."""
    return DeliveryQueueSettings.model_validate(dict(os.environ))


def tracked_link_base(public_endpoint: str) -> str:
    """The prefix of tracked links, ``<PUBLIC_ENDPOINT>/l/`` (empty without a public endpoint)."""
    endpoint = public_endpoint.rstrip("/")
    return f"{endpoint}/l/" if endpoint else ""
