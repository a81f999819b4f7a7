"""Where the provider clients connect: Apple's and Google's hosts unless the deployment says otherwise.

The local runtime and the tests point the clients at the provider simulator through these
environment variables; a deployment to AWS sets none of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

APNS_PRODUCTION_URL = "https://api.push.apple.com"
APNS_SANDBOX_URL = "https://api.sandbox.push.apple.com"
FCM_API_URL = "https://fcm.googleapis.com"


class ProviderSettings(BaseModel):
    """Provider endpoints and extra trust.

    Attributes:
        apns_production_url: Base URL of APNs production (``APNS_PRODUCTION_URL``).
        apns_sandbox_url: Base URL of APNs sandbox (``APNS_SANDBOX_URL``).
        fcm_api_url: Base URL of the FCM HTTP v1 API (``FCM_API_URL``).
        fcm_token_url: OAuth2 token endpoint; when set it overrides the service account's
            ``token_uri`` (``FCM_TOKEN_URL``).
        ca_bundle: Path of an extra PEM CA to trust besides the public roots (``PROVIDER_CA_BUNDLE``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    apns_production_url: str = APNS_PRODUCTION_URL
    apns_sandbox_url: str = APNS_SANDBOX_URL
    fcm_api_url: str = FCM_API_URL
    fcm_token_url: str | None = None
    ca_bundle: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ProviderSettings:
        """Reads the settings from environment variables; unset or empty ones keep their defaults.

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
        return cls(**values)
