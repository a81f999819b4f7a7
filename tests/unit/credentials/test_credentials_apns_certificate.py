"""Validation of APNs certificate-auth credentials: the .p12, its password, topics and environment."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pushgate.credentials._p12 import read_der_topics
from pushgate.credentials.apns_certificate import validate_ios_certificate_credentials
from pushgate.credentials.inputs import AppMode, IosCertificateCredentialsInput, parse_ios_credentials
from pushgate.credentials.metadata import IosCertificateMetadata
from pushgate.credentials.validation import validate_ios_credentials
from pushgate.errors import FieldProblem, InvalidRequestError
from pushgate_local.credentials import ApnsPushCertificate, generate_apns_certificate

APNS_DEVELOPMENT_OID = "1.2.840.113635.100.6.3.1"
APNS_PRODUCTION_OID = "1.2.840.113635.100.6.3.2"
APNS_TOPICS_OID = "1.2.840.113635.100.6.3.6"
DER_NULL = b"\x05\x00"


def _validate(body: dict[str, Any], now: datetime | None = None) -> IosCertificateMetadata:
    parsed = parse_ios_credentials(body)
    assert isinstance(parsed, IosCertificateCredentialsInput)
    return validate_ios_certificate_credentials(parsed, now=now)


def _problems(body: dict[str, Any], now: datetime | None = None) -> list[FieldProblem]:
    with pytest.raises(InvalidRequestError) as caught:
        _validate(body, now)
    return caught.value.problems


def test_validate_certificate_returns_metadata(
    certificate_body: Callable[..., dict[str, Any]], universal_certificate: ApnsPushCertificate
) -> None:
    metadata = _validate(certificate_body())

    certificate = universal_certificate.certificate
    assert metadata.bundle_id == "com.example.pushgate"
    assert metadata.app_mode is AppMode.PRODUCTION
    assert metadata.topics == [
        "com.example.pushgate",
        "com.example.pushgate.voip",
        "com.example.pushgate.complication",
    ]
    assert metadata.compatible_app_modes == [AppMode.SANDBOX, AppMode.PRODUCTION]
    assert metadata.not_valid_after == certificate.not_valid_after_utc
    assert metadata.not_valid_before == certificate.not_valid_before_utc
    assert "CN=Apple Push Services: com.example.pushgate" in metadata.subject
    assert "UID=com.example.pushgate" in metadata.subject
    assert metadata.issuer == "CN=Pushgate Test Push CA"
    assert (
        metadata.certificate_sha256 == hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    )


def test_validate_ios_credentials_dispatches_certificate_mode(certificate_body: Callable[..., dict[str, Any]]) -> None:
    assert isinstance(validate_ios_credentials(parse_ios_credentials(certificate_body())), IosCertificateMetadata)


def test_validate_certificate_without_bundle_id_takes_the_certificate_topic(
    certificate_body: Callable[..., dict[str, Any]],
) -> None:
    assert _validate(certificate_body(BundleId=None)).bundle_id == "com.example.pushgate"


def test_validate_certificate_accepts_a_related_topic_as_bundle_id(
    certificate_body: Callable[..., dict[str, Any]],
) -> None:
    assert _validate(certificate_body(BundleId="com.example.pushgate.voip")).bundle_id == "com.example.pushgate.voip"


def test_validate_certificate_bundle_id_mismatch_names_the_certificate_topics(
    certificate_body: Callable[..., dict[str, Any]],
) -> None:
    (problem,) = _problems(certificate_body(BundleId="com.other.app"))

    assert problem.field == "Ios.BundleId"
    assert problem.problem.startswith("is 'com.other.app', but the certificate is for 'com.example.pushgate'")


def test_validate_certificate_malformed_bundle_id_is_reported(certificate_body: Callable[..., dict[str, Any]]) -> None:
    problems = _problems(certificate_body(BundleId="pushgate"))

    assert [p.field for p in problems] == ["Ios.BundleId", "Ios.BundleId"]
    assert problems[0].problem.startswith("has only one label")


def test_validate_certificate_wrong_password_is_reported_on_the_password(
    certificate_body: Callable[..., dict[str, Any]],
) -> None:
    (problem,) = _problems(certificate_body(CertificatePassword="not-the-password"))

    assert problem.field == "Ios.CertificatePassword"
    assert problem.problem.startswith("does not open the .p12 file: the password is wrong")


def test_validate_certificate_missing_password_is_explained(certificate_body: Callable[..., dict[str, Any]]) -> None:
    (problem,) = _problems(certificate_body(CertificatePassword=None))

    assert problem.field == "Ios.CertificatePassword"
    assert problem.problem.startswith("is empty, but the .p12 file is protected by a password.")


def test_validate_certificate_p12_without_password_opens_with_empty_password(
    certificate_body: Callable[..., dict[str, Any]],
) -> None:
    unprotected = generate_apns_certificate("com.example.open", password="")

    metadata = _validate(certificate_body(unprotected, CertificatePassword=None))

    assert metadata.bundle_id == "com.example.open"


def test_validate_certificate_corrupt_file_is_reported_on_the_certificate(
    certificate_body: Callable[..., dict[str, Any]], universal_certificate: ApnsPushCertificate
) -> None:
    truncated = base64.b64encode(universal_certificate.p12[: len(universal_certificate.p12) // 2]).decode()

    (problem,) = _problems(certificate_body(Certificate=truncated))

    assert problem.field == "Ios.Certificate"
    assert problem.problem.startswith("is not a readable .p12 (PKCS #12) file: it is damaged, truncated")


def test_validate_certificate_not_base64_is_explained(certificate_body: Callable[..., dict[str, Any]]) -> None:
    (problem,) = _problems(certificate_body(Certificate="this is not base64!"))

    assert (problem.field, problem.problem.split(".")[0]) == ("Ios.Certificate", "is not valid base64")


def test_validate_certificate_pem_text_is_explained(
    certificate_body: Callable[..., dict[str, Any]], universal_certificate: ApnsPushCertificate
) -> None:
    (problem,) = _problems(certificate_body(Certificate=universal_certificate.certificate_pem))

    assert problem.problem.startswith("is PEM text, but Certificate must be the .p12")


def test_validate_certificate_base64_of_pem_file_is_explained(
    certificate_body: Callable[..., dict[str, Any]], universal_certificate: ApnsPushCertificate
) -> None:
    encoded_pem = base64.b64encode(universal_certificate.certificate_pem.encode()).decode()

    (problem,) = _problems(certificate_body(Certificate=encoded_pem))

    assert problem.problem.startswith("is base64 of PEM text, not of a .p12")


def test_validate_certificate_cer_file_without_key_is_explained(
    certificate_body: Callable[..., dict[str, Any]], universal_certificate: ApnsPushCertificate
) -> None:
    der = universal_certificate.certificate.public_bytes(serialization.Encoding.DER)

    (problem,) = _problems(certificate_body(Certificate=base64.b64encode(der).decode()))

    assert problem.problem.startswith("is a certificate file (.cer) without its private key.")


def test_certificate_to_secret_rejects_text_that_is_not_base64(
    certificate_body: Callable[..., dict[str, Any]],
) -> None:
    credentials = parse_ios_credentials(certificate_body(Certificate="not base64!"))

    with pytest.raises(InvalidRequestError) as caught:
        credentials.to_secret()

    assert [p.field for p in caught.value.problems] == ["Ios.Certificate"]


def test_validate_certificate_empty_is_explained(certificate_body: Callable[..., dict[str, Any]]) -> None:
    (problem,) = _problems(certificate_body(Certificate=""))

    assert problem.problem.startswith("is empty.")


@pytest.mark.parametrize(
    "encode",
    [
        lambda data: base64.encodebytes(data).decode(),
        lambda data: base64.urlsafe_b64encode(data).decode().rstrip("="),
        lambda data: "data:application/x-pkcs12;base64," + base64.b64encode(data).decode(),
    ],
    ids=["wrapped-lines", "url-safe-unpadded", "data-url"],
)
def test_validate_certificate_accepts_common_base64_variants(
    certificate_body: Callable[..., dict[str, Any]],
    universal_certificate: ApnsPushCertificate,
    encode: Callable[[bytes], str],
) -> None:
    body = certificate_body(Certificate=encode(universal_certificate.p12))

    assert _validate(body).bundle_id == "com.example.pushgate"
    assert parse_ios_credentials(body).to_secret().p12.get_secret_value() == universal_certificate.p12  # type: ignore[union-attr]


def test_validate_certificate_expired_reports_the_expiry_date(
    certificate_body: Callable[..., dict[str, Any]], expired_certificate: ApnsPushCertificate
) -> None:
    (problem,) = _problems(certificate_body(expired_certificate))

    assert problem.field == "Ios.Certificate"
    assert problem.problem.startswith("expired on 2024-01-31 12:00 UTC.")


def test_validate_certificate_expiry_uses_the_given_time(
    certificate_body: Callable[..., dict[str, Any]], universal_certificate: ApnsPushCertificate
) -> None:
    after_expiry = universal_certificate.certificate.not_valid_after_utc + timedelta(seconds=1)

    (problem,) = _problems(certificate_body(), now=after_expiry)

    assert problem.problem.startswith("expired on")


def test_validate_certificate_not_yet_valid_is_reported(
    certificate_body: Callable[..., dict[str, Any]], universal_certificate: ApnsPushCertificate
) -> None:
    before_start = universal_certificate.certificate.not_valid_before_utc - timedelta(days=1)

    (problem,) = _problems(certificate_body(), now=before_start)

    assert problem.problem.startswith("is not valid until")


def test_validate_development_certificate_works_only_with_sandbox(
    certificate_body: Callable[..., dict[str, Any]], development_certificate: ApnsPushCertificate
) -> None:
    metadata = _validate(certificate_body(development_certificate, AppMode="Sandbox"))
    assert metadata.compatible_app_modes == [AppMode.SANDBOX]

    (problem,) = _problems(certificate_body(development_certificate, AppMode="Production"))
    assert problem.field == "Ios.AppMode"
    assert problem.problem.startswith(
        "is 'Production', but the certificate is an 'Apple Development IOS Push Services' certificate, "
        "which works only with 'Sandbox'."
    )


def test_validate_production_only_certificate_rejects_sandbox(
    certificate_body: Callable[..., dict[str, Any]], production_certificate: ApnsPushCertificate
) -> None:
    (problem,) = _problems(certificate_body(production_certificate, AppMode="Sandbox"))

    assert problem.field == "Ios.AppMode"
    assert "works only with 'Production'" in problem.problem


def test_validate_universal_certificate_works_with_sandbox(certificate_body: Callable[..., dict[str, Any]]) -> None:
    assert _validate(certificate_body(AppMode="Sandbox")).app_mode is AppMode.SANDBOX


def test_validate_certificate_that_is_not_an_apple_push_certificate_is_rejected(
    certificate_body: Callable[..., dict[str, Any]],
    make_certificate: Callable[..., x509.Certificate],
    make_p12_base64: Callable[..., str],
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    tls_certificate = make_certificate(rsa_key, common_name="www.example.com")

    (problem,) = _problems(certificate_body(Certificate=make_p12_base64(rsa_key, tls_certificate), BundleId=None))

    assert problem.field == "Ios.Certificate"
    assert problem.problem.startswith("is not an Apple push certificate (subject: CN=www.example.com).")


def test_validate_certificate_topic_from_common_name_when_no_uid(
    certificate_body: Callable[..., dict[str, Any]],
    make_certificate: Callable[..., x509.Certificate],
    make_p12_base64: Callable[..., str],
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    certificate = make_certificate(rsa_key, common_name="Apple Push Services: com.example.cn")

    metadata = _validate(certificate_body(Certificate=make_p12_base64(rsa_key, certificate), BundleId=None))

    assert (metadata.bundle_id, metadata.topics) == ("com.example.cn", ["com.example.cn"])


@pytest.mark.parametrize(
    ("oids", "compatible"),
    [
        ([APNS_DEVELOPMENT_OID], [AppMode.SANDBOX]),
        ([APNS_PRODUCTION_OID], [AppMode.PRODUCTION]),
        ([APNS_DEVELOPMENT_OID, APNS_PRODUCTION_OID], [AppMode.SANDBOX, AppMode.PRODUCTION]),
    ],
)
def test_validate_certificate_environment_from_apple_extensions(
    certificate_body: Callable[..., dict[str, Any]],
    custom_p12: Callable[..., str],
    oids: list[str],
    compatible: list[AppMode],
) -> None:
    p12 = custom_p12(common_name="Custom name", user_id="com.example.ext", extensions=[(oid, DER_NULL) for oid in oids])
    body = certificate_body(Certificate=p12, AppMode=compatible[0].value, BundleId=None)

    assert _validate(body).compatible_app_modes == compatible


def test_validate_certificate_without_any_topic_requires_bundle_id(
    certificate_body: Callable[..., dict[str, Any]],
    make_certificate: Callable[..., x509.Certificate],
    make_p12_base64: Callable[..., str],
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    certificate = make_certificate(rsa_key, common_name="Custom name", extensions=[(APNS_PRODUCTION_OID, DER_NULL)])
    p12 = make_p12_base64(rsa_key, certificate)

    (problem,) = _problems(certificate_body(Certificate=p12, BundleId=None))
    assert problem.field == "Ios.BundleId"
    assert problem.problem.startswith("is required: the certificate names no topic")

    assert _validate(certificate_body(Certificate=p12, BundleId="com.example.given")).topics == []


def test_validate_certificate_p12_without_private_key_is_explained(
    certificate_body: Callable[..., dict[str, Any]],
    universal_certificate: ApnsPushCertificate,
    make_p12_base64: Callable[..., str],
) -> None:
    (problem,) = _problems(certificate_body(Certificate=make_p12_base64(None, universal_certificate.certificate)))

    assert problem.field == "Ios.Certificate"
    assert problem.problem.startswith("holds no private key, only certificates")


def test_validate_certificate_p12_without_certificate_is_explained(
    certificate_body: Callable[..., dict[str, Any]], make_p12_base64: Callable[..., str], rsa_key: rsa.RSAPrivateKey
) -> None:
    (problem,) = _problems(certificate_body(Certificate=make_p12_base64(rsa_key, None)))

    assert problem.problem.startswith("holds no certificate, only a private key.")


def test_validate_certificate_p12_with_foreign_private_key_is_explained(
    certificate_body: Callable[..., dict[str, Any]],
    universal_certificate: ApnsPushCertificate,
    make_p12_base64: Callable[..., str],
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    # Given a .p12 whose only certificate belongs to another key (Keychain can export such a mix)
    p12 = make_p12_base64(rsa_key, None, extra_certificates=[universal_certificate.certificate])

    (problem,) = _problems(certificate_body(Certificate=p12))

    assert problem.problem.startswith("holds a private key that does not belong to its certificate.")


def test_validate_certificate_finds_the_identity_among_extra_certificates(
    certificate_body: Callable[..., dict[str, Any]],
    make_certificate: Callable[..., x509.Certificate],
    make_p12_base64: Callable[..., str],
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    push = make_certificate(rsa_key, common_name="Apple Push Services: com.example.extra", user_id="com.example.extra")

    p12 = make_p12_base64(rsa_key, None, extra_certificates=[push])

    metadata = _validate(certificate_body(Certificate=p12, BundleId="com.example.extra"))

    assert metadata.topics == ["com.example.extra"]


def test_validate_certificate_reports_every_problem_at_once(
    certificate_body: Callable[..., dict[str, Any]], development_certificate: ApnsPushCertificate
) -> None:
    late = development_certificate.certificate.not_valid_after_utc + timedelta(days=1)

    problems = _problems(certificate_body(development_certificate, AppMode="Production", BundleId="com.x.y"), now=late)

    assert [p.field for p in problems] == ["Ios.Certificate", "Ios.BundleId", "Ios.AppMode"]


def test_read_der_topics_reads_strings_and_skips_kind_sequences() -> None:
    value = b"\x30\x13" + b"\x0c\x03a.b" + b"\x30\x05\x0c\x03app" + b"\x0c\x05a.b.v"

    assert read_der_topics(value) == ["a.b", "a.b.v"]


def test_read_der_topics_reads_long_form_lengths() -> None:
    topic = b"com." + b"a" * 200
    element = b"\x0c\x81" + bytes([len(topic)]) + topic
    value = b"\x30\x81" + bytes([len(element)]) + element

    assert read_der_topics(value) == [topic.decode()]


@pytest.mark.parametrize(
    "value",
    [b"", b"\x04\x00", b"\x30\x05\x0c\x03a.b!", b"\x30\x80\x00\x00", b"\x30\x03\x0c\x05a.b", b"\x30\x03\x0c\x01\xff"],
    ids=["empty", "not-a-sequence", "trailing-bytes", "indefinite-length", "element-overflow", "bad-utf8"],
)
def test_read_der_topics_rejects_malformed_values(value: bytes) -> None:
    assert read_der_topics(value) is None


def test_validate_certificate_ignores_an_unreadable_topics_extension(
    certificate_body: Callable[..., dict[str, Any]],
    make_certificate: Callable[..., x509.Certificate],
    make_p12_base64: Callable[..., str],
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    certificate = make_certificate(
        rsa_key,
        common_name="Apple Push Services: com.example.app",
        user_id="com.example.app",
        extensions=[(APNS_TOPICS_OID, b"\x30\x10garbage")],
    )

    metadata = _validate(certificate_body(Certificate=make_p12_base64(rsa_key, certificate), BundleId=None))

    assert metadata.topics == ["com.example.app"]
