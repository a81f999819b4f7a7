"""A mobile app as the app store keeps it, with an iOS token credential, for tests that need one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pushgate.models.mobile_app import MobileApp


def stored_app(
    org_id: str,
    app_id: str,
    *,
    at: datetime,
    name: str = "Contoso app",
    ios_mode: str | None = "Production",
    secret_id: str = "arn:secret",  # noqa: S107 - the id of a secret, not one
    bundle_id: str = "com.contoso.app",
    team_id: str = "ABCDE12345",
    key_id: str = "KEY1234567",
) -> MobileApp:
    """The app, created and updated ``at``; with a checked APNs token credential in ``ios_mode``
    (``Production`` or ``Sandbox``) whose key is ``secret_id``, or no iOS platform when ``None``."""
    payload: dict[str, Any] = {
        "org_id": org_id,
        "app_id": app_id,
        "name": name,
        "description": "",
        "created_at": at,
        "updated_at": at,
    }
    if ios_mode is not None:
        payload["ios"] = {
            "metadata": {
                "AuthMode": "Token",
                "AppMode": ios_mode,
                "BundleId": bundle_id,
                "TeamId": team_id,
                "KeyId": key_id,
                "PublicKeySha256": "0" * 64,
            },
            "secret_id": secret_id,
            "check": {"status": "Valid"},
        }
    return MobileApp.model_validate(payload)
