"""The local test-credential generators produce what Apple and Google would."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from pushgate_local.credentials import (
    generate_apns_auth_key,
    generate_apns_certificate,
    generate_apns_development_certificate,
    generate_fcm_service_account,
    generate_test_certificate_authority,
    random_apple_id,
)


def _public_der(pem: str) -> bytes:
    return serialization.load_pem_public_key(pem.encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_generate_apns_auth_key_is_a_p256_pkcs8_key_with_apple_shaped_ids() -> None:
    key = generate_apns_auth_key()

    private_key = serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
    assert key.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    assert isinstance(private_key.curve, ec.SECP256R1)
    assert _public_der(key.public_key_pem) == private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert re.fullmatch(r"[A-Z0-9]{10}", key.key_id)
    assert re.fullmatch(r"[A-Z0-9]{10}", key.team_id)
    assert key.file_name == f"AuthKey_{key.key_id}.p8"


def test_generate_apns_auth_key_keeps_given_ids() -> None:
    key = generate_apns_auth_key(key_id="KEY0000001", team_id="TEAM000001")

    assert (key.key_id, key.team_id) == ("KEY0000001", "TEAM000001")
    assert random_apple_id() != random_apple_id()


def test_generate_apns_certificate_signed_by_test_authority() -> None:
    authority = generate_test_certificate_authority()

    generated = generate_apns_certificate("com.example.signed", password="secret-pw", authority=authority)

    certificate = generated.certificate
    ca_key = authority.certificate.public_key()
    assert isinstance(ca_key, rsa.RSAPublicKey)
    assert certificate.signature_hash_algorithm is not None
    ca_key.verify(
        certificate.signature,
        certificate.tbs_certificate_bytes,
        padding.PKCS1v15(),
        certificate.signature_hash_algorithm,
    )
    assert certificate.issuer == authority.certificate.subject
    assert generated.ca_certificate_pem == authority.certificate_pem
    assert generated.topics == ["com.example.signed", "com.example.signed.voip", "com.example.signed.complication"]
    assert x509.ObjectIdentifier("1.2.840.113635.100.6.3.6") in {ext.oid for ext in certificate.extensions}


def test_generate_apns_certificate_p12_opens_with_its_password() -> None:
    generated = generate_apns_certificate("com.example.p12", password="secret-pw")

    opened = pkcs12.load_key_and_certificates(generated.p12, b"secret-pw")

    assert opened[1] == generated.certificate
    assert opened[0] is not None
    assert _public_der(generated.public_key_pem) == opened[0].public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    subject = generated.certificate.subject.rfc4514_string()
    assert "CN=Apple Push Services: com.example.p12" in subject
    assert "UID=com.example.p12" in subject


def test_generate_apns_certificate_random_password_by_default() -> None:
    first = generate_apns_certificate()
    second = generate_apns_certificate()

    assert first.password
    assert first.password != second.password


def test_generate_apns_certificate_validity_can_be_chosen_or_expired() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    end = datetime(2031, 1, 1, tzinfo=UTC)

    chosen = generate_apns_certificate(not_valid_before=start, not_valid_after=end)
    expired = generate_apns_certificate(expired=True)

    assert (chosen.certificate.not_valid_before_utc, chosen.certificate.not_valid_after_utc) == (start, end)
    assert expired.certificate.not_valid_after_utc < datetime.now(UTC)


def test_generate_apns_development_certificate_uses_apple_development_subject() -> None:
    generated = generate_apns_development_certificate("com.example.dev", password="")

    assert generated.kind == "development"
    assert "CN=Apple Development IOS Push Services: com.example.dev" in generated.certificate.subject.rfc4514_string()
    assert pkcs12.load_key_and_certificates(generated.p12, None)[1] == generated.certificate


def test_generate_fcm_service_account_has_google_shape_and_fresh_rsa_key() -> None:
    account = generate_fcm_service_account("demo-project", token_uri="https://127.0.0.1:9443/token")

    info = json.loads(account.to_json())
    private_key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    assert private_key.key_size == 2048
    assert info["type"] == "service_account"
    assert info["project_id"] == "demo-project"
    assert info["token_uri"] == "https://127.0.0.1:9443/token"
    assert info["client_email"].endswith("@demo-project.iam.gserviceaccount.com")
    assert re.fullmatch(r"[0-9a-f]{40}", info["private_key_id"])
    assert info == account.info
    assert _public_der(account.public_key_pem) == private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
