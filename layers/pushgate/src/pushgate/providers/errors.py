"""Errors the provider clients raise before anything is sent.

Delivery results are never exceptions: they come back as :class:`~pushgate.models.push.DeliveryOutcome`.
These errors are for input that cannot be sent at all. Messages name the problem and never contain
key material.
"""

from __future__ import annotations

from pushgate.errors import FieldProblem, InvalidRequestError


class ProviderCredentialsError(InvalidRequestError):
    """The app's provider credentials are malformed (bad .p8, .p12 or service-account JSON)."""

    code = "InvalidProviderCredentials"


class NotificationTooLargeError(InvalidRequestError):
    """The rendered notification exceeds the provider's payload limit."""

    code = "NotificationTooLarge"

    @classmethod
    def for_size(cls, provider: str, size: int, limit: int) -> NotificationTooLargeError:
        """Builds the error for one oversized payload.

        Args:
            provider: ``APNs`` or ``FCM``.
            size: Encoded size in bytes.
            limit: The provider's limit in bytes.

        Returns:
            The error, naming both sizes.
        """
        problem = (
            f"the {provider} payload is {size} bytes; the limit is {limit} bytes (shorten the title, body or data)"
        )
        return cls(message=f"Payload: {problem}", problems=[FieldProblem("Payload", problem)])
