"""The error the provider clients raise for credentials they cannot use.

Delivery results are never exceptions: they come back as :class:`~pushgate.models.push.DeliveryOutcome`.
A notification too large to send is :class:`~pushgate.models.payloads.NotificationTooLargeError`.
Messages name the problem and never contain key material.
"""

from __future__ import annotations

from pushgate.errors import InvalidRequestError


class ProviderCredentialsError(InvalidRequestError, code="InvalidProviderCredentials"):
    """The app's provider credentials are malformed (bad .p8, .p12 or service-account JSON)."""
