"""Mobile app configurations: the provider credentials of one app, per platform, and its access tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pushgate.credentials.metadata import FcmServiceAccountMetadata, IosCertificateMetadata, IosTokenMetadata
from pushgate.models.frozen import Frozen


class CheckStatus(StrEnum):
    """Outcome of the last credential check of one platform."""

    VALID = "Valid"
    INVALID = "Invalid"
    UNCHECKED = "Unchecked"


class CredentialCheck(Frozen):
    """What the last check of a platform's credentials found.

    Attributes:
        status: Valid, Invalid, or Unchecked (saved but not yet confirmed by the provider).
        reason: Why, in words an operator can act on (always set for Invalid).
        checked_at: When the provider was asked; ``None`` while Unchecked.
    """

    status: CheckStatus
    reason: str | None = None
    checked_at: datetime | None = None


class IosPlatform(Frozen):
    """The iOS part of a configuration: non-secret metadata and where the secret is."""

    metadata: IosTokenMetadata | IosCertificateMetadata
    secret_id: str
    check: CredentialCheck


class AndroidPlatform(Frozen):
    """The Android part of a configuration."""

    metadata: FcmServiceAccountMetadata
    secret_id: str
    check: CredentialCheck


class MobileApp(Frozen):
    """One mobile app configuration (one ``MobileAppId`` covers both platforms, as in CI-J).

    Attributes:
        org_id: Owner org.
        app_id: The ``MobileAppId``.
        name: Display name.
        description: Free text.
        ios: iOS credentials, when the app has an iOS build.
        android: Android credentials, when the app has an Android build.
        created_at: Creation time (UTC).
        updated_at: Last change (UTC).
        revision: Incremented on every change; guards concurrent updates.
        user_resolve_enabled: Whether apps may resolve their users' directory ids with an ApiToken
            (``POST /api/v1.0/orgs/{orgId}/pushusermapping/resolve``).
    """

    org_id: str
    app_id: str
    name: str
    description: str
    ios: IosPlatform | None = None
    android: AndroidPlatform | None = None
    created_at: datetime
    updated_at: datetime
    revision: int = 1
    user_resolve_enabled: bool = True


class ApiToken(Frozen):
    """An access token (``ApiToken``) of a mobile app; the token itself is never stored, only its hash.

    Attributes:
        org_id: Owner org.
        app_id: The app the token opens.
        token_id: Public id of the token (shown in lists, used to revoke).
        label: Operator's note (which app build uses it, say).
        token_sha256: Lower-case hex SHA-256 of the whole token string.
        created_at: When it was issued.
        last_used_at: When a public route last accepted it (updated at most every few minutes).
    """

    org_id: str
    app_id: str
    token_id: str
    label: str
    token_sha256: str
    created_at: datetime
    last_used_at: datetime | None = None
