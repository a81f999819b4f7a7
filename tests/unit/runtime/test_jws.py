"""The provider tokens' compact JWS: what PyJWT, an independent implementation, accepts."""

from __future__ import annotations

import base64

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pushgate.runtime.jws import sign_es256, sign_rs256

CLAIMS = {"iss": "TEAMID1234", "iat": 1_700_000_000, "aud": "https://oauth2.googleapis.com/token"}


def _segment(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def test_es256_token_verifies_with_the_public_key_and_names_its_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1())

    token = sign_es256(CLAIMS, key, key_id="KEYID12345")

    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "KEYID12345", "typ": "JWT"}
    assert jwt.decode(token, key.public_key(), algorithms=["ES256"], audience=CLAIMS["aud"]) == CLAIMS
    # RFC 7518: r and s, 32 bytes each, not DER.
    assert len(_segment(token.split(".")[2])) == 64


def test_es256_signatures_with_short_coordinates_keep_their_width() -> None:
    key = ec.generate_private_key(ec.SECP256R1())

    tokens = [sign_es256({"iat": n}, key, key_id="KEYID12345") for n in range(200)]

    # About 1 in 128 signatures has an r or s below 2**248; each must still be padded to 32 bytes.
    assert {len(_segment(token.split(".")[2])) for token in tokens} == {64}
    assert all(jwt.decode(token, key.public_key(), algorithms=["ES256"]) for token in tokens)


def test_rs256_token_verifies_with_the_public_key() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    token = sign_rs256(CLAIMS, key, key_id="abc123")

    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": "abc123", "typ": "JWT"}
    assert jwt.decode(token, key.public_key(), algorithms=["RS256"], audience=CLAIMS["aud"]) == CLAIMS
