"""Validation of FCM HTTP v1 credentials (the service-account key file)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import JsonValue

from pushgate.credentials._pem import KeyPurpose, describe_key_type, public_key_sha256, read_private_key
from pushgate.credentials._problems import ProblemCollector
from pushgate.credentials._service_account import SERVICE_ACCOUNT_HOW_TO, decode_service_account_text
from pushgate.credentials.inputs import DEFAULT_GOOGLE_TOKEN_URI, AndroidCredentialsInput
from pushgate.credentials.metadata import FcmServiceAccountMetadata

#: RS256 as Google issues it; shorter keys are rejected by current JWT libraries.
MINIMUM_RSA_KEY_BITS = 2048

_SERVICE_ACCOUNT_KEY = KeyPurpose(
    description="the private_key of the service-account key file",
    how_to_get=f"Send the key file exactly as Google generated it. {SERVICE_ACCOUNT_HOW_TO}",
)
# Project IDs are 6-30 characters; very old projects may carry a "domain.com:" prefix.
_PROJECT_ID = re.compile(r"^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_SERVICE_ACCOUNT_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9.-]+\.gserviceaccount\.com$")
_PRIVATE_KEY_ID = re.compile(r"^[A-Za-z0-9]+$")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# Credential files from the Google ecosystem that are not service-account keys, and what they are.
_WRONG_CREDENTIAL_TYPES = {
    "authorized_user": (
        "is 'authorized_user': this file holds a person's credentials (from gcloud auth application-default "
        "login), not a service-account key."
    ),
    "external_account": (
        "is 'external_account': this is a workload identity federation configuration, which holds no key "
        "Pushgate can sign with."
    ),
    "impersonated_service_account": (
        "is 'impersonated_service_account': this file holds a person's credentials used to impersonate a "
        "service account, not the service account's own key."
    ),
    "external_account_authorized_user": (
        "is 'external_account_authorized_user': this file holds a workforce identity user's credentials, not a "
        "service-account key."
    ),
}


def validate_android_credentials(
    credentials: AndroidCredentialsInput, *, prefix: str = "Android"
) -> FcmServiceAccountMetadata:
    """Checks an FCM service-account key file without contacting Google.

    Args:
        credentials: The parsed ``Android`` object.
        prefix: Dotted path of the object in the request, used in problem fields.

    Returns:
        The key's non-secret metadata.

    Raises:
        InvalidRequestError: Listing every problem found.
    """
    problems = ProblemCollector(prefix)
    document_path = problems.path("ServiceAccountJson")
    info = decode_service_account_text(credentials.service_account_json.get_secret_value())
    if isinstance(info, str):
        problems.add(document_path, info)
        problems.raise_all()
    if "project_info" in info or "client" in info:
        problems.add(
            document_path,
            "is google-services.json (the Android app's Firebase configuration, which goes into the app), not a "
            f"service-account key. {SERVICE_ACCOUNT_HOW_TO}",
        )
        problems.raise_all()
    _check_credential_type(info, problems, document_path)

    project_id = _required_text(info, "project_id", problems, document_path)
    if project_id and not _PROJECT_ID.match(project_id):
        problems.add(
            f"{document_path}.project_id",
            "is not a Google Cloud project ID (6 to 30 lower-case letters, digits and hyphens, starting with a "
            "letter). Send the key file unchanged; the project ID is also shown in the Firebase console under "
            "Project settings.",
        )
    client_email = _required_text(info, "client_email", problems, document_path)
    if client_email and not _SERVICE_ACCOUNT_EMAIL.match(client_email):
        problems.add(
            f"{document_path}.client_email",
            "is not a service account's e-mail address (those end in .gserviceaccount.com, for example "
            "firebase-adminsdk-abc12@my-project.iam.gserviceaccount.com). Send the key file unchanged.",
        )
    private_key_id = _optional_text(info, "private_key_id", problems, document_path)
    if private_key_id is not None and not _PRIVATE_KEY_ID.match(private_key_id):
        problems.add(
            f"{document_path}.private_key_id",
            "must be the key's ID (40 hexadecimal characters in files Google generates). Send the key file unchanged.",
        )
    token_uri = _optional_text(info, "token_uri", problems, document_path) or DEFAULT_GOOGLE_TOKEN_URI
    token_uri_problem = _explain_token_uri(token_uri)
    if token_uri_problem:
        problems.add(f"{document_path}.token_uri", token_uri_problem)
    fingerprint = _private_key_fingerprint(info, problems, document_path)
    problems.raise_if_any()
    return FcmServiceAccountMetadata(
        project_id=project_id,
        client_email=client_email,
        private_key_id=private_key_id,
        token_uri=token_uri,
        public_key_sha256=fingerprint,
    )


def _check_credential_type(info: dict[str, JsonValue], problems: ProblemCollector, document_path: str) -> None:
    credential_type = info.get("type")
    type_path = f"{document_path}.type"
    if credential_type == "service_account":
        return
    if credential_type is None:
        problems.add(
            type_path,
            'is missing; a service-account key file has "type": "service_account". '
            f"Send the key file unchanged. {SERVICE_ACCOUNT_HOW_TO}",
        )
        return
    if isinstance(credential_type, str) and credential_type in _WRONG_CREDENTIAL_TYPES:
        # The whole file is the wrong kind, so its other fields would only add noise.
        problems.add(type_path, f"{_WRONG_CREDENTIAL_TYPES[credential_type]} {SERVICE_ACCOUNT_HOW_TO}")
        problems.raise_all()
    problems.add(type_path, f"must be 'service_account'; this is not a service-account key. {SERVICE_ACCOUNT_HOW_TO}")
    problems.raise_all()


def _required_text(info: dict[str, JsonValue], name: str, problems: ProblemCollector, document_path: str) -> str:
    value = info.get(name)
    if value is None:
        problems.add(f"{document_path}.{name}", f"is missing. Send the key file unchanged. {SERVICE_ACCOUNT_HOW_TO}")
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.add(f"{document_path}.{name}", "must be a non-empty string. Send the key file unchanged.")
        return ""
    return value.strip()


def _optional_text(info: dict[str, JsonValue], name: str, problems: ProblemCollector, document_path: str) -> str | None:
    value = info.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(f"{document_path}.{name}", "must be a non-empty string when present. Send the key file unchanged.")
        return None
    return value.strip()


def _explain_token_uri(token_uri: str) -> str | None:
    parts = urlsplit(token_uri)
    secure = parts.scheme == "https"
    # Plain HTTP is only acceptable for a token endpoint on this machine (the local provider simulator).
    local_http = parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS
    if (secure or local_http) and parts.hostname:
        return None
    return f"must be an https URL of the OAuth token endpoint (Google's is {DEFAULT_GOOGLE_TOKEN_URI})."


def _private_key_fingerprint(info: dict[str, JsonValue], problems: ProblemCollector, document_path: str) -> str:
    text = _required_text(info, "private_key", problems, document_path)
    if not text:
        return ""
    key_path = f"{document_path}.private_key"
    loaded = read_private_key(text, _SERVICE_ACCOUNT_KEY)
    if isinstance(loaded, str):
        problems.add(key_path, loaded)
        return ""
    if not isinstance(loaded.key, rsa.RSAPrivateKey):
        problems.add(
            key_path,
            f"is {describe_key_type(loaded.key)}, but service-account keys are RSA keys (RS256). "
            f"{_SERVICE_ACCOUNT_KEY.how_to_get}",
        )
        return ""
    if loaded.key.key_size < MINIMUM_RSA_KEY_BITS:
        problems.add(
            key_path,
            f"is {describe_key_type(loaded.key)}; at least {MINIMUM_RSA_KEY_BITS} bits are needed. "
            f"{_SERVICE_ACCOUNT_KEY.how_to_get}",
        )
        return ""
    return public_key_sha256(loaded.key.public_key())
