"""Typed settings read from the environment, validated once per execution environment (all of them).

Environment variables carry names and addresses only, never secrets. A missing required value
fails fast with a message naming the variable, instead of a silent default.

Every settings model is built on first use (``defer_build``): each function reads a few of them,
and building the others' validators would only lengthen every cold start. :func:`settings` reads
any of them (``settings(TableSettings).table_name``), once per execution environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from typing import Final, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

SettingsT = TypeVar("SettingsT", bound=BaseModel)


def settings(model: type[SettingsT]) -> SettingsT:
    """Reads and validates one settings model from the environment, once per execution environment.

    Args:
        model: The settings model (``TableSettings``); its fields' aliases name the variables.

    Returns:
        The validated settings, the same object on every later call.

    Raises:
        pydantic.ValidationError: A required variable is missing or malformed (the error names it).
    """
    return cast("SettingsT", _settings(model))


@cache
def _settings(model: type[BaseModel]) -> BaseModel:
    return model.model_validate(dict(os.environ))


def clear_settings() -> None:
    """Forgets the settings read so far (tests that change the environment)."""
    _settings.cache_clear()


class _Settings(BaseModel):
    """A settings model: frozen once read, and built on first use (``defer_build``)."""

    model_config = ConfigDict(frozen=True, defer_build=True)


class TableSettings(_Settings):
    """Where the main DynamoDB table is.

    Attributes:
        table_name: Name of the single main table (``TABLE_NAME``).
    """

    table_name: str = Field(min_length=3, validation_alias="TABLE_NAME")


class MobileAppSettings(_Settings):
    """Settings of the functions that manage apps and check access tokens.

    Attributes:
        secrets_prefix: Prefix of every secret name Pushgate creates (``SECRETS_PREFIX``, the stack
            name and a slash, so several stacks can share an account).
        public_endpoint: Base URL apps call (``PUBLIC_ENDPOINT``); empty means the API's own domain.
    """

    secrets_prefix: str = Field(min_length=1, validation_alias="SECRETS_PREFIX")
    public_endpoint: str = Field(default="", validation_alias="PUBLIC_ENDPOINT")


# -------------------------------- Device registration: the registration queue and webhook calls.


class _QueueSettings(_Settings):
    """Where a queue's messages go.

    Attributes:
        queue_url: URL of the queue (each queue names its variable, ``<QUEUE>_QUEUE_URL``).
    """

    queue_url: str


class RegistrationQueueSettings(_QueueSettings):
    """Where accepted registrations go."""

    queue_url: str = Field(min_length=1, validation_alias="REGISTRATION_QUEUE_URL")


class WebhookSettings(_Settings):
    """How registration webhooks are called.

    Attributes:
        allow_loopback: Also call loopback addresses, over http or https
            (``PUSHGATE_ALLOW_LOOPBACK_WEBHOOKS=true``; the local runtime only, never in AWS).
        timeout_s: Limit of the one attempt, connect and answer together (``WEBHOOK_TIMEOUT_SECONDS``).
    """

    allow_loopback: bool = Field(default=False, validation_alias="PUSHGATE_ALLOW_LOOPBACK_WEBHOOKS")
    timeout_s: float = Field(default=5.0, gt=0, le=30, validation_alias="WEBHOOK_TIMEOUT_SECONDS")


# -------------------------------- Sends and delivery: the delivery queue and tracked links.


class DeliveryQueueSettings(_QueueSettings):
    """Where delivery jobs go."""

    queue_url: str = Field(min_length=1, validation_alias="DELIVERY_QUEUE_URL")


class AudienceQueueSettings(_QueueSettings):
    """Where pages of broadcast audiences go."""

    queue_url: str = Field(min_length=1, validation_alias="AUDIENCE_QUEUE_URL")


def tracked_link_base(public_endpoint: str) -> str:
    """The prefix of tracked links, ``<PUBLIC_ENDPOINT>/l/`` (empty without a public endpoint)."""
    endpoint = public_endpoint.rstrip("/")
    return f"{endpoint}/l/" if endpoint else ""


# -------------------------------- Interactions: retention and the bot-click threshold.


class InteractionSettings(_Settings):
    """How long interaction records live and what counts as a bot click.

    Attributes:
        retention_days: Days opens and clicks are kept before DynamoDB's TTL removes them
            (``INTERACTION_RETENTION_DAYS``, default 90); the daily counters stay.
        human_click_seconds: A tracked-link click sooner than this after delivery is recorded as a
            bot click (``HUMAN_CLICK_SECONDS``, default 2).
    """

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


class LedgerSettings(_Settings):
    """Where delivery jobs keep their outcomes.

    Attributes:
        bucket: The S3 bucket of the jobs' outcome objects (``LEDGER_BUCKET``); empty keeps them in
            the main table, as before the bucket existed.
    """

    bucket: str = Field(default="", validation_alias="LEDGER_BUCKET")


# -------------------------------- Delivery: FCM pacing per project.


#: FCM HTTP v1's default quota per project.
FCM_MESSAGES_PER_MINUTE: Final = 600_000


class PacingPolicy(_Settings):
    """How one FCM project's sends are paced (``pushgate.providers.pacing`` applies it).

    Attributes:
        messages_per_minute: The full rate (``FCM_MESSAGES_PER_MINUTE``).
        burst_seconds: The bucket holds this many seconds of the full rate.
        floor_fraction: The rate never drops below this fraction of the full rate.
        hold_seconds: How long a halved rate holds before it starts recovering.
        recovery_seconds: How long the climb from the halved rate back to the full rate takes.
        halving_interval_seconds: 429s closer together than this halve the rate only once
            (one batch often meets several).
    """

    model_config = ConfigDict(populate_by_name=True)

    messages_per_minute: int = Field(default=FCM_MESSAGES_PER_MINUTE, gt=0, validation_alias="FCM_MESSAGES_PER_MINUTE")
    burst_seconds: float = Field(default=1.0, gt=0)
    floor_fraction: float = Field(default=1 / 16, gt=0, le=1)
    hold_seconds: float = Field(default=10.0, ge=0)
    recovery_seconds: float = Field(default=60.0, gt=0)
    halving_interval_seconds: float = Field(default=1.0, ge=0)

    @property
    def full_rate(self) -> float:
        """Messages per second at the full rate."""
        return self.messages_per_minute / 60


# ---------------------------------------------------------------- provider endpoints
#: Apple's and Google's hosts; the local runtime and the tests point the clients at the simulator.
APNS_PRODUCTION_URL = "https://api.push.apple.com"
APNS_SANDBOX_URL = "https://api.sandbox.push.apple.com"
FCM_API_URL = "https://fcm.googleapis.com"


class ProviderSettings(_Settings):
    """Provider endpoints and extra trust.

    Attributes:
        apns_production_url: Base URL of APNs production (``APNS_PRODUCTION_URL``).
        apns_sandbox_url: Base URL of APNs sandbox (``APNS_SANDBOX_URL``).
        fcm_api_url: Base URL of the FCM HTTP v1 API (``FCM_API_URL``).
        fcm_token_url: OAuth2 token endpoint; when set it overrides the service account's
            ``token_uri`` (``FCM_TOKEN_URL``).
        ca_bundle: Path of an extra PEM CA to trust besides the public roots (``PROVIDER_CA_BUNDLE``).
    """

    model_config = ConfigDict(extra="forbid")

    apns_production_url: str = APNS_PRODUCTION_URL
    apns_sandbox_url: str = APNS_SANDBOX_URL
    fcm_api_url: str = FCM_API_URL
    fcm_token_url: str | None = None
    ca_bundle: str | None = None


def provider_settings(environ: Mapping[str, str] | None = None) -> ProviderSettings:
    """Reads where the provider clients connect; unset or empty variables keep Apple's and Google's hosts.

    Not cached: the clients read it once each, when they are built, and the tests point them at a
    fresh simulator.

    Args:
        environ: The variables to read; ``os.environ`` when omitted.

    Returns:
        The settings.
    """
    env = os.environ if environ is None else environ
    names = {
        "apns_production_url": "APNS_PRODUCTION_URL",
        "apns_sandbox_url": "APNS_SANDBOX_URL",
        "fcm_api_url": "FCM_API_URL",
        "fcm_token_url": "FCM_TOKEN_URL",
        "ca_bundle": "PROVIDER_CA_BUNDLE",
    }
    values = {field: env[var].rstrip("/") for field, var in names.items() if env.get(var)}
    if "ca_bundle" in values:
        values["ca_bundle"] = env["PROVIDER_CA_BUNDLE"]
    return ProviderSettings(**values)


# -------------------------------- Delivery timing: the clock scheduled sends, quiet hours and caps use.


class DeliveryClockSettings(_Settings):
    """Which clock delivery timing reads.

    Attributes:
        local_clock_file: Only the local runtime sets it (``PUSHGATE_LOCAL_CLOCK_FILE``): a JSON file
            holding an offset from the real time, so tests and the demo can advance the clock that
            schedules, quiet hours and frequency caps see. Empty (always, in AWS) means the real time.
    """

    local_clock_file: str = Field(default="", validation_alias="PUSHGATE_LOCAL_CLOCK_FILE")


# ---------------------------------------------------------------- tracing
_TRUE_WORDS = frozenset({"1", "y", "yes", "t", "true", "on"})


def tracing_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether X-Ray tracing runs, by Powertools' own rule for ``Tracer``.

    Off when ``POWERTOOLS_TRACE_DISABLED`` is true, outside Lambda (no ``LAMBDA_TASK_ROOT``) and
    under SAM local or Chalice (``AWS_SAM_LOCAL``, ``AWS_CHALICE_CLI_MODE``), and when the
    template's ``Tracing`` parameter (``PUSHGATE_TRACING``) is not ``Active``; on otherwise.

    Args:
        environ: The variables to read; ``os.environ`` when omitted.
    """
    env = os.environ if environ is None else environ
    if env.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in _TRUE_WORDS:
        return False
    if env.get("PUSHGATE_TRACING", "Active") != "Active":
        return False
    return bool(env.get("LAMBDA_TASK_ROOT")) and not env.get("AWS_SAM_LOCAL") and not env.get("AWS_CHALICE_CLI_MODE")
