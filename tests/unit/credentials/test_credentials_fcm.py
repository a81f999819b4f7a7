"""Validation of FCM credentials: the service-account key file and the usual wrong uploads."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pushgate.credentials.fcm import validate_android_credentials
from pushgate.credentials.inputs import DEFAULT_GOOGLE_TOKEN_URI, parse_android_credentials
from pushgate.credentials.metadata import FcmServiceAccountMetadata
from pushgate.errors import FieldProblem, InvalidRequestError
from pushgate_local.credentials import FcmServiceAccount

DOCUMENT = "Android.ServiceAccountJson"


def _validate(service_account_json: object) -> FcmServiceAccountMetadata:
    return validate_android_credentials(parse_android_credentials({"ServiceAccountJson": service_account_json}))


def _problems(service_account_json: object) -> list[FieldProblem]:
    with pytest.raises(InvalidRequestError) as caught:
        _validate(service_account_json)
    return caught.value.problems


def _with(service_account: FcmServiceAccount, **changes: Any) -> dict[str, Any]:
    info: dict[str, Any] = dict(service_account.info)
    for name, value in changes.items():
        if value is None:
            info.pop(name, None)
        else:
            info[name] = value
    return info


def test_validate_service_account_returns_metadata(service_account: FcmServiceAccount) -> None:
    metadata = _validate(service_account.info)

    public_der = serialization.load_pem_public_key(service_account.public_key_pem.encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert metadata == FcmServiceAccountMetadata(
        project_id="pushgate-tests",
        client_email=service_account.client_email,
        private_key_id=service_account.private_key_id,
        token_uri=DEFAULT_GOOGLE_TOKEN_URI,
        public_key_sha256=hashlib.sha256(public_der).hexdigest(),
    )


def test_validate_service_account_given_as_json_string(service_account: FcmServiceAccount) -> None:
    assert _validate(service_account.to_json()).project_id == "pushgate-tests"


def test_validate_service_account_double_encoded_as_json_string(service_account: FcmServiceAccount) -> None:
    assert _validate(json.dumps(service_account.to_json())).project_id == "pushgate-tests"


def test_validate_service_account_without_token_uri_defaults_to_google(service_account: FcmServiceAccount) -> None:
    info = _with(service_account, token_uri=None)

    assert _validate(info).token_uri == DEFAULT_GOOGLE_TOKEN_URI
    secret = parse_android_credentials({"ServiceAccountJson": info}).to_secret()
    assert secret.service_account.get_secret_value()["token_uri"] == DEFAULT_GOOGLE_TOKEN_URI


def test_validate_service_account_without_private_key_id_is_accepted(service_account: FcmServiceAccount) -> None:
    assert _validate(_with(service_account, private_key_id=None)).private_key_id is None


@pytest.mark.parametrize(
    "token_uri", ["https://oauth2.googleapis.com/token", "https://127.0.0.1:8443/token", "http://localhost:9000/token"]
)
def test_validate_service_account_accepts_https_or_loopback_token_uri(
    service_account: FcmServiceAccount, token_uri: str
) -> None:
    assert _validate(_with(service_account, token_uri=token_uri)).token_uri == token_uri


@pytest.mark.parametrize("token_uri", ["http://oauth2.googleapis.com/token", "ftp://example.com/token", "not a url"])
def test_validate_service_account_rejects_insecure_token_uri(
    service_account: FcmServiceAccount, token_uri: str
) -> None:
    (problem,) = _problems(_with(service_account, token_uri=token_uri))

    assert problem.field == f"{DOCUMENT}.token_uri"
    assert problem.problem.startswith("must be an https URL")


def test_validate_google_services_json_is_explained() -> None:
    google_services = {
        "project_info": {"project_number": "123", "project_id": "my-app"},
        "client": [{"client_info": {"mobilesdk_app_id": "1:123:android:abc"}, "api_key": [{"current_key": "AIza"}]}],
        "configuration_version": "1",
    }

    (problem,) = _problems(google_services)

    assert problem.field == DOCUMENT
    assert problem.problem.startswith("is google-services.json")
    assert "Generate new private key" in problem.problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AAAAbc1De2F:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx7Kk", "is a legacy FCM server key."),
        ("AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "is a Google API key"),
        ("0123456789abcdef0123456789abcdef", "is a key string, not JSON."),
    ],
)
def test_validate_legacy_and_api_keys_are_explained(text: str, expected: str) -> None:
    (problem,) = _problems(text)

    assert problem.field == DOCUMENT
    assert problem.problem.startswith(expected)
    assert "2024" in problem.problem
    assert "HTTP v1" in problem.problem


def test_validate_pem_instead_of_service_account_is_explained(service_account: FcmServiceAccount) -> None:
    (problem,) = _problems(service_account.private_key_pem)

    assert problem.problem.startswith("is only a PEM private key")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"type": "service_account", "project_id": ', "is not valid JSON."),
        ("[1, 2]", "must be a JSON object (the service-account key file), not a JSON array."),
        ("42", "must be a JSON object (the service-account key file), not a JSON number."),
        ("true", "must be a JSON object (the service-account key file), not a JSON boolean."),
        ("null", "must be a JSON object (the service-account key file), not a JSON null."),
        ("", "is empty."),
    ],
)
def test_validate_text_that_is_not_a_json_object_is_explained(value: str, expected: str) -> None:
    (problem,) = _problems(value)

    assert problem.problem.startswith(expected)


@pytest.mark.parametrize(
    ("credential_type", "expected"),
    [
        ("authorized_user", "is 'authorized_user': this file holds a person's credentials"),
        ("external_account", "is 'external_account': this is a workload identity federation configuration"),
        ("impersonated_service_account", "is 'impersonated_service_account'"),
        ("external_account_authorized_user", "is 'external_account_authorized_user'"),
        ("user", "must be 'service_account'"),
        (7, "must be 'service_account'"),
    ],
)
def test_validate_other_credential_types_are_explained_alone(credential_type: object, expected: str) -> None:
    # Given a credential file of another kind, which lacks the service-account fields
    other = {"type": credential_type, "client_id": "x.apps.googleusercontent.com", "refresh_token": "1//0g"}

    # Then only the type is reported, not the noise of its missing fields
    (problem,) = _problems(other)
    assert problem.field == f"{DOCUMENT}.type"
    assert problem.problem.startswith(expected)


def test_validate_missing_type_is_reported_with_other_problems(service_account: FcmServiceAccount) -> None:
    problems = _problems(_with(service_account, type=None, project_id=None))

    assert [p.field for p in problems] == [f"{DOCUMENT}.type", f"{DOCUMENT}.project_id"]


def test_validate_missing_fields_are_all_reported(service_account: FcmServiceAccount) -> None:
    problems = _problems(_with(service_account, project_id=None, client_email=None, private_key=None))

    assert {p.field: p.problem.split(".")[0] for p in problems} == {
        f"{DOCUMENT}.project_id": "is missing",
        f"{DOCUMENT}.client_email": "is missing",
        f"{DOCUMENT}.private_key": "is missing",
    }


@pytest.mark.parametrize("field", ["project_id", "client_email", "private_key", "private_key_id", "token_uri"])
@pytest.mark.parametrize("value", [123, "", ["list"]])
def test_validate_non_string_fields_are_reported(service_account: FcmServiceAccount, field: str, value: object) -> None:
    (problem,) = _problems(_with(service_account, **{field: value}))

    assert problem.field == f"{DOCUMENT}.{field}"
    assert "non-empty string" in problem.problem


@pytest.mark.parametrize("project_id", ["My Project", "ab", "1project", "project-", "x" * 31])
def test_validate_malformed_project_id_is_reported(service_account: FcmServiceAccount, project_id: str) -> None:
    (problem,) = _problems(_with(service_account, project_id=project_id))

    assert problem.field == f"{DOCUMENT}.project_id"
    assert problem.problem.startswith("is not a Google Cloud project ID")


@pytest.mark.parametrize("project_id", ["my-project-123", "google.com:legacy-project"])
def test_validate_accepts_project_id_forms(service_account: FcmServiceAccount, project_id: str) -> None:
    assert _validate(_with(service_account, project_id=project_id)).project_id == project_id


@pytest.mark.parametrize(
    "client_email", ["someone@gmail.com", "not-an-email", "sa@project.iam.gserviceaccount.com.evil"]
)
def test_validate_non_service_account_email_is_reported(service_account: FcmServiceAccount, client_email: str) -> None:
    (problem,) = _problems(_with(service_account, client_email=client_email))

    assert problem.field == f"{DOCUMENT}.client_email"
    assert ".gserviceaccount.com" in problem.problem


def test_validate_malformed_private_key_id_is_reported(service_account: FcmServiceAccount) -> None:
    (problem,) = _problems(_with(service_account, private_key_id="abc def"))

    assert problem.field == f"{DOCUMENT}.private_key_id"


def test_validate_ec_private_key_is_explained(service_account: FcmServiceAccount) -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )

    (problem,) = _problems(_with(service_account, private_key=ec_pem))

    assert problem.field == f"{DOCUMENT}.private_key"
    assert problem.problem.startswith("is an EC private key on curve secp256r1, but service-account keys are RSA")


def test_validate_short_rsa_key_is_explained(service_account: FcmServiceAccount) -> None:
    short_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - a short key is the point
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )

    (problem,) = _problems(_with(service_account, private_key=short_pem))

    assert problem.problem.startswith("is an RSA private key (1024 bits); at least 2048 bits are needed.")


def test_validate_pkcs1_rsa_key_is_accepted(service_account: FcmServiceAccount, rsa_key: rsa.RSAPrivateKey) -> None:
    pkcs1 = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()

    assert _validate(_with(service_account, private_key=pkcs1)).project_id == "pushgate-tests"


def test_validate_truncated_private_key_is_explained(service_account: FcmServiceAccount) -> None:
    truncated = service_account.private_key_pem[:300]

    (problem,) = _problems(_with(service_account, private_key=truncated))

    assert problem.problem.startswith("is truncated")


def test_validate_certificate_as_private_key_is_explained(
    service_account: FcmServiceAccount, universal_certificate: Any
) -> None:
    (problem,) = _problems(_with(service_account, private_key=universal_certificate.certificate_pem))

    assert problem.problem.startswith("is a certificate, not a private key.")


def test_validate_private_key_with_escaped_newlines_is_accepted_and_normalised(
    service_account: FcmServiceAccount,
) -> None:
    # Given a key file whose private_key was escaped twice by a deployment script
    info = _with(service_account, private_key=service_account.private_key_pem.replace("\n", "\\n"))

    # When
    _validate(info)
    secret = parse_android_credentials({"ServiceAccountJson": info}).to_secret()

    # Then
    assert secret.service_account.get_secret_value()["private_key"] == service_account.private_key_pem


def test_validate_reports_every_field_problem_at_once(service_account: FcmServiceAccount) -> None:
    problems = _problems(
        _with(
            service_account,
            project_id="Bad Project",
            client_email="me@example.com",
            private_key="nope",
            token_uri="http://example.com",
        )
    )

    assert [p.field for p in problems] == [
        f"{DOCUMENT}.project_id",
        f"{DOCUMENT}.client_email",
        f"{DOCUMENT}.token_uri",
        f"{DOCUMENT}.private_key",
    ]


def test_android_to_secret_rejects_undecodable_text() -> None:
    credentials = parse_android_credentials({"ServiceAccountJson": "AAAAbc1De2F:APA91bHun4MxP5egoKMwt2"})

    with pytest.raises(InvalidRequestError) as caught:
        credentials.to_secret()

    assert caught.value.problems[0].field == DOCUMENT
