"""APNs credentials and provider-token (JWT) signing, caching and rotation."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pushgate.providers.apns import ApnsTokenCredentials, ApnsTokenSigner
from pushgate.providers.errors import ProviderCredentialsError
from tests.fakes.clocks import FixedClock
from tests.provider_keys import BUNDLE_ID, KEY_ID, TEAM_ID, private_pem


def decode(header_line: str, key: ec.EllipticCurvePrivateKey) -> tuple[dict[str, object], dict[str, object]]:
    prefix = "authorization: bearer "
    assert header_line.startswith(prefix)
    token = header_line[len(prefix) :]
    claims = jwt.decode(token, key.public_key(), algorithms=["ES256"], options={"verify_iat": False})
    return jwt.get_unverified_header(token), claims


def test_token_has_the_header_and_claims_apple_requires(
    apns_credentials: ApnsTokenCredentials, apns_key: ec.EllipticCurvePrivateKey
) -> None:
    signer = ApnsTokenSigner(apns_credentials, clock=FixedClock(1_700_000_000.7))
    header, claims = decode(signer.authorization_header(), apns_key)
    assert header["alg"] == "ES256"
    assert header["kid"] == KEY_ID
    assert claims == {"iss": TEAM_ID, "iat": 1_700_000_000}


def test_one_token_is_reused_until_its_lifetime_then_replaced(apns_credentials: ApnsTokenCredentials) -> None:
    clock = FixedClock(1_700_000_000)
    signer = ApnsTokenSigner(apns_credentials, lifetime_s=30 * 60, clock=clock)
    first = signer.authorization_header()
    clock.now += 29 * 60
    assert not signer.is_due()
    assert signer.authorization_header() == first
    clock.now += 60
    assert signer.is_due()
    signer.rotate()
    assert signer.authorization_header() != first
    assert signer.issued_at == 1_700_000_000 + 30 * 60


def test_nothing_is_signed_before_first_use(apns_credentials: ApnsTokenCredentials) -> None:
    signer = ApnsTokenSigner(apns_credentials, clock=FixedClock(1_700_000_000))
    assert signer.issued_at == 0
    assert not signer.is_due()


@pytest.mark.parametrize("lifetime_s", [19 * 60, 60 * 60, 2 * 60 * 60])
def test_lifetime_outside_apples_window_is_refused(apns_credentials: ApnsTokenCredentials, lifetime_s: int) -> None:
    with pytest.raises(ValueError, match="20 minutes"):
        ApnsTokenSigner(apns_credentials, lifetime_s=lifetime_s)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"key_id": "short"}, "KeyId"),
        ({"team_id": "team123456"}, "TeamId"),
        ({"bundle_id": " "}, "BundleId"),
        ({"signing_key_pem": "not a key"}, "SigningKey"),
    ],
)
def test_malformed_credentials_name_the_field(
    apns_key: ec.EllipticCurvePrivateKey, changes: dict[str, str], field: str
) -> None:
    values: dict[str, str | bytes] = {
        "key_id": KEY_ID,
        "team_id": TEAM_ID,
        "bundle_id": BUNDLE_ID,
        "signing_key_pem": private_pem(apns_key),
    }
    values.update(changes)
    with pytest.raises(ProviderCredentialsError) as raised:
        ApnsTokenCredentials(**values)  # type: ignore[arg-type]
    assert raised.value.problems[0].field == field


def test_a_non_p256_key_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ProviderCredentialsError, match="P-256"):
        ApnsTokenCredentials(key_id=KEY_ID, team_id=TEAM_ID, signing_key_pem=private_pem(rsa_key), bundle_id=BUNDLE_ID)


def test_key_material_never_shows_in_reprs(
    apns_credentials: ApnsTokenCredentials, apns_key: ec.EllipticCurvePrivateKey
) -> None:
    signer = ApnsTokenSigner(apns_credentials)
    token = signer.authorization_header().split()[-1]
    pem_body = private_pem(apns_key).decode().splitlines()[1]
    for text in (repr(apns_credentials), repr(signer), str(apns_credentials)):
        assert pem_body not in text
        assert token not in text
