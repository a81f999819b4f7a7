"""The provider port: everything the use cases may know of the APNs and FCM clients, declared once.

Services import this module and nothing else of :mod:`pushgate.providers` (``services/ruff.toml``
bans the rest); the composition root (:mod:`pushgate.deps`) hands them the concrete adapters:
``ProviderClientFactory`` (:mod:`pushgate.providers.clients`) is the ``ProviderClients`` of the
delivery and registration workers and of the credential check, ``AppPushSender``
(:mod:`pushgate.providers.app_sender`) the ``PushSender`` of test sends, ``ProjectRateLimiter``
(:mod:`pushgate.providers.pacing`) the ``Pacer`` of FCM deliveries. Unit tests pass fakes.

The values that cross the port (``PushRequest``, ``DeliveryOutcome``, ``Platform``, ``Verdict``) are
domain values in :mod:`pushgate.models.push`; the payload rules are in :mod:`pushgate.models.payloads`.
The two errors below are the only ones the adapters raise across the port.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from pushgate.errors import PushgateError

if TYPE_CHECKING:
    from pushgate.models.mobile_app import MobileApp
    from pushgate.models.push import DeliveryOutcome, Platform, PushRequest


class ProviderNotConfiguredError(PushgateError, code="ProviderNotConfigured"):
    """The app has no credentials for the platform, or its stored credentials cannot be used."""


class OAuthError(Exception):
    """FCM's access token could not be obtained.

    Attributes:
        rejected: The token endpoint refused the assertion (the credentials are wrong) rather than
            failing or being unreachable.
        detail: What happened; never contains the assertion or a token.
    """

    def __init__(self, detail: str, *, rejected: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.rejected = rejected


class ProviderClient(Protocol):
    """One app's client of one provider (``ApnsClient`` / ``FcmClient``)."""

    def send(self, request: PushRequest) -> DeliveryOutcome:
        """Sends one notification."""

    def send_batch(self, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        """One outcome per request, in order."""


class AccessTokenSource(Protocol):
    """FCM's OAuth access tokens of one service account (``OAuthTokenSource``)."""

    def access_token(self) -> str:
        """A valid access token (cached until shortly before it expires).

        Raises:
            OAuthError: No usable token: the endpoint refused the assertion or did not answer.
        """


class FcmProviderClient(ProviderClient, Protocol):
    """An app's FCM client, whose access token can be asked for before anything is sent."""

    @property
    def token_source(self) -> AccessTokenSource:
        """The client's access-token cache."""


class ProviderClients(Protocol):
    """Provider clients per app, built from its credentials (``ProviderClientFactory``).

    Both raise ``ProviderNotConfiguredError`` when the app has no credentials for the platform.
    """

    def apns_client(self, app: MobileApp) -> ProviderClient:
        """The app's APNs client."""

    def fcm_client(self, app: MobileApp) -> FcmProviderClient:
        """The app's FCM client."""


class PushSender(Protocol):
    """Hands notifications to a provider with an app's credentials."""

    def send(self, app: MobileApp, platform: Platform, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        """Sends and returns one outcome per request, in order."""


class Pacer(Protocol):
    """Paces sends per key (an FCM project id) and slows down after a provider's 429 (``ProjectRateLimiter``)."""

    def acquire(self, project: str, count: int) -> float:
        """Takes ``count`` sends' worth, waiting as long as the pace requires; returns the seconds waited."""

    def throttled(self, project: str) -> None:
        """Slows the project's pace after the provider answered 429."""
