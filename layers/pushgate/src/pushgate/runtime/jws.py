"""Compact JWS signing of the two provider tokens Pushgate makes: APNs' ES256, FCM's RS256 assertion.

**Replaces** PyJWT's ``jwt.encode`` (with cryptography's keys). Both tokens are a base64url header and
claims set signed with a key ``cryptography`` already holds, and nothing is ever verified here, so
the key's own ``sign`` is all it takes. An ES256 signature is the raw ``r || s`` pair (RFC 7518
§3.4), 32 bytes each, not the DER structure ``cryptography`` returns.

**Saves** the import of PyJWT, which loads ``cryptography``'s X.509, SSH and every algorithm it
supports on top of the key types the clients load anyway. Measured in CPU time (median of 25 fresh
processes, on the shared 2-core development machine under load, 2026-12-06): ``import jwt`` 114 ms,
this module 3.6 ms, each after the cryptography modules the clients import::

    .venv/bin/python -I -B -c "import cryptography.hazmat.primitives.serialization,
        cryptography.hazmat.primitives.asymmetric.ec, cryptography.hazmat.primitives.asymmetric.rsa, time;
        t = time.process_time(); import jwt; print((time.process_time() - t) * 1000)"

(and ``import pushgate.runtime.jws`` in place of ``import jwt``). On a quiet machine the cold-start
bench put it at about 30 ms of ``deliver_push``'s first notification (``docs/decisions.md``,
2026-12-03).

**Parity test**: ``tests/unit/runtime/test_jws.py``. PyJWT (a test dependency, an independent
implementation) verifies every token signed here, signs the byte-identical RS256 token from the
same key and claims, and signs ES256 over the same header and claims in the same raw signature
format.

**Can go** when ``import jwt`` costs a few milliseconds over those cryptography modules (PyJWT or
cryptography loading X.509 and SSH support lazily; re-run the command above after ``make lock``), or
when ``deliver_push``'s cold start stops mattering (provisioned concurrency): then the clients call
``jwt.encode`` and PyJWT moves from the dev requirements to the layer's.
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
