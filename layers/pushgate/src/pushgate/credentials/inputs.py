"""Request models for the credentials of a mobile app configuration (PascalCase, as CI-J).

These models check shape only: required fields, types, unknown fields, sizes. What the values
mean (does the .p8 hold a P-256 key, does the password open the .p12) is checked by the
``validate_*`` functions, which report every problem at once.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    SecretStr,
    Tag,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic.alias_generators import to_pascal
from pydantic_core import PydanticCustomError

from pushgate.credentials._p12 import decode_p12_base64
from pushgate.credentials._pem import normalise_pem_text
from pushgate.credentials._problems import invalid_request
from pushgate.credentials._service_account import decode_service_account_text
from pushgate.credentials.secret_models import FcmServiceAccountSecret, IosCertificateSecret, IosTokenSecret
from pushgate.errors import InvalidRequestError
from pushgate.validation import IOS_P8_TAG, IOS_P12_TAG
from pushgate.validation import problems_from_validation_error as problems_from_validation_error  # noqa: PLC0414 - re-exported

#: Largest accepted size of any one credential field, in UTF-8 bytes. Real .p8 files are about
#: 250 bytes, base64 .p12 files a few KB and service-account files about 2.4 KB.
MAX_CREDENTIAL_FIELD_BYTES = 64 * 1024

DEFAULT_GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a public URL, not a secret


class AppMode(StrEnum):
    """The APNs environment the app's device tokens belong to."""

    SANDBOX = "Sandbox"
    PRODUCTION = "Production"


class IosAuthMode(StrEnum):
    """How Pushgate authenticates to APNs."""

    TOKEN = "Token"  # noqa: S105 - the name of an auth mode, not a secret
    CERTIFICATE = "Certificate"


def _bounded_text(value: object) -> object:
    """Strips text and rejects oversized values before any parsing work is spent on them."""
    if not isinstance(value, str):
        return value
    size = len(value.encode("utf-8"))
    if size > MAX_CREDENTIAL_FIELD_BYTES:
        raise PydanticCustomError(
            "credential_too_large",
            "is {size} bytes; one credential field may hold at most {limit} bytes (64 KB). "
            "Check that the right file was sent.",
            {"size": size, "limit": MAX_CREDENTIAL_FIELD_BYTES},
        )
    return value.strip()


def _service_account_as_text(value: object) -> object:
    """Accepts the service account as a JSON object or as a string holding it, and keeps it as text."""
    if isinstance(value, dict):
        return _bounded_text(json.dumps(value, ensure_ascii=False))
    if isinstance(value, str):
        return _bounded_text(value)
    raise PydanticCustomError(
        "service_account_type",
        "must be the service-account key file as a JSON object, or a string holding that JSON.",
    )


CredentialText = Annotated[str, BeforeValidator(_bounded_text)]
SecretCredentialText = Annotated[SecretStr, BeforeValidator(_bounded_text)]
ServiceAccountText = Annotated[
    SecretStr,
    BeforeValidator(_service_account_as_text),
    WithJsonSchema(
        {
            "description": "The FCM service-account key file, as a JSON object or as a string holding it.",
            "oneOf": [{"type": "object"}, {"type": "string"}],
        }
    ),
]


class _CredentialsInput(BaseModel):
    # Input values never appear in validation messages, so a secret cannot leak through an error.
    model_config = ConfigDict(
        alias_generator=to_pascal,
        extra="forbid",
        frozen=True,
        hide_input_in_errors=True,
        str_strip_whitespace=True,
    )


class IosTokenCredentialsInput(_CredentialsInput):
    """APNs token-based auth: the .p8 signing key and the IDs that go with it.

    Attributes:
        auth_mode: Always ``Token`` (``AuthMode``).
        app_mode: Sandbox or Production (``AppMode``).
        bundle_id: The app's bundle ID, used as ``apns-topic`` (``BundleId``).
        team_id: The 10-character Apple Team ID (``TeamId``).
        key_id: The 10-character Key ID of the .p8 key (``KeyId``).
        signing_key: The contents of the .p8 file (``SigningKey``).
    """

    auth_mode: Literal["Token"]
    app_mode: AppMode
    bundle_id: CredentialText
    team_id: CredentialText
    key_id: CredentialText
    signing_key: SecretCredentialText

    def to_secret(self) -> IosTokenSecret:
        """Extracts the secret part for Secrets Manager. Call after validation succeeded.

        Returns:
            The signing key, normalised to canonical PEM.
        """
        return IosTokenSecret(signing_key_pem=SecretStr(normalise_pem_text(self.signing_key.get_secret_value())))


class IosCertificateCredentialsInput(_CredentialsInput):
    """APNs certificate-based auth: a .p12 file holding the push certificate and its private key.

    Attributes:
        auth_mode: Always ``Certificate`` (``AuthMode``).
        app_mode: Sandbox or Production (``AppMode``).
        bundle_id: The app's bundle ID; taken from the certificate when omitted (``BundleId``).
        certificate: The .p12 file encoded as base64 (``Certificate``).
        certificate_password: The password chosen when exporting the .p12; empty when none was set
            (``CertificatePassword``). Surrounding whitespace is stripped like in every field, since a
            pasted trailing newline is far more common than a password that ends in a space.
    """

    auth_mode: Literal["Certificate"]
    app_mode: AppMode
    bundle_id: CredentialText | None = None
    certificate: SecretCredentialText
    certificate_password: SecretCredentialText = SecretStr("")

    def to_secret(self) -> IosCertificateSecret:
        """Extracts the secret part for Secrets Manager. Call after validation succeeded.

        Returns:
            The decoded .p12 bytes and the password.

        Raises:
            InvalidRequestError: When ``Certificate`` is not base64 (validation reports this too).
        """
        decoded = decode_p12_base64(self.certificate.get_secret_value())
        if isinstance(decoded, str):
            raise InvalidRequestError.for_field("Ios.Certificate", decoded)
        return IosCertificateSecret(p12=decoded, password=self.certificate_password)


class AndroidCredentialsInput(_CredentialsInput):
    """FCM HTTP v1 credentials.

    Attributes:
        service_account_json: The service-account key file (``ServiceAccountJson``), kept as JSON
            text inside a secret.
    """

    service_account_json: ServiceAccountText

    def to_secret(self) -> FcmServiceAccountSecret:
        """Extracts the secret part for Secrets Manager. Call after validation succeeded.

        Returns:
            The service-account object with a normalised ``private_key`` and ``token_uri`` filled in.

        Raises:
            InvalidRequestError: When the text is not a JSON object (validation reports this too).
        """
        decoded = decode_service_account_text(self.service_account_json.get_secret_value())
        if isinstance(decoded, str):
            raise InvalidRequestError.for_field("Android.ServiceAccountJson", decoded)
        info = dict(decoded)
        private_key = info.get("private_key")
        if isinstance(private_key, str):
            info["private_key"] = normalise_pem_text(private_key)
        if not info.get("token_uri"):
            info["token_uri"] = DEFAULT_GOOGLE_TOKEN_URI
        return FcmServiceAccountSecret.from_info(info)


def _ios_auth_mode_tag(value: Any) -> str | None:
    """Picks the iOS model from ``AuthMode``; anything that is not an object fails as 'not an object'."""
    if isinstance(value, IosTokenCredentialsInput):
        return IOS_P8_TAG
    if isinstance(value, IosCertificateCredentialsInput):
        return IOS_P12_TAG
    if not isinstance(value, dict):
        return IOS_P8_TAG
    auth_mode = value.get("AuthMode")
    return {IosAuthMode.TOKEN.value: IOS_P8_TAG, IosAuthMode.CERTIFICATE.value: IOS_P12_TAG}.get(str(auth_mode))


IosCredentialsInput = Annotated[
    Annotated[IosTokenCredentialsInput, Tag(IOS_P8_TAG)] | Annotated[IosCertificateCredentialsInput, Tag(IOS_P12_TAG)],
    Discriminator(
        _ios_auth_mode_tag,
        custom_error_type="ios_auth_mode",
        custom_error_message=(
            "AuthMode must be 'Token' (a .p8 signing key with KeyId, TeamId and BundleId) "
            "or 'Certificate' (a base64 .p12 file with its CertificatePassword)."
        ),
    ),
]
"""The iOS credentials, one model per ``AuthMode``."""


class MobileAppCredentialsInput(_CredentialsInput):
    """The credential part of a mobile app configuration; request models may extend it.

    Attributes:
        ios: The iOS app's APNs credentials (``Ios``), if any.
        android: The Android app's FCM credentials (``Android``), if any.
    """

    ios: IosCredentialsInput | None = None
    android: AndroidCredentialsInput | None = None


ModelT = TypeVar("ModelT")


def _parse(adapter: TypeAdapter[ModelT], raw: object, prefix: str) -> ModelT:
    try:
        return adapter.validate_python(raw)
    except ValidationError as error:
        raise invalid_request(problems_from_validation_error(error, prefix=prefix)) from None


_IOS_ADAPTER: TypeAdapter[IosTokenCredentialsInput | IosCertificateCredentialsInput] = TypeAdapter(IosCredentialsInput)
_ANDROID_ADAPTER = TypeAdapter(AndroidCredentialsInput)
_MOBILE_APP_ADAPTER = TypeAdapter(MobileAppCredentialsInput)


def parse_ios_credentials(
    raw: object, *, prefix: str = "Ios"
) -> IosTokenCredentialsInput | IosCertificateCredentialsInput:
    """Checks the shape of the iOS credentials object.

    Args:
        raw: The decoded JSON object sent by the client.
        prefix: Dotted path of the object in the request.

    Returns:
        The token or certificate model, according to ``AuthMode``.

    Raises:
        InvalidRequestError: Listing every shape problem, without input values.
    """
    return _parse(_IOS_ADAPTER, raw, prefix)


def parse_android_credentials(raw: object, *, prefix: str = "Android") -> AndroidCredentialsInput:
    """Checks the shape of the Android credentials object.

    Args:
        raw: The decoded JSON object sent by the client.
        prefix: Dotted path of the object in the request.

    Returns:
        The Android model.

    Raises:
        InvalidRequestError: Listing every shape problem, without input values.
    """
    return _parse(_ANDROID_ADAPTER, raw, prefix)


def parse_mobile_app_credentials(raw: object) -> MobileAppCredentialsInput:
    """Checks the shape of a body holding ``Ios`` and/or ``Android`` credentials.

    Args:
        raw: The decoded JSON body.

    Returns:
        The parsed model.

    Raises:
        InvalidRequestError: Listing every shape problem, without input values.
    """
    return _parse(_MOBILE_APP_ADAPTER, raw, "")
