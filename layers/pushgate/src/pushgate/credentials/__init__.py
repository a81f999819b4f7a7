"""Provider credentials of a mobile app configuration: input models, validation on save, metadata, secrets.

Typical use by the operator API when an app configuration is saved::

    body = parse_mobile_app_credentials(raw_json)          # shape; raises InvalidRequestError
    metadata = validate_mobile_app_credentials(body.ios, body.android)  # meaning; every problem at once
    ios_secret = body.ios.to_secret() if body.ios else None   # for Secrets Manager: to_secret_string()

Metadata is safe to store in DynamoDB and to return; secrets only ever leave their models through
``to_secret_string()``. Nothing here performs I/O.
"""

from pushgate.credentials.apns_certificate import validate_ios_certificate_credentials
from pushgate.credentials.apns_token import validate_ios_token_credentials
from pushgate.credentials.fcm import validate_android_credentials
from pushgate.credentials.inputs import (
    DEFAULT_GOOGLE_TOKEN_URI,
    MAX_CREDENTIAL_FIELD_BYTES,
    AndroidCredentialsInput,
    AppMode,
    IosAuthMode,
    IosCertificateCredentialsInput,
    IosCredentialsInput,
    IosTokenCredentialsInput,
    MobileAppCredentialsInput,
    parse_android_credentials,
    parse_ios_credentials,
    parse_mobile_app_credentials,
    problems_from_validation_error,
)
from pushgate.credentials.metadata import (
    FcmServiceAccountMetadata,
    IosCertificateMetadata,
    IosCredentialsMetadata,
    IosTokenMetadata,
    MobileAppCredentialsMetadata,
)
from pushgate.credentials.secret_models import (
    FcmServiceAccountSecret,
    IosCertificateSecret,
    IosTokenSecret,
    load_ios_secret,
)
from pushgate.credentials.validation import (
    validate_ios_credentials,
    validate_mobile_app_credentials,
    validate_mobile_app_credentials_input,
)

__all__ = [
    "DEFAULT_GOOGLE_TOKEN_URI",
    "MAX_CREDENTIAL_FIELD_BYTES",
    "AndroidCredentialsInput",
    "AppMode",
    "FcmServiceAccountMetadata",
    "FcmServiceAccountSecret",
    "IosAuthMode",
    "IosCertificateCredentialsInput",
    "IosCertificateMetadata",
    "IosCertificateSecret",
    "IosCredentialsInput",
    "IosCredentialsMetadata",
    "IosTokenCredentialsInput",
    "IosTokenMetadata",
    "IosTokenSecret",
    "MobileAppCredentialsInput",
    "MobileAppCredentialsMetadata",
    "load_ios_secret",
    "parse_android_credentials",
    "parse_ios_credentials",
    "parse_mobile_app_credentials",
    "problems_from_validation_error",
    "validate_android_credentials",
    "validate_ios_certificate_credentials",
    "validate_ios_credentials",
    "validate_ios_token_credentials",
    "validate_mobile_app_credentials",
    "validate_mobile_app_credentials_input",
]
