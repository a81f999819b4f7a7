"""Throw-away provider credentials for tests, the demo and the provider simulator.

Everything is generated at run time with ``cryptography``; no key material is ever committed.
The shapes match what Apple and Google hand out (an APNs .p8 auth key, an APNs .p12 push
certificate, an FCM service-account key file), so the same validation and signing code runs
against them. Each result also carries the public key as PEM, which the simulator registers
(``POST /sim/keys``) to check signatures.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pushgate.credentials.inputs import DEFAULT_GOOGLE_TOKEN_URI

ApnsCertificateKind = Literal["universal", "development", "production"]

_APPLE_ID_ALPHABET = string.ascii_uppercase + string.digits
_APNS_TOPICS_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.3.6")
_APNS_DEVELOPMENT_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.3.1")
_APNS_PRODUCTION_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.3.2")
_DER_NULL = b"\x05\x00"
_DER_LONG_LENGTH_FLAG = 0x80

# Subject common-name prefix and environment markers of each kind of Apple push certificate.
_CERTIFICATE_KINDS: dict[str, tuple[str, tuple[x509.ObjectIdentifier, ...]]] = {
    "universal": ("Apple Push Services", (_APNS_DEVELOPMENT_OID, _APNS_PRODUCTION_OID)),
    "development": ("Apple Development IOS Push Services", (_APNS_DEVELOPMENT_OID,)),
    "production": ("Apple Production IOS Push Services", (_APNS_PRODUCTION_OID,)),
}
# Apple lists the app topic and its related topics, each followed by a SEQUENCE naming its kind.
_RELATED_TOPIC_SUFFIXES = (("", "app"), (".voip", "voip"), (".complication", "complication"))


def random_apple_id() -> str:
    """Generates an ID shaped like Apple's Key IDs and Team IDs.

    Returns:
        Ten random upper-case letters and digits.
    """
    return "".join(secrets.choice(_APPLE_ID_ALPHABET) for _ in range(10))


@dataclass(frozen=True)
class ApnsAuthKey:
    """An APNs token-auth key, as downloaded from the Apple Developer account.

    Attributes:
        key_id: The 10-character Key ID (JWT ``kid``).
        team_id: The 10-character Team ID (JWT ``iss``).
        private_key_pem: The .p8 contents: PKCS#8 PEM, EC P-256.
        public_key_pem: The matching public key (SubjectPublicKeyInfo PEM), for the simulator.
    """

    key_id: str
    team_id: str
    private_key_pem: str = field(repr=False)
    public_key_pem: str

    @property
    def file_name(self) -> str:
        """The name Apple gives the downloaded file."""
        return f"AuthKey_{self.key_id}.p8"


@dataclass(frozen=True)
class TestCertificateAuthority:
    """A local CA that signs generated push certificates, standing in for Apple's WWDR CA.

    Attributes:
        certificate: The self-signed CA certificate.
        private_key: The CA's signing key.
    """

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey = field(repr=False)

    @property
    def certificate_pem(self) -> str:
        """The CA certificate as PEM, for trust stores."""
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass(frozen=True)
class ApnsPushCertificate:
    """An APNs client certificate with its key, packed as a .p12 the way Keychain Access exports it.

    Attributes:
        bundle_id: The app topic in the certificate (subject UID and CN suffix).
        kind: ``universal`` (Sandbox and Production), ``development`` or ``production``.
        password: The .p12 password (empty for none).
        p12: The .p12 file bytes.
        certificate: The push certificate.
        private_key_pem: The certificate's private key, PKCS#8 PEM.
        public_key_pem: The certificate's public key, for the simulator.
        ca_certificate_pem: The issuing test CA's certificate, or ``None`` when self-signed.
    """

    bundle_id: str
    kind: ApnsCertificateKind
    password: str = field(repr=False)
    p12: bytes = field(repr=False)
    certificate: x509.Certificate
    private_key_pem: str = field(repr=False)
    public_key_pem: str
    ca_certificate_pem: str | None

    @property
    def p12_base64(self) -> str:
        """The .p12 encoded as base64, as the ``Certificate`` field expects."""
        return base64.b64encode(self.p12).decode("ascii")

    @property
    def certificate_pem(self) -> str:
        """The push certificate as PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def topics(self) -> list[str]:
        """Every topic the certificate names (app, VoIP, complication)."""
        return [self.bundle_id + suffix for suffix, _ in _RELATED_TOPIC_SUFFIXES]


@dataclass(frozen=True)
class FcmServiceAccount:
    """An FCM service-account key file, as the Firebase console generates it.

    Attributes:
        project_id: The Firebase project.
        client_email: The service account's e-mail (OAuth assertion ``iss``).
        private_key_id: The key's ID (assertion ``kid``).
        private_key_pem: The RSA-2048 private key, PKCS#8 PEM.
        public_key_pem: The matching public key, for the simulator.
        token_uri: The OAuth token endpoint written into the file.
        client_id: The service account's numeric client ID.
    """

    project_id: str
    client_email: str
    private_key_id: str
    private_key_pem: str = field(repr=False)
    public_key_pem: str
    token_uri: str
    client_id: str

    @property
    def info(self) -> dict[str, str]:
        """The key file's JSON object, with the fields and order Google uses."""
        account_name = self.client_email.split("@", 1)[0]
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.private_key_id,
            "private_key": self.private_key_pem,
            "client_email": self.client_email,
            "client_id": self.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": (
                f"https://www.googleapis.com/robot/v1/metadata/x509/{account_name}%40{self.project_id}"
                ".iam.gserviceaccount.com"
            ),
            "universe_domain": "googleapis.com",
        }

    def to_json(self) -> str:
        """The key file's contents.

        Returns:
            The JSON text, indented as downloaded from the Firebase console.
        """
        return json.dumps(self.info, indent=2)


def generate_apns_auth_key(*, key_id: str | None = None, team_id: str | None = None) -> ApnsAuthKey:
    """Generates an APNs auth key (.p8).

    Args:
        key_id: Key ID to use; random when omitted.
        team_id: Team ID to use; random when omitted.

    Returns:
        The key with its IDs and public key.
    """
    private_key = ec.generate_private_key(ec.SECP256R1())
    return ApnsAuthKey(
        key_id=key_id or random_apple_id(),
        team_id=team_id or random_apple_id(),
        private_key_pem=_pkcs8_pem(private_key),
        public_key_pem=_public_pem(private_key.public_key()),
    )


def self_signed_ca_certificate(
    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, common_name: str, *, valid_for: timedelta
) -> x509.Certificate:
    """A self-signed CA certificate (signs certificates and CRLs, no intermediates below it).

    Args:
        private_key: The CA's key.
        common_name: The CA's subject common name.
        valid_for: Validity from now (it starts a day ago, to tolerate clock skew).

    Returns:
        The certificate.
    """
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + valid_for)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
        .sign(private_key, hashes.SHA256())
    )


def generate_test_certificate_authority(common_name: str = "Pushgate Test Push CA") -> TestCertificateAuthority:
    """Generates a self-signed CA for signing test push certificates.

    Args:
        common_name: The CA's subject common name.

    Returns:
        The CA certificate and key, valid for ten years from now.
    """
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = self_signed_ca_certificate(private_key, common_name, valid_for=timedelta(days=3650))
    return TestCertificateAuthority(certificate=certificate, private_key=private_key)


def generate_apns_certificate(
    bundle_id: str = "com.example.pushgate",
    *,
    kind: ApnsCertificateKind = "universal",
    password: str | None = None,
    team_id: str | None = None,
    not_valid_before: datetime | None = None,
    not_valid_after: datetime | None = None,
    expired: bool = False,
    authority: TestCertificateAuthority | None = None,
    include_topics_extension: bool = True,
) -> ApnsPushCertificate:
    """Generates an APNs push certificate and packs it with its key as a .p12.

    Args:
        bundle_id: The app topic.
        kind: ``universal`` ("Apple Push Services", Sandbox and Production), ``development``
            ("Apple Development IOS Push Services", Sandbox only) or ``production``.
        password: The .p12 password; random when omitted, empty for a .p12 without one.
        team_id: Team ID for the subject's OU; random when omitted.
        not_valid_before: Start of validity; defaults to a day ago (a year and a day ago when expired).
        not_valid_after: End of validity; defaults to a year from now (a day ago when expired).
        expired: Make a certificate whose validity already ended.
        authority: CA to sign with; the certificate is self-signed when omitted.
        include_topics_extension: Add Apple's topics extension (app, VoIP and complication topics).

    Returns:
        The certificate, its .p12 and its public key.
    """
    now = datetime.now(UTC)
    if expired:
        default_start, default_end = now - timedelta(days=366), now - timedelta(days=1)
    else:
        default_start, default_end = now - timedelta(days=1), now + timedelta(days=365)
    start = not_valid_before or default_start
    end = not_valid_after or default_end
    p12_password = secrets.token_urlsafe(12) if password is None else password
    common_name_prefix, environment_oids = _CERTIFICATE_KINDS[kind]
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.USER_ID, bundle_id),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name_prefix}: {bundle_id}"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, team_id or random_apple_id()),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pushgate Test Developer"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(authority.certificate.subject if authority else subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    for oid in environment_oids:
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, _DER_NULL), critical=False)
    if include_topics_extension and kind == "universal":
        builder = builder.add_extension(
            x509.UnrecognizedExtension(_APNS_TOPICS_OID, _topics_extension_value(bundle_id)), critical=False
        )
    certificate = builder.sign(authority.private_key if authority else private_key, hashes.SHA256())
    encryption = (
        serialization.BestAvailableEncryption(p12_password.encode("utf-8"))
        if p12_password
        else serialization.NoEncryption()
    )
    p12 = pkcs12.serialize_key_and_certificates(
        name=f"{common_name_prefix}: {bundle_id}".encode(),
        key=private_key,
        cert=certificate,
        cas=[authority.certificate] if authority else None,
        encryption_algorithm=encryption,
    )
    return ApnsPushCertificate(
        bundle_id=bundle_id,
        kind=kind,
        password=p12_password,
        p12=p12,
        certificate=certificate,
        private_key_pem=_pkcs8_pem(private_key),
        public_key_pem=_public_pem(private_key.public_key()),
        ca_certificate_pem=authority.certificate_pem if authority else None,
    )


def generate_apns_development_certificate(
    bundle_id: str = "com.example.pushgate",
    *,
    password: str | None = None,
    expired: bool = False,
    authority: TestCertificateAuthority | None = None,
) -> ApnsPushCertificate:
    """Generates a development push certificate ("Apple Development IOS Push Services"), Sandbox only.

    Args:
        bundle_id: The app topic.
        password: The .p12 password; random when omitted, empty for a .p12 without one.
        expired: Make a certificate whose validity already ended.
        authority: CA to sign with; the certificate is self-signed when omitted.

    Returns:
        The certificate, its .p12 and its public key.
    """
    return generate_apns_certificate(
        bundle_id, kind="development", password=password, expired=expired, authority=authority
    )


def generate_fcm_service_account(
    project_id: str = "pushgate-demo",
    *,
    token_uri: str = DEFAULT_GOOGLE_TOKEN_URI,
    client_email: str | None = None,
) -> FcmServiceAccount:
    """Generates an FCM service-account key with a fresh RSA-2048 key.

    Args:
        project_id: The Firebase project ID.
        token_uri: The OAuth token endpoint (point it at the simulator for local runs).
        client_email: The service account's e-mail; a Firebase Admin SDK style one when omitted.

    Returns:
        The service account, its key file and its public key.
    """
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))
    return FcmServiceAccount(
        project_id=project_id,
        client_email=client_email or f"firebase-adminsdk-{suffix}@{project_id}.iam.gserviceaccount.com",
        private_key_id=secrets.token_hex(20),
        private_key_pem=_pkcs8_pem(private_key),
        public_key_pem=_public_pem(private_key.public_key()),
        token_uri=token_uri,
        client_id=str(secrets.randbelow(10**21)).zfill(21),
    )


def _pkcs8_pem(private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _public_pem(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(
        "ascii"
    )


def _topics_extension_value(bundle_id: str) -> bytes:
    elements = b"".join(
        _der(0x0C, (bundle_id + suffix).encode("utf-8")) + _der(0x30, _der(0x0C, topic_kind.encode("ascii")))
        for suffix, topic_kind in _RELATED_TOPIC_SUFFIXES
    )
    return _der(0x30, elements)


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < _DER_LONG_LENGTH_FLAG:
        return bytes([tag, length]) + content
    length_bytes = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, _DER_LONG_LENGTH_FLAG | len(length_bytes)]) + length_bytes + content
