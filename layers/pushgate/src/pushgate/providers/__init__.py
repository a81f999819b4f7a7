"""APNs and FCM clients for the delivery path.

The delivery worker creates one client per app and execution environment, keeps it across
invocations, and calls ``send_batch``; every request gets a :class:`DeliveryOutcome` whose
:class:`Verdict` comes from the one table in :mod:`pushgate.providers.verdicts`.
"""

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
