"""Validation of APNs certificate-auth credentials (.p12 file, password, Bundle ID, App mode)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from pushgate.credentials._apple_ids import explain_bundle_id
from pushgate.credentials._p12 import decode_p12_base64, read_der_topics
from pushgate.credentials._pem import public_key_sha256
from pushgate.credentials._problems import ProblemCollector
from pushgate.credentials.inputs import AppMode, IosCertificateCredentialsInput
from pushgate.credentials.metadata import IosCertificateMetadata

#: Apple's extension listing every topic of a certificate (app, VoIP, complication...).
APNS_TOPICS_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.3.6")
#: Apple's markers for the development (sandbox) and production APNs environments.
APNS_DEVELOPMENT_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.3.1")
APNS_PRODUCTION_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.3.2")

_BOTH_MODES = frozenset({AppMode.SANDBOX, AppMode.PRODUCTION})


@dataclass(frozen=True)
class _PushCertificateKind:
    common_name_prefix: str
    app_modes: frozenset[AppMode]


# The subject CN Apple gives each kind of push certificate; the text after the prefix is the topic.
_PUSH_CERTIFICATE_KINDS = (
    _PushCertificateKind("Apple Push Services: ", _BOTH_MODES),
    _PushCertificateKind("Apple Development IOS Push Services: ", frozenset({AppMode.SANDBOX})),
    _PushCertificateKind("Apple Production IOS Push Services: ", frozenset({AppMode.PRODUCTION})),
    _PushCertificateKind("Apple Development Mac Push Services: ", frozenset({AppMode.SANDBOX})),
    _PushCertificateKind("Apple Production Mac Push Services: ", frozenset({AppMode.PRODUCTION})),
)

_HOW_TO_GET_PUSH_CERTIFICATE = (
    "Create an 'Apple Push Notification service SSL (Sandbox & Production)' certificate for the app under "
    "Certificates, Identifiers & Profiles > Certificates, then export it together with its private key from "
    "Keychain Access as a .p12 file."
)


@dataclass(frozen=True)
class _PushCertificateFacts:
    """What the certificate says about itself; app_modes is None when it is not a push certificate.

    kind_name names the certificate in sentences, e.g. "an 'Apple Development IOS Push Services' certificate".
    """

    app_modes: frozenset[AppMode] | None
    kind_name: str
    topics: list[str]


def validate_ios_certificate_credentials(
    credentials: IosCertificateCredentialsInput, *, prefix: str = "Ios", now: datetime | None = None
) -> IosCertificateMetadata:
    """Checks APNs certificate-auth credentials without contacting Apple.

    Args:
        credentials: The parsed ``Ios`` object with ``AuthMode`` ``Certificate``.
        prefix: Dotted path of the object in the request, used in problem fields.
        now: The current time, for the expiry check; defaults to the clock.

    Returns:
        The certificate's non-secret metadata. When ``BundleId`` was omitted, the certificate's
        topic becomes the bundle ID.

    Raises:
        InvalidRequestError: Listing every problem found.
    """
    problems = ProblemCollector(prefix)
    moment = now or datetime.now(UTC)
    if credentials.bundle_id is not None:
        bundle_id_problem = explain_bundle_id(credentials.bundle_id)
        if bundle_id_problem:
            problems.add(problems.path("BundleId"), bundle_id_problem)

    opened = _open_p12(credentials, problems)
    certificate = _identity_certificate(opened, problems)
    _check_validity_period(certificate, moment, problems)
    facts = _push_certificate_facts(certificate)
    if facts.app_modes is None:
        problems.add(
            problems.path("Certificate"),
            f"is not an Apple push certificate (subject: {certificate.subject.rfc4514_string()}). "
            f"{_HOW_TO_GET_PUSH_CERTIFICATE}",
        )
    bundle_id = _bundle_id_for(credentials, facts, problems)
    if facts.app_modes is not None and credentials.app_mode not in facts.app_modes:
        (only_mode,) = facts.app_modes
        problems.add(
            problems.path("AppMode"),
            f"is '{credentials.app_mode.value}', but the certificate is {facts.kind_name}, which works only with "
            f"'{only_mode.value}'. Set AppMode to '{only_mode.value}', or upload an 'Apple Push Services' "
            "(Sandbox & Production) certificate.",
        )
    problems.raise_if_any()
    return IosCertificateMetadata(
        app_mode=credentials.app_mode,
        bundle_id=bundle_id,
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        topics=facts.topics,
        not_valid_before=certificate.not_valid_before_utc,
        not_valid_after=certificate.not_valid_after_utc,
        compatible_app_modes=[mode for mode in AppMode if facts.app_modes is None or mode in facts.app_modes],
        certificate_sha256=hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest(),
    )


def _open_p12(
    credentials: IosCertificateCredentialsInput, problems: ProblemCollector
) -> pkcs12.PKCS12KeyAndCertificates:
    decoded = decode_p12_base64(credentials.certificate.get_secret_value())
    if isinstance(decoded, str):
        problems.add(problems.path("Certificate"), decoded)
        problems.raise_all()
    password = credentials.certificate_password.get_secret_value()
    # A .p12 exported with an empty password may be protected by "" or by no password at all.
    candidates = [password.encode("utf-8")] if password else [None, b""]
    wrong_password = False
    for candidate in candidates:
        try:
            return pkcs12.load_pkcs12(decoded, candidate)
        except ValueError as error:
            # cryptography says "Invalid password or PKCS12 data" once the file's structure parsed
            # and only the password-keyed integrity check or decryption failed.
            wrong_password = wrong_password or "password" in str(error).lower()
    if wrong_password:
        problems.add(
            problems.path("CertificatePassword"),
            (
                "does not open the .p12 file: the password is wrong, or the file changed after export. "
                if password
                else "is empty, but the .p12 file is protected by a password. "
            )
            + "Send the password chosen when exporting the certificate from Keychain Access.",
        )
    else:
        problems.add(problems.path("Certificate"), _explain_unreadable_p12(decoded))
    problems.raise_all()


def _explain_unreadable_p12(data: bytes) -> str:
    if data.lstrip().startswith(b"-----BEGIN"):
        return (
            "is base64 of PEM text, not of a .p12 (PKCS #12) file. Export the certificate together with its "
            "private key from Keychain Access as .p12, then base64-encode that file."
        )
    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        pass
    else:
        return (
            "is a certificate file (.cer) without its private key. Install it in Keychain Access, then export the "
            "certificate together with its private key as a .p12 file."
        )
    return (
        "is not a readable .p12 (PKCS #12) file: it is damaged, truncated, or another kind of file. "
        "Export the certificate with its private key from Keychain Access as .p12 and base64-encode the whole file."
    )


def _identity_certificate(opened: pkcs12.PKCS12KeyAndCertificates, problems: ProblemCollector) -> x509.Certificate:
    """Finds the certificate that belongs to the .p12's private key."""
    certificates = [item.certificate for item in ([opened.cert] if opened.cert else []) + opened.additional_certs]
    if not certificates:
        problems.add(
            problems.path("Certificate"),
            f"holds no certificate, only a private key. {_HOW_TO_GET_PUSH_CERTIFICATE}",
        )
        problems.raise_all()
    if opened.key is None:
        problems.add(
            problems.path("Certificate"),
            "holds no private key, only certificates; APNs needs both. In Keychain Access, expand the certificate "
            "and export it together with its private key as .p12.",
        )
        return certificates[0]
    key_fingerprint = public_key_sha256(opened.key.public_key())
    for certificate in certificates:
        if public_key_sha256(certificate.public_key()) == key_fingerprint:
            return certificate
    problems.add(
        problems.path("Certificate"),
        "holds a private key that does not belong to its certificate. Export the push certificate together with "
        "its own private key from Keychain Access as .p12.",
    )
    return certificates[0]


def _check_validity_period(certificate: x509.Certificate, moment: datetime, problems: ProblemCollector) -> None:
    if certificate.not_valid_after_utc <= moment:
        problems.add(
            problems.path("Certificate"),
            f"expired on {_format_moment(certificate.not_valid_after_utc)}. Create a new Apple Push Notification "
            "service certificate for the app and upload it as .p12.",
        )
    if certificate.not_valid_before_utc > moment:
        problems.add(
            problems.path("Certificate"),
            f"is not valid until {_format_moment(certificate.not_valid_before_utc)}. Check the clock of the machine "
            "that created it, or upload a certificate that is already valid.",
        )


def _push_certificate_facts(certificate: x509.Certificate) -> _PushCertificateFacts:
    common_name = _first_name_value(certificate.subject, NameOID.COMMON_NAME)
    user_id = _first_name_value(certificate.subject, NameOID.USER_ID)
    try:
        extensions = {extension.oid: extension for extension in certificate.extensions}
    except ValueError:
        extensions = {}
    topics: list[str] = []
    if user_id:
        topics.append(user_id)
    app_modes: frozenset[AppMode] | None = None
    kind_name = ""
    for kind in _PUSH_CERTIFICATE_KINDS:
        if common_name.startswith(kind.common_name_prefix):
            app_modes = kind.app_modes
            kind_name = f"an '{kind.common_name_prefix.removesuffix(': ')}' certificate"
            topics.append(common_name.removeprefix(kind.common_name_prefix).strip())
            break
    topics_extension = extensions.get(APNS_TOPICS_OID)
    if topics_extension is not None and isinstance(topics_extension.value, x509.UnrecognizedExtension):
        topics.extend(read_der_topics(topics_extension.value.value) or [])
    if app_modes is None:
        app_modes = _app_modes_from_extensions(set(extensions))
        kind_name = (
            "a development push certificate"
            if app_modes == frozenset({AppMode.SANDBOX})
            else "a production push certificate"
        )
    return _PushCertificateFacts(
        app_modes=app_modes, kind_name=kind_name, topics=list(dict.fromkeys(topic for topic in topics if topic))
    )


def _app_modes_from_extensions(present: set[x509.ObjectIdentifier]) -> frozenset[AppMode] | None:
    development = APNS_DEVELOPMENT_OID in present
    production = APNS_PRODUCTION_OID in present
    if (development and production) or APNS_TOPICS_OID in present:
        return _BOTH_MODES
    if development:
        return frozenset({AppMode.SANDBOX})
    if production:
        return frozenset({AppMode.PRODUCTION})
    return None


def _bundle_id_for(
    credentials: IosCertificateCredentialsInput, facts: _PushCertificateFacts, problems: ProblemCollector
) -> str:
    if credentials.bundle_id is not None:
        if facts.topics and credentials.bundle_id not in facts.topics:
            listed = ", ".join(f"'{topic}'" for topic in facts.topics)
            problems.add(
                problems.path("BundleId"),
                f"is '{credentials.bundle_id}', but the certificate is for {listed}. Upload the certificate created "
                "for this app, or correct BundleId.",
            )
        return credentials.bundle_id
    if facts.topics:
        return facts.topics[0]
    if facts.app_modes is not None:
        problems.add(
            problems.path("BundleId"),
            "is required: the certificate names no topic (no UID in its subject, no bundle ID after its common "
            "name, no topics extension). Send the app's bundle ID.",
        )
    return ""


def _first_name_value(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    attributes = name.get_attributes_for_oid(oid)
    if not attributes:
        return ""
    value = attributes[0].value
    return value if isinstance(value, str) else value.decode("utf-8", errors="replace")


def _format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
