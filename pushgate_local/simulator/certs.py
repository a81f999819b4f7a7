"""Test certificate authority for the provider simulator.

The simulator serves TLS on loopback with a server certificate issued by a CA generated on this
machine, so clients verify the connection exactly as they would against Apple or Google, trusting
one extra CA (``PROVIDER_CA_BUNDLE``) instead of switching verification off.
"""

from __future__ import annotations

import datetime
import ipaddress
import pathlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pushgate_local.credentials import self_signed_ca_certificate

_VALIDITY = datetime.timedelta(days=825)
_RENEW_BEFORE = datetime.timedelta(days=7)


@dataclass(frozen=True)
class TestCertificates:
    """Paths of the generated PEM files.

    Attributes:
        ca_cert: The CA certificate clients trust.
        ca_key: The CA private key (lets tests issue client certificates for APNs certificate auth).
        server_cert: The simulator's certificate for ``127.0.0.1``, ``::1`` and ``localhost``.
        server_key: The simulator's private key.
    """

    ca_cert: pathlib.Path
    ca_key: pathlib.Path
    server_cert: pathlib.Path
    server_key: pathlib.Path


def _write_key(path: pathlib.Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    path.chmod(0o600)


def _still_valid(path: pathlib.Path) -> bool:
    if not path.exists():
        return False
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    return certificate.not_valid_after_utc - datetime.datetime.now(datetime.UTC) > _RENEW_BEFORE


def ensure_test_certificates(state_dir: pathlib.Path) -> TestCertificates:
    """Creates the test CA and server certificate in ``state_dir`` unless valid ones are there.

    Args:
        state_dir: Directory that holds the PEM files; created when missing.

    Returns:
        The paths of the four PEM files.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    paths = TestCertificates(
        ca_cert=state_dir / "ca.pem",
        ca_key=state_dir / "ca-key.pem",
        server_cert=state_dir / "server.pem",
        server_key=state_dir / "server-key.pem",
    )
    keys_exist = all(p.exists() for p in (paths.ca_key, paths.server_key))
    if keys_exist and _still_valid(paths.server_cert) and _still_valid(paths.ca_cert):
        return paths

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = self_signed_ca_certificate(ca_key, "Pushgate simulator test CA", valid_for=_VALIDITY)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_key(paths.ca_key, ca_key)
    _write_key(paths.server_key, server_key)
    paths.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    return paths
