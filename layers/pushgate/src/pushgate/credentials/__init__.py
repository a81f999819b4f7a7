"""Provider credentials of a mobile app configuration: input models, validation on save, metadata, secrets.

Typical use by the operator API when an app configuration is saved::

    body = parse_mobile_app_credentials(raw_json)          # shape; raises InvalidRequestError
    metadata = validate_mobile_app_credentials(body.ios, body.android)  # meaning; every problem at once
    ios_secret = body.ios.to_secret() if body.ios else None   # for Secrets Manager: to_secret_string()

Metadata is safe to store in DynamoDB and to return; secrets only ever leave their models through
``to_secret_string()``. Nothing here performs I/O.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Each name is imported from its module when first used: the input models and metadata must not
#: cost a function that validates no credentials the import of cryptography's X.509 and PKCS#12 code.
_EXPORTED_FROM: dict[str, str] = {
    "validate_ios_certificate_credentials": "pushgate.credentials.apns_certificate",
    "validate_ios_token_credentials": "pushgate.credentials.apns_token",
    "validate_android_credentials": "pushgate.credentials.fcm",
    "DEFAULT_GOOGLE_TOKEN_URI": "pushgate.credentials.inputs",
    "MAX_CREDENTIAL_FIELD_BYTES": "pushgate.credentials.inputs",
    "AndroidCredentialsInput": "pushgate.credentials.inputs",
    "AppMode": "pushgate.credentials.inputs",
    "IosAuthMode": "pushgate.credentials.inputs",
    "IosCertificateCredentialsInput": "pushgate.credentials.inputs",
    "IosCredentialsInput": "pushgate.credentials.inputs",
    "IosTokenCredentialsInput": "pushgate.credentials.inputs",
    "MobileAppCredentialsInput": "pushgate.credentials.inputs",
    "parse_android_credentials": "pushgate.credentials.inputs",
    "parse_ios_credentials": "pushgate.credentials.inputs",
    "parse_mobile_app_credentials": "pushgate.credentials.inputs",
    "problems_from_validation_error": "pushgate.credentials.inputs",
    "FcmServiceAccountMetadata": "pushgate.credentials.metadata",
    "IosCertificateMetadata": "pushgate.credentials.metadata",
    "IosCredentialsMetadata": "pushgate.credentials.metadata",
    "IosTokenMetadata": "pushgate.credentials.metadata",
    "MobileAppCredentialsMetadata": "pushgate.credentials.metadata",
    "FcmServiceAccountSecret": "pushgate.credentials.secret_models",
    "IosCertificateSecret": "pushgate.credentials.secret_models",
    "IosTokenSecret": "pushgate.credentials.secret_models",
    "load_ios_secret": "pushgate.credentials.secret_models",
    "validate_ios_credentials": "pushgate.credentials.validation",
    "validate_mobile_app_credentials": "pushgate.credentials.validation",
    "validate_mobile_app_credentials_input": "pushgate.credentials.validation",
}


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


def __getattr__(name: str) -> Any:
    module = _EXPORTED_FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
