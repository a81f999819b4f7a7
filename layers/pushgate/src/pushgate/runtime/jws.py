"""Compact JWS signing of the two provider tokens Pushgate makes: APNs' ES256, FCM's RS256 assertion.

Both are a base64url header and claims set signed with a key ``cryptography`` already holds, and
nothing is ever verified here. PyJWT would do the same, but importing it loads ``cryptography``'s
X.509, SSH and every algorithm it supports, about 30 ms of the delivery worker's cold start
before its first notification; signing needs only the key's own ``sign``.

An ES256 signature is the raw ``r || s`` pair (RFC 7518 §3.4), 32 bytes each, not the DER
structure ``cryptography`` returns.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

_P256_COORDINATE_BYTES: Final = 32


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signing_input(algorithm: str, key_id: str, claims: dict[str, Any]) -> bytes:
    header = {"alg": algorithm, "kid": key_id, "typ": "JWT"}
    parts = (json.dumps(part, separators=(",", ":")).encode() for part in (header, claims))
    return ".".join(_base64url(part) for part in parts).encode("ascii")


def sign_es256(claims: dict[str, Any], key: ec.EllipticCurvePrivateKey, *, key_id: str) -> str:
    """The compact JWT of ``claims`` signed with a P-256 key (header ``alg`` ES256, ``kid`` ``key_id``)."""
    signing_input = _signing_input("ES256", key_id, claims)
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(_P256_COORDINATE_BYTES, "big") + s.to_bytes(_P256_COORDINATE_BYTES, "big")
    return f"{signing_input.decode('ascii')}.{_base64url(signature)}"


def sign_rs256(claims: dict[str, Any], key: rsa.RSAPrivateKey, *, key_id: str) -> str:
    """The compact JWT of ``claims`` signed with RSASSA-PKCS1-v1_5 and SHA-256 (``alg`` RS256)."""
    signing_input = _signing_input("RS256", key_id, claims)
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode('ascii')}.{_base64url(signature)}"
