"""Starts the provider simulator once for these tests; every test starts from a reset simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pushgate.providers import ApnsTokenCredentials, FcmServiceAccount, ProviderSettings
from pushgate_local.simulator import RunningSimulator, start_simulator

TEAM_ID = "TEAM123456"
KEY_ID = "KEY1234567"
BUNDLE_ID = "com.example.pushgate"
CLIENT_EMAIL = "sender@pushgate-demo.iam.gserviceaccount.com"


def private_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    state_dir: Path = tmp_path_factory.mktemp("provider-simulator")
    running = start_simulator(state_dir)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh_simulator(simulator: RunningSimulator) -> RunningSimulator:
    simulator.reset()
    return simulator


@pytest.fixture(scope="session")
def settings(simulator: RunningSimulator) -> ProviderSettings:
    return ProviderSettings.from_environ(simulator.provider_environment())


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
def service_account(rsa_key: rsa.RSAPrivateKey) -> FcmServiceAccount:
    return FcmServiceAccount.from_json(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "pushgate-demo",
                "private_key_id": "0123456789abcdef",
                "private_key": private_pem(rsa_key).decode(),
                "client_email": CLIENT_EMAIL,
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
