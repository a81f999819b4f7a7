"""The provider port: what the use cases need of the APNs and FCM clients, declared once.

``ProviderClientFactory`` (:mod:`pushgate.providers.clients`) is the ``ProviderClients`` the
delivery and registration workers use; ``AppPushSender`` (:mod:`pushgate.providers.app_sender`) is
the ``PushSender`` of test sends. Use cases depend on these Protocols; unit tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pushgate.models.mobile_app import MobileApp
    from pushgate.models.push import DeliveryOutcome, Platform, PushRequest


class ProviderClient(Protocol):
    """One app's client of one provider (``ApnsClient`` / ``FcmClient``)."""

    def send(self, request: PushRequest) -> DeliveryOutcome:
        """Sends one notification."""

    def send_batch(self, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        """One outcome per request, in order."""


class ProviderClients(Protocol):
    """Provider clients per app, built from its credentials (``ProviderClientFactory``).

    Both raise ``ProviderNotConfiguredError`` when the app has no credentials for the platform.
    """

    def apns_client(self, app: MobileApp) -> ProviderClient:
        """The app's APNs client."""

    def fcm_client(self, app: MobileApp) -> ProviderClient:
        """The app's FCM client."""


class PushSender(Protocol):
    """Hands notifications to a provider with an app's credentials."""

    def send(self, app: MobileApp, platform: Platform, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        """Sends and returns one outcome per request, in order."""
