"""No secret value may show in a model's repr, str or dump, or in any error message."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from pushgate.credentials.inputs import (
    MAX_CREDENTIAL_FIELD_BYTES,
    AndroidCredentialsInput,
    parse_android_credentials,
    parse_ios_credentials,
    parse_mobile_app_credentials,
)
from pushgate.credentials.secret_models import (
    FcmServiceAccountSecret,
    IosCertificateSecret,
    IosTokenSecret,
    load_ios_secret,
)
from pushgate.credentials.validation import validate_mobile_app_credentials_input
from pushgate.errors import InvalidRequestError
from pushgate_local.credentials import ApnsAuthKey, ApnsPushCertificate, FcmServiceAccount


def _pem_body_lines(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


@pytest.fixture
def secret_values(
    apns_key: ApnsAuthKey, universal_certificate: ApnsPushCertificate, service_account: FcmServiceAccount
) -> list[str]:
    """Fragments that must never be visible: key material, the .p12 and its password."""
    p12_base64 = universal_certificate.p12_base64
    return [
        *_pem_body_lines(apns_key.private_key_pem),
        *_pem_body_lines(service_account.private_key_pem),
        *(p12_base64[start : start + 32] for start in range(0, len(p12_base64) - 32, 512)),
        universal_certificate.password,
        json.dumps(service_account.private_key_pem)[1:40],
    ]


def _renderings(model: BaseModel) -> Iterator[str]:
    yield repr(model)
    yield str(model)
    yield str(model.model_dump())
    yield str(model.model_dump(mode="json"))
    yield model.model_dump_json()
    yield str(model.__dict__)


def _assert_hidden(texts: Iterator[str] | list[str], secrets: list[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text


@pytest.fixture
def valid_models(
    token_body: Callable[..., dict[str, Any]],
    certificate_body: Callable[..., dict[str, Any]],
    service_account: FcmServiceAccount,
) -> list[BaseModel]:
    token = parse_ios_credentials(token_body())
    certificate = parse_ios_credentials(certificate_body())
    android = parse_android_credentials({"ServiceAccountJson": service_account.info})
    android_from_text = parse_android_credentials({"ServiceAccountJson": service_account.to_json()})
    body = parse_mobile_app_credentials({"Ios": token_body(), "Android": {"ServiceAccountJson": service_account.info}})
    return [
        token,
        certificate,
        android,
        android_from_text,
        body,
        token.to_secret(),
        certificate.to_secret(),
        android.to_secret(),
        validate_mobile_app_credentials_input(body),
    ]


def test_models_never_render_secret_values(valid_models: list[BaseModel], secret_values: list[str]) -> None:
    for model in valid_models:
        _assert_hidden(_renderings(model), secret_values)


def test_generated_credentials_repr_hides_private_material(
    apns_key: ApnsAuthKey,
    universal_certificate: ApnsPushCertificate,
    service_account: FcmServiceAccount,
    secret_values: list[str],
) -> None:
    _assert_hidden([repr(apns_key), repr(universal_certificate), repr(service_account)], secret_values)


def _error_texts(error: InvalidRequestError) -> list[str]:
    return [str(error), error.message, repr(error), *(problem.problem for problem in error.problems)]


@pytest.fixture
def failing_bodies(
    token_body: Callable[..., dict[str, Any]],
    certificate_body: Callable[..., dict[str, Any]],
    service_account: FcmServiceAccount,
    apns_key: ApnsAuthKey,
    universal_certificate: ApnsPushCertificate,
) -> list[dict[str, Any]]:
    """Bodies that fail in many different ways while carrying real secret material."""
    android_info = dict(service_account.info)
    p12 = universal_certificate.p12
    return [
        {"Ios": token_body(KeyId="bad", SigningKey=apns_key.private_key_pem[:150])},
        {"Ios": token_body(SigningKey=apns_key.private_key_pem + service_account.private_key_pem)},
        {"Ios": token_body(SigningKey=service_account.private_key_pem)},
        {"Ios": token_body(SigningKey=apns_key.private_key_pem.replace("-----BEGIN PRIVATE KEY-----", ""))},
        {"Ios": certificate_body(CertificatePassword="wrong " + universal_certificate.password)},
        {"Ios": certificate_body(Certificate=base64.b64encode(p12[:-40]).decode())},
        {"Ios": certificate_body(Certificate=universal_certificate.p12_base64 + "!!")},
        {"Ios": certificate_body(BundleId="com.other.app", AppMode="Bogus")},
        {"Ios": certificate_body(Surprise=universal_certificate.password)},
        {"Ios": {"AuthMode": "Secret", "SigningKey": apns_key.private_key_pem}},
        {"Android": {"ServiceAccountJson": {**android_info, "project_id": "Bad Id", "client_email": "x@y.z"}}},
        {"Android": {"ServiceAccountJson": {**android_info, "type": "authorized_user"}}},
        {"Android": {"ServiceAccountJson": json.dumps(android_info)[:-20]}},
        {"Android": {"ServiceAccountJson": service_account.private_key_pem}},
        {"Android": {"ServiceAccountJson": {**android_info, "padding": "x" * MAX_CREDENTIAL_FIELD_BYTES}}},
        {"Android": {"ServiceAccountJson": android_info, "ServerKey": service_account.private_key_pem}},
    ]


def test_error_messages_never_contain_secret_values(
    failing_bodies: list[dict[str, Any]], secret_values: list[str]
) -> None:
    for body in failing_bodies:
        with pytest.raises(InvalidRequestError) as caught:
            validate_mobile_app_credentials_input(parse_mobile_app_credentials(body))
        _assert_hidden(_error_texts(caught.value), secret_values)


def test_pydantic_errors_of_the_models_hide_their_input(
    service_account: FcmServiceAccount, secret_values: list[str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        AndroidCredentialsInput.model_validate(
            {"ServiceAccountJson": service_account.info, "Extra": service_account.private_key_pem}
        )

    _assert_hidden([str(caught.value), repr(caught.value)], secret_values)


def test_secrets_round_trip_through_their_stored_form(
    token_body: Callable[..., dict[str, Any]],
    certificate_body: Callable[..., dict[str, Any]],
    service_account: FcmServiceAccount,
    apns_key: ApnsAuthKey,
    universal_certificate: ApnsPushCertificate,
) -> None:
    token_secret = parse_ios_credentials(token_body()).to_secret()
    certificate_secret = parse_ios_credentials(certificate_body()).to_secret()
    android_secret = parse_android_credentials({"ServiceAccountJson": service_account.info}).to_secret()

    restored_token = load_ios_secret(token_secret.to_secret_string())
    restored_certificate = load_ios_secret(certificate_secret.to_secret_string())
    restored_android = FcmServiceAccountSecret.from_secret_string(android_secret.to_secret_string())

    assert isinstance(restored_token, IosTokenSecret)
    assert restored_token.signing_key_pem.get_secret_value() == apns_key.private_key_pem
    assert isinstance(restored_certificate, IosCertificateSecret)
    assert restored_certificate.p12.get_secret_value() == universal_certificate.p12
    assert restored_certificate.password.get_secret_value() == universal_certificate.password
    assert restored_android.service_account.get_secret_value() == service_account.info
