"""Validation of APNs token-auth credentials: the .p8 key and Apple's identifiers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from pushgate.credentials.apns_token import validate_ios_token_credentials
from pushgate.credentials.inputs import AppMode, IosTokenCredentialsInput, parse_ios_credentials
from pushgate.credentials.metadata import IosTokenMetadata
from pushgate.credentials.secret_models import IosTokenSecret
from pushgate.credentials.validation import validate_ios_credentials
from pushgate.errors import InvalidRequestError
from pushgate_local.credentials import ApnsAuthKey


def _validate(body: dict[str, Any]) -> IosTokenMetadata:
    parsed = parse_ios_credentials(body)
    assert isinstance(parsed, IosTokenCredentialsInput)
    return validate_ios_token_credentials(parsed)


def _signing_key_problem(body: dict[str, Any]) -> str:
    with pytest.raises(InvalidRequestError) as caught:
        _validate(body)
    (problem,) = caught.value.problems
    assert problem.field == "Ios.SigningKey"
    return problem.problem


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, **options: Any) -> str:
    private_format = options.get("private_format", serialization.PrivateFormat.PKCS8)
    encryption = options.get("encryption", serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, private_format, encryption).decode()


def test_validate_token_credentials_returns_metadata(
    token_body: Callable[..., dict[str, Any]], apns_key: ApnsAuthKey
) -> None:
    # When
    metadata = _validate(token_body(AppMode="Production"))

    # Then
    public_der = serialization.load_pem_public_key(apns_key.public_key_pem.encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert metadata == IosTokenMetadata(
        app_mode=AppMode.PRODUCTION,
        bundle_id="com.example.pushgate",
        team_id=apns_key.team_id,
        key_id=apns_key.key_id,
        public_key_sha256=hashlib.sha256(public_der).hexdigest(),
    )
    assert metadata.model_dump(mode="json") == {
        "AuthMode": "Token",
        "AppMode": "Production",
        "BundleId": "com.example.pushgate",
        "TeamId": apns_key.team_id,
        "KeyId": apns_key.key_id,
        "PublicKeySha256": metadata.public_key_sha256,
    }


def test_validate_ios_credentials_dispatches_token_mode(token_body: Callable[..., dict[str, Any]]) -> None:
    assert isinstance(validate_ios_credentials(parse_ios_credentials(token_body())), IosTokenMetadata)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abcde12345", "contains lower-case letters"),
        ("ABCDE1234", "has 9 characters"),
        ("ABCDE123456", "has 11 characters"),
        ("ABCDE-1234", "contains characters other than letters and digits"),
        ("ABCDÉ12345", "contains characters other than letters and digits"),
        ("", "is empty"),
    ],
)
@pytest.mark.parametrize("field", ["KeyId", "TeamId"])
def test_validate_token_ten_character_ids_are_checked(
    token_body: Callable[..., dict[str, Any]], field: str, value: str, expected: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        _validate(token_body(**{field: value}))

    (problem,) = caught.value.problems
    assert problem.field == f"Ios.{field}"
    assert problem.problem.startswith(expected)
    assert "10-character" in problem.problem


@pytest.mark.parametrize("bundle_id", ["com.example.app", "a.b", "com.example-corp.App2", "COM.EXAMPLE.APP.voip"])
def test_validate_token_accepts_reverse_dns_bundle_ids(
    token_body: Callable[..., dict[str, Any]], bundle_id: str
) -> None:
    assert _validate(token_body(BundleId=bundle_id)).bundle_id == bundle_id


@pytest.mark.parametrize(
    ("bundle_id", "expected"),
    [
        ("myapp", "has only one label"),
        ("com..app", "has an empty label"),
        (".com.app", "has an empty label"),
        ("com.app.", "has an empty label"),
        ("com.example_app", "contains characters other than letters, digits, hyphens and dots"),
        ("com.example app", "contains characters other than letters, digits, hyphens and dots"),
        ("", "is empty"),
    ],
)
def test_validate_token_rejects_malformed_bundle_ids(
    token_body: Callable[..., dict[str, Any]], bundle_id: str, expected: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        _validate(token_body(BundleId=bundle_id))

    (problem,) = caught.value.problems
    assert problem.field == "Ios.BundleId"
    assert problem.problem.startswith(expected)
    assert "reverse-DNS" in problem.problem


def test_validate_token_rsa_key_is_explained(
    token_body: Callable[..., dict[str, Any]], rsa_key: rsa.RSAPrivateKey
) -> None:
    problem = _signing_key_problem(token_body(SigningKey=_pem(rsa_key)))

    assert problem.startswith("is an RSA private key (2048 bits), but APNs signing keys are EC keys on curve P-256")


def test_validate_token_ec_key_on_other_curve_is_explained(token_body: Callable[..., dict[str, Any]]) -> None:
    problem = _signing_key_problem(token_body(SigningKey=_pem(ec.generate_private_key(ec.SECP384R1()))))

    assert problem.startswith("is an EC private key on curve secp384r1, but APNs requires curve P-256")


def test_validate_token_ed25519_key_is_explained(token_body: Callable[..., dict[str, Any]]) -> None:
    problem = _signing_key_problem(token_body(SigningKey=_pem(ed25519.Ed25519PrivateKey.generate())))

    assert problem.startswith("is an Ed25519 private key")


def test_validate_token_sec1_key_is_explained_with_conversion(token_body: Callable[..., dict[str, Any]]) -> None:
    sec1 = _pem(ec.generate_private_key(ec.SECP256R1()), private_format=serialization.PrivateFormat.TraditionalOpenSSL)

    problem = _signing_key_problem(token_body(SigningKey=sec1))

    assert "SEC1" in problem
    assert "openssl pkcs8 -topk8 -nocrypt" in problem


def test_validate_token_certificate_is_explained(
    token_body: Callable[..., dict[str, Any]], universal_certificate: Any
) -> None:
    problem = _signing_key_problem(token_body(SigningKey=universal_certificate.certificate_pem))

    assert problem.startswith("is a certificate, not a private key.")
    assert "AuthMode to 'Certificate'" in problem


def test_validate_token_public_key_is_explained(
    token_body: Callable[..., dict[str, Any]], apns_key: ApnsAuthKey
) -> None:
    problem = _signing_key_problem(token_body(SigningKey=apns_key.public_key_pem))

    assert problem.startswith("is a public key; the private key is needed.")


@pytest.mark.parametrize(
    "private_format",
    [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL],
    ids=["pkcs8-encrypted", "openssl-proc-type-encrypted"],
)
def test_validate_token_encrypted_key_is_explained(
    token_body: Callable[..., dict[str, Any]], private_format: serialization.PrivateFormat
) -> None:
    encrypted = _pem(
        ec.generate_private_key(ec.SECP256R1()),
        private_format=private_format,
        encryption=serialization.BestAvailableEncryption(b"passphrase"),
    )

    problem = _signing_key_problem(token_body(SigningKey=encrypted))

    assert problem.startswith("is an encrypted private key")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg", "is not PEM text."),
        ("AuthKey_ABCDE12345.p8", "looks like a file name."),
        ("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----", "is a certificate signing"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n-----END OPENSSH PRIVATE KEY-----", "is an OpenSSH key"),
        ("-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----", "is a PEM block of type 'X509 CRL'"),
    ],
)
def test_validate_token_non_key_text_is_explained(
    token_body: Callable[..., dict[str, Any]], text: str, expected: str
) -> None:
    assert _signing_key_problem(token_body(SigningKey=text)).startswith(expected)


def test_validate_token_end_line_before_begin_line_is_damaged(
    token_body: Callable[..., dict[str, Any]],
) -> None:
    reversed_markers = "-----END PRIVATE KEY-----\nMIGHAgEAMBMG\n-----BEGIN PRIVATE KEY-----\né"

    assert _signing_key_problem(token_body(SigningKey=reversed_markers)).startswith("could not be read")


def test_validate_token_empty_key_is_explained(token_body: Callable[..., dict[str, Any]]) -> None:
    assert _signing_key_problem(token_body(SigningKey="   ")).startswith("is empty.")


def test_validate_token_key_without_end_line_is_truncated(
    token_body: Callable[..., dict[str, Any]], apns_key: ApnsAuthKey
) -> None:
    truncated = apns_key.private_key_pem[: len(apns_key.private_key_pem) // 2]

    problem = _signing_key_problem(token_body(SigningKey=truncated))

    assert problem.startswith("is truncated: it has the '-----BEGIN PRIVATE KEY-----' line")


def test_validate_token_key_without_begin_line_is_truncated(
    token_body: Callable[..., dict[str, Any]], apns_key: ApnsAuthKey
) -> None:
    tail = apns_key.private_key_pem[len(apns_key.private_key_pem) // 2 :]

    assert _signing_key_problem(token_body(SigningKey=tail)).startswith("is truncated")


def test_validate_token_key_with_missing_middle_is_damaged(
    token_body: Callable[..., dict[str, Any]], apns_key: ApnsAuthKey
) -> None:
    lines = apns_key.private_key_pem.splitlines()
    damaged = "\n".join([lines[0], lines[1][:20], lines[-1]])

    assert _signing_key_problem(token_body(SigningKey=damaged)).startswith("could not be read")


def test_validate_token_key_with_invalid_base64_is_damaged(
    token_body: Callable[..., dict[str, Any]], apns_key: ApnsAuthKey
) -> None:
    lines = apns_key.private_key_pem.splitlines()
    damaged = "\n".join([lines[0], "!!!" + lines[1][3:], *lines[2:]])

    assert _signing_key_problem(token_body(SigningKey=damaged)).startswith("could not be read")


def test_validate_token_key_with_several_blocks_is_explained(
    token_body: Callable[..., dict[str, Any]], apns_key: ApnsAuthKey
) -> None:
    both = apns_key.private_key_pem + apns_key.public_key_pem

    problem = _signing_key_problem(token_body(SigningKey=both))

    assert problem.startswith("holds 2 PEM blocks (PRIVATE KEY, PUBLIC KEY)")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda pem: pem.replace("\n", "\r\n"),
        lambda pem: pem.replace("\n", "\\n"),
        lambda pem: pem.replace("\n", " "),
        lambda pem: "\n\n  " + pem + "\n\n",
    ],
    ids=["crlf", "escaped-newlines", "single-line", "padded"],
)
def test_validate_token_accepts_key_with_copy_paste_damage_and_stores_canonical_pem(
    token_body: Callable[..., dict[str, Any]], apns_key: ApnsAuthKey, mangle: Callable[[str], str]
) -> None:
    # Given a key whose line breaks were mangled in transit
    body = token_body(SigningKey=mangle(apns_key.private_key_pem))

    # When
    _validate(body)
    secret = parse_ios_credentials(body).to_secret()

    # Then the stored key is the canonical PEM Apple issued
    assert isinstance(secret, IosTokenSecret)
    assert secret.signing_key_pem.get_secret_value() == apns_key.private_key_pem


def test_validate_token_reports_every_problem_at_once(
    token_body: Callable[..., dict[str, Any]], rsa_key: rsa.RSAPrivateKey
) -> None:
    body = token_body(KeyId="short", TeamId="lowercase1", BundleId="app", SigningKey=_pem(rsa_key))

    with pytest.raises(InvalidRequestError) as caught:
        _validate(body)

    assert [p.field for p in caught.value.problems] == ["Ios.KeyId", "Ios.TeamId", "Ios.BundleId", "Ios.SigningKey"]
    assert caught.value.message.startswith("The credentials have 4 problems: 1) Ios.KeyId: has 5 characters")


def test_validate_token_uses_given_prefix(token_body: Callable[..., dict[str, Any]]) -> None:
    parsed = parse_ios_credentials(token_body(KeyId="bad"))
    assert isinstance(parsed, IosTokenCredentialsInput)

    with pytest.raises(InvalidRequestError) as caught:
        validate_ios_token_credentials(parsed, prefix="Apps.0.Ios")

    assert [p.field for p in caught.value.problems] == ["Apps.0.Ios.KeyId"]
