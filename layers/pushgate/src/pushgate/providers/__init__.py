"""APNs and FCM clients for the delivery path.

The delivery worker creates one client per app and execution environment, keeps it across
invocations, and calls ``send_batch``; every request gets a :class:`DeliveryOutcome` whose
:class:`Verdict` comes from the one table in :mod:`pushgate.providers.verdicts`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pushgate.config import ProviderSettings
    from pushgate.models.push import (
        DeliveryOutcome,
        InterruptionLevel,
        Platform,
        PushMessage,
        PushRequest,
        Verdict,
    )
    from pushgate.providers.apns import (
        ApnsCertificateCredentials,
        ApnsClient,
        ApnsEnvironment,
        ApnsTokenCredentials,
        ApnsTokenSigner,
    )
    from pushgate.providers.errors import NotificationTooLargeError, ProviderCredentialsError
    from pushgate.providers.fcm import FcmClient, FcmServiceAccount, OAuthError, OAuthTokenSource
    from pushgate.providers.payloads import (
        apns_id_for,
        build_apns_payload,
        build_fcm_message,
        encode_apns_payload,
        encode_fcm_message,
    )
    from pushgate.providers.verdicts import VERDICT_TABLE, VerdictRule

#: Each name is imported from its module when first used: the payload rules and verdicts must not
#: cost a function that sends nothing the import of the HTTP/2 clients, JWT and cryptography.
_EXPORTED_FROM: dict[str, str] = {
    "ProviderSettings": "pushgate.config",
    "DeliveryOutcome": "pushgate.models.push",
    "InterruptionLevel": "pushgate.models.push",
    "Platform": "pushgate.models.push",
    "PushMessage": "pushgate.models.push",
    "PushRequest": "pushgate.models.push",
    "Verdict": "pushgate.models.push",
    "ApnsCertificateCredentials": "pushgate.providers.apns",
    "ApnsClient": "pushgate.providers.apns",
    "ApnsEnvironment": "pushgate.providers.apns",
    "ApnsTokenCredentials": "pushgate.providers.apns",
    "ApnsTokenSigner": "pushgate.providers.apns",
    "NotificationTooLargeError": "pushgate.providers.errors",
    "ProviderCredentialsError": "pushgate.providers.errors",
    "FcmClient": "pushgate.providers.fcm",
    "FcmServiceAccount": "pushgate.providers.fcm",
    "OAuthError": "pushgate.providers.fcm",
    "OAuthTokenSource": "pushgate.providers.fcm",
    "apns_id_for": "pushgate.providers.payloads",
    "build_apns_payload": "pushgate.providers.payloads",
    "build_fcm_message": "pushgate.providers.payloads",
    "encode_apns_payload": "pushgate.providers.payloads",
    "encode_fcm_message": "pushgate.providers.payloads",
    "VERDICT_TABLE": "pushgate.providers.verdicts",
    "VerdictRule": "pushgate.providers.verdicts",
}


__all__ = [
    "VERDICT_TABLE",
    "ApnsCertificateCredentials",
    "ApnsClient",
    "ApnsEnvironment",
    "ApnsTokenCredentials",
    "ApnsTokenSigner",
    "DeliveryOutcome",
    "FcmClient",
    "FcmServiceAccount",
    "InterruptionLevel",
    "NotificationTooLargeError",
    "OAuthError",
    "OAuthTokenSource",
    "Platform",
    "ProviderCredentialsError",
    "ProviderSettings",
    "PushMessage",
    "PushRequest",
    "Verdict",
    "VerdictRule",
    "apns_id_for",
    "build_apns_payload",
    "build_fcm_message",
    "encode_apns_payload",
    "encode_fcm_message",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTED_FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
