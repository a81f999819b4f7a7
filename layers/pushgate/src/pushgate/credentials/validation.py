"""Entry points that validate the credentials of a whole mobile app configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pushgate.credentials._problems import merge_problems
from pushgate.credentials.apns_certificate import validate_ios_certificate_credentials
from pushgate.credentials.apns_token import validate_ios_token_credentials
from pushgate.credentials.fcm import validate_android_credentials
from pushgate.credentials.inputs import (
    AndroidCredentialsInput,
    IosCertificateCredentialsInput,
    IosTokenCredentialsInput,
    MobileAppCredentialsInput,
)
from pushgate.credentials.metadata import (
    FcmServiceAccountMetadata,
    IosCertificateMetadata,
    IosTokenMetadata,
    MobileAppCredentialsMetadata,
)
from pushgate.errors import InvalidRequestError

if TYPE_CHECKING:
    from datetime import datetime


def validate_ios_credentials(
    credentials: IosTokenCredentialsInput | IosCertificateCredentialsInput,
    *,
    prefix: str = "Ios",
    now: datetime | None = None,
) -> IosTokenMetadata | IosCertificateMetadata:
    """Checks iOS credentials of either auth mode without contacting Apple.

    Args:
        credentials: The parsed ``Ios`` object.
        prefix: Dotted path of the object in the request, used in problem fields.
        now: The current time, for certificate expiry; defaults to the clock.

    Returns:
        The token or certificate metadata, matching the auth mode.

    Raises:
        InvalidRequestError: Listing every problem found.
    """
    if isinstance(credentials, IosTokenCredentialsInput):
        return validate_ios_token_credentials(credentials, prefix=prefix)
    return validate_ios_certificate_credentials(credentials, prefix=prefix, now=now)


def validate_mobile_app_credentials(
    ios: IosTokenCredentialsInput | IosCertificateCredentialsInput | None,
    android: AndroidCredentialsInput | None,
    *,
    now: datetime | None = None,
) -> MobileAppCredentialsMetadata:
    """Checks both platforms' credentials and reports the problems of both together.

    Args:
        ios: The parsed ``Ios`` object, or ``None`` when the configuration has no iOS app.
        android: The parsed ``Android`` object, or ``None`` when it has no Android app.
        now: The current time, for certificate expiry; defaults to the clock.

    Returns:
        The metadata of each platform present.

    Raises:
        InvalidRequestError: Listing every problem of both platforms.
    """
    errors: list[InvalidRequestError] = []
    ios_metadata: IosTokenMetadata | IosCertificateMetadata | None = None
    android_metadata: FcmServiceAccountMetadata | None = None
    if ios is not None:
        try:
            ios_metadata = validate_ios_credentials(ios, now=now)
        except InvalidRequestError as error:
            errors.append(error)
    if android is not None:
        try:
            android_metadata = validate_android_credentials(android)
        except InvalidRequestError as error:
            errors.append(error)
    merged = merge_problems(errors)
    if merged is not None:
        raise merged
    return MobileAppCredentialsMetadata(ios=ios_metadata, android=android_metadata)


def validate_mobile_app_credentials_input(
    credentials: MobileAppCredentialsInput, *, now: datetime | None = None
) -> MobileAppCredentialsMetadata:
    """Checks the credentials held by a parsed ``MobileAppCredentialsInput`` (or a model extending it).

    Args:
        credentials: The parsed body.
        now: The current time, for certificate expiry; defaults to the clock.

    Returns:
        The metadata of each platform present.

    Raises:
        InvalidRequestError: Listing every problem of both platforms.
    """
    return validate_mobile_app_credentials(credentials.ios, credentials.android, now=now)
