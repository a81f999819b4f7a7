"""Non-secret facts about validated credentials: safe to store in DynamoDB and to show operators.

Field names serialise in PascalCase like the rest of the API; models can be built from either
PascalCase or snake_case keys, so items read back from DynamoDB validate directly.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_pascal

from pushgate.credentials.inputs import AppMode


class _Metadata(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_pascal,
        frozen=True,
        extra="ignore",
        serialize_by_alias=True,
        validate_by_alias=True,
        validate_by_name=True,
    )


class IosTokenMetadata(_Metadata):
    """What Pushgate knows about an APNs token-auth credential.

    Attributes:
        auth_mode: Always ``Token``.
        app_mode: Sandbox or Production.
        bundle_id: The app's bundle ID (the default ``apns-topic``).
        team_id: The Apple Team ID (the JWT ``iss``).
        key_id: The Key ID (the JWT ``kid``).
        public_key_sha256: Lower-case hex SHA-256 of the key's DER public key.
    """

    auth_mode: Literal["Token"] = "Token"
    app_mode: AppMode
    bundle_id: str
    team_id: str
    key_id: str
    public_key_sha256: str


class IosCertificateMetadata(_Metadata):
    """What Pushgate knows about an APNs client certificate.

    Attributes:
        auth_mode: Always ``Certificate``.
        app_mode: Sandbox or Production, as configured.
        bundle_id: The bundle ID used as default ``apns-topic`` (given, or read from the certificate).
        subject: The certificate subject, RFC 4514.
        issuer: The certificate issuer, RFC 4514.
        topics: Every topic the certificate names (subject UID, CN suffix, topics extension).
        not_valid_before: Start of validity (UTC).
        not_valid_after: End of validity (UTC); renew before this.
        compatible_app_modes: The APNs environments the certificate works with.
        certificate_sha256: Lower-case hex SHA-256 of the DER certificate.
    """

    auth_mode: Literal["Certificate"] = "Certificate"
    app_mode: AppMode
    bundle_id: str
    subject: str
    issuer: str
    topics: list[str]
    not_valid_before: AwareDatetime
    not_valid_after: AwareDatetime
    compatible_app_modes: list[AppMode]
    certificate_sha256: str


class FcmServiceAccountMetadata(_Metadata):
    """What Pushgate knows about an FCM service-account key.

    Attributes:
        project_id: The Firebase / Google Cloud project (part of the send URL).
        client_email: The service account's e-mail (the OAuth assertion's ``iss``).
        private_key_id: The key's id (the assertion's ``kid``), when the file has one.
        token_uri: The OAuth token endpoint.
        public_key_sha256: Lower-case hex SHA-256 of the key's DER public key.
    """

    project_id: str
    client_email: str
    private_key_id: str | None
    token_uri: str
    public_key_sha256: str


IosCredentialsMetadata = Annotated[IosTokenMetadata | IosCertificateMetadata, Field(discriminator="auth_mode")]
"""Metadata of either iOS auth mode."""


class MobileAppCredentialsMetadata(_Metadata):
    """Metadata of both platforms of one mobile app configuration.

    Attributes:
        ios: The iOS credential's metadata, if the configuration has an iOS app.
        android: The Android credential's metadata, if the configuration has an Android app.
    """

    ios: IosCredentialsMetadata | None = None
    android: FcmServiceAccountMetadata | None = None
