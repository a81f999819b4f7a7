"""Sends notifications with an app's own credentials, through the real provider clients.

Used by test sends: the app's clients come from a ``ProviderClientFactory`` built for interactive
use (short timeouts, few streams), the same factory the live credential check uses.
"""

from __future__ import annotations

from collections.abc import Sequence

from pushgate.errors import ConflictError, FieldProblem
from pushgate.models.mobile_app import MobileApp
from pushgate.models.push import DeliveryOutcome, Platform, PushRequest
from pushgate.providers.ports import ProviderClients, ProviderNotConfiguredError


class AppPushSender:
    """The ``PushSender`` port over the app's cached provider clients (or the simulator, per ``ProviderSettings``)."""

    def __init__(self, clients: ProviderClients) -> None:
        """Builds the sender over a client factory (built for interactive use: short timeouts)."""
        self._clients = clients

    def send(self, app: MobileApp, platform: Platform, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        """Sends a batch with the app's credentials for one platform.

        Raises:
            ConflictError: The app has no usable configuration for the platform.
        """
        try:
            client = self._clients.apns_client(app) if platform is Platform.APNS else self._clients.fcm_client(app)
        except ProviderNotConfiguredError as error:
            raise ConflictError(
                message=f"Platform: {error.message}", problems=[FieldProblem("Platform", error.message)]
            ) from None
        return client.send_batch(list(requests))
