"""Fixtures for the credential tests: generated credentials and builders for deliberately wrong ones."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from pushgate.errors import InvalidRequestError
from pushgate_local.credentials import (
    ApnsAuthKey,
    ApnsPushCertificate,
    FcmServiceAccount,
    generate_apns_auth_key,
    generate_apns_certificate,
    generate_apns_development_certificate,
    generate_fcm_service_account,
    generate_test_certificate_authority,
)

BUNDLE_ID = "com.example.pushgate"
P12_PASSWORD = "Pa55-word-for-p12"


@pytest.fixture(scope="session")
def apns_key() -> ApnsAuthKey:
    return generate_apns_auth_key()


@pytest.fixture(scope="session")
def universal_certificate() -> ApnsPushCertificate:
    return generate_apns_certificate(BUNDLE_ID, password=P12_PASSWORD, authority=generate_test_certificate_authority())


@pytest.fixture(scope="session")
def development_certificate() -> ApnsPushCertificate:
    return generate_apns_development_certificate(BUNDLE_ID, password=P12_PASSWORD)


@pytest.fixture(scope="session")
def production_certificate() -> ApnsPushCertificate:
    return generate_apns_certificate(BUNDLE_ID, kind="production", password=P12_PASSWORD)


@pytest.fixture(scope="session")
def expired_certificate() -> ApnsPushCertificate:
    return generate_apns_certificate(
        BUNDLE_ID,
        password=P12_PASSWORD,
        not_valid_before=datetime(2023, 1, 1, tzinfo=UTC),
        not_valid_after=datetime(2024, 1, 31, 12, 0, tzinfo=UTC),
    )


@pytest.fixture(scope="session")
def service_account() -> FcmServiceAccount:
    return generate_fcm_service_account("pushgate-tests")


@pytest.fixture
def token_body(apns_key: ApnsAuthKey) -> Callable[..., dict[str, Any]]:
    def build(**overrides: Any) -> dict[str, Any]:
        body = {
            "AuthMode": "Token",
            "AppMode": "Sandbox",
            "BundleId": BUNDLE_ID,
            "TeamId": apns_key.team_id,
            "KeyId": apns_key.key_id,
            "SigningKey": apns_key.private_key_pem,
        }
        body.update(overrides)
        return {key: value for key, value in body.items() if value is not None}

    return build


@pytest.fixture
def certificate_body(universal_certificate: ApnsPushCertificate) -> Callable[..., dict[str, Any]]:
    def build(certificate: ApnsPushCertificate | None = None, **overrides: Any) -> dict[str, Any]:
        chosen = certificate or universal_certificate
        body = {
            "AuthMode": "Certificate",
            "AppMode": "Production",
            "BundleId": chosen.bundle_id,
            "Certificate": chosen.p12_base64,
            "CertificatePassword": chosen.password,
        }
        body.update(overrides)
        return {key: value for key, value in body.items() if value is not None}

    return build


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def build_certificate(
    key: rsa.RSAPrivateKey,
    *,
    common_name: str,
    user_id: str | None = None,
    extensions: Iterable[tuple[str, bytes]] = (),
    not_valid_before: datetime | None = None,
    not_valid_after: datetime | None = None,
) -> x509.Certificate:
    """A self-signed certificate with exactly the subject and raw extensions asked for."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if user_id is not None:
        attributes.insert(0, x509.NameAttribute(NameOID.USER_ID, user_id))
    name = x509.Name(attributes)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_valid_before or now - timedelta(days=1))
        .not_valid_after(not_valid_after or now + timedelta(days=30))
    )
    for oid, value in extensions:
        builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False)
    return builder.sign(key, hashes.SHA256())


def p12_base64(
    key: rsa.RSAPrivateKey | None,
    certificate: x509.Certificate | None,
    password: str = P12_PASSWORD,
    extra_certificates: list[x509.Certificate] | None = None,
) -> str:
    """Packs a key and certificate as a base64 .p12, the way the Certificate field carries it."""
    p12 = pkcs12.serialize_key_and_certificates(
        name=b"test",
        key=key,
        cert=certificate,
        cas=extra_certificates,
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
    )
    return base64.b64encode(p12).decode()


@pytest.fixture
def make_certificate() -> Callable[..., x509.Certificate]:
    return build_certificate


@pytest.fixture
def make_p12_base64() -> Callable[..., str]:
    return p12_base64


@pytest.fixture
def custom_p12(rsa_key: rsa.RSAPrivateKey) -> Callable[..., str]:
    """Builds a base64 .p12 around a certificate made with :func:`build_certificate` options."""

    def build(**certificate_options: Any) -> str:
        return p12_base64(rsa_key, build_certificate(rsa_key, **certificate_options))

    return build


def problems_of(error: InvalidRequestError) -> dict[str, str]:
    """Maps each problem field to its sentence (the last one wins if a field has several)."""
    return {problem.field: problem.problem for problem in error.problems}


@pytest.fixture
def problem_map() -> Callable[[InvalidRequestError], dict[str, str]]:
    return problems_of
