"""Provider key material for the provider tests, generated at test time (never committed).

Both the unit and the simulator tests import these fixtures into their conftest.
"""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pushgate.providers.apns import ApnsTokenCredentials
from pushgate.providers.fcm import FcmServiceAccount

TEAM_ID = "TEAM123456"
KEY_ID = "KEY1234567"
BUNDLE_ID = "com.example.pushgate"
CLIENT_EMAIL = "sender@pushgate-demo.iam.gserviceaccount.com"
PRIVATE_KEY_ID = "0123456789abcdef"


def private_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    """Serializes a private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    """The public half of a key, as PEM text (what the simulator registers)."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="session")
def apns_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def apns_credentials(apns_key: ec.EllipticCurvePrivateKey) -> ApnsTokenCredentials:
    return ApnsTokenCredentials(
        key_id=KEY_ID, team_id=TEAM_ID, signing_key_pem=private_pem(apns_key), bundle_id=BUNDLE_ID
    )


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def service_account_json(rsa_key: rsa.RSAPrivateKey) -> str:
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "pushgate-demo",
            "private_key_id": PRIVATE_KEY_ID,
            "private_key": private_pem(rsa_key).decode(),
            "client_email": CLIENT_EMAIL,
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )


@pytest.fixture(scope="session")
def service_account(service_account_json: str) -> FcmServiceAccount:
    return FcmServiceAccount.from_json(service_account_json)
