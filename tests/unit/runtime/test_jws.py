"""Parity of ``pushgate.runtime.jws`` with PyJWT: PyJWT verifies its tokens, and signs the same ones."""

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


def test_rs256_token_is_byte_for_byte_the_one_pyjwt_signs() -> None:
    # RSASSA-PKCS1-v1_5 is deterministic: the same key, header and claims give the same token.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    ours = sign_rs256(CLAIMS, key, key_id="abc123")
    theirs = jwt.encode(CLAIMS, key, algorithm="RS256", headers={"kid": "abc123"})

    assert ours == theirs


def test_es256_token_signs_pyjwts_signing_input_in_pyjwts_signature_format() -> None:
    # ECDSA signatures are randomised, so only the signature may differ: the header and claims
    # segments are PyJWT's, and both signatures are the raw r || s of RFC 7518.
    key = ec.generate_private_key(ec.SECP256R1())

    ours = sign_es256(CLAIMS, key, key_id="KEYID12345")
    theirs = jwt.encode(CLAIMS, key, algorithm="ES256", headers={"kid": "KEYID12345"})

    assert ours.rsplit(".", 1)[0] == theirs.rsplit(".", 1)[0]
    assert len(_segment(theirs.split(".")[2])) == len(_segment(ours.split(".")[2])) == 64
