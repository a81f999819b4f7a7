"""Reads a private key pasted as PEM text and explains, in plain words, why it cannot be used.

Operators paste keys through web forms, JSON bodies and shell scripts, which mangle line breaks
(CRLF, spaces, literal backslash-n escapes). The text is normalised to canonical PEM first, so only real
problems are reported; the normalised form is also what gets stored.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

# cryptography is imported where a key is read: the input models use only the text repairs.
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

_BEGIN_LINE = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_PEM_LINE_WIDTH = 64

# Labels are grouped by what the operator most likely pasted, so the explanation can say so.
_CERTIFICATE_LABELS = frozenset({"CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE"})
_PUBLIC_KEY_LABELS = frozenset({"PUBLIC KEY", "RSA PUBLIC KEY", "EC PUBLIC KEY"})
_REQUEST_LABELS = frozenset({"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"})
_PRIVATE_KEY_LABELS = frozenset({"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"})
_WRONG_BLOCK_EXPLANATIONS = {
    **dict.fromkeys(_CERTIFICATE_LABELS, "is a certificate, not a private key."),
    **dict.fromkeys(_PUBLIC_KEY_LABELS, "is a public key; the private key is needed."),
    **dict.fromkeys(_REQUEST_LABELS, "is a certificate signing request (CSR), not a private key."),
    "OPENSSH PRIVATE KEY": "is an OpenSSH key, a different format from the one needed.",
}


@dataclass(frozen=True)
class KeyPurpose:
    """Describes the key a field expects, for wording the explanations.

    Attributes:
        description: What the key is, e.g. ``the APNs auth key (.p8 file)``.
        how_to_get: A sentence telling the operator where the right key comes from.
    """

    description: str
    how_to_get: str


@dataclass(frozen=True)
class LoadedPrivateKey:
    """A private key read from PEM text.

    Attributes:
        key: The parsed key.
        pem_label: The PEM label it was read from (``PRIVATE KEY`` for PKCS#8).
        normalised_pem: Canonical PEM text of the same block, safe to hand to JWT libraries.
    """

    key: PrivateKeyTypes
    pem_label: str
    normalised_pem: str


def normalise_pem_text(text: str) -> str:
    """Repairs the line-break damage that copy and paste does to PEM text.

    Args:
        text: PEM text as received.

    Returns:
        The text with literal backslash-n escapes turned into line breaks and each PEM block re-wrapped at
        64 characters; text without a complete PEM block is returned stripped and otherwise unchanged.
    """
    unescaped = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\r\n", "\n").strip()
    blocks = re.findall(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", unescaped, flags=re.DOTALL)
    if not blocks:
        return unescaped
    return "".join(_wrap_block(label, "".join(body.split())) for label, body in blocks)


def read_private_key(text: str, purpose: KeyPurpose) -> LoadedPrivateKey | str:
    """Reads exactly one private key from PEM text.

    Args:
        text: The pasted PEM text.
        purpose: What the field expects, used to word explanations.

    Returns:
        The loaded key, or a sentence explaining why the text is not a usable private key.
    """
    normalised = normalise_pem_text(text)
    if not normalised:
        return f"is empty. {purpose.how_to_get}"
    labels = _BEGIN_LINE.findall(normalised)
    if not labels:
        return _explain_not_pem(normalised, purpose)
    if len(labels) > 1:
        listed = ", ".join(labels)
        return f"holds {len(labels)} PEM blocks ({listed}); paste only {purpose.description}."
    label = labels[0]
    if f"-----END {label}-----" not in normalised:
        return (
            f"is truncated: it has the '-----BEGIN {label}-----' line but not the matching "
            f"'-----END {label}-----' line. Paste the whole of {purpose.description}."
        )
    wrong_kind = _explain_label(label, purpose, encrypted="Proc-Type: 4,ENCRYPTED" in text)
    if wrong_kind:
        return wrong_kind
    return _load_block(normalised, purpose, label)


def public_key_sha256(public_key: PublicKeyTypes) -> str:
    """Fingerprints a public key, so operators can match a stored credential to a key they hold.

    Args:
        public_key: Any public key.

    Returns:
        Lower-case hex SHA-256 of the DER ``SubjectPublicKeyInfo``
        (the same as ``openssl pkey -pubin -outform DER | sha256sum``).
    """
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - see the module imports

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def describe_key_type(key: PrivateKeyTypes) -> str:
    """Names a key's algorithm in the words an operator would recognise.

    Args:
        key: A private key.

    Returns:
        For example ``an RSA private key (2048 bits)`` or ``an EC private key on curve secp384r1``.
    """
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa  # noqa: PLC0415 - see the imports

    if isinstance(key, rsa.RSAPrivateKey):
        return f"an RSA private key ({key.key_size} bits)"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"an EC private key on curve {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "an Ed25519 private key"
    if isinstance(key, ed448.Ed448PrivateKey):
        return "an Ed448 private key"
    return f"a {type(key).__name__.removeprefix('_')} key"


def _wrap_block(label: str, body: str) -> str:
    lines = "\n".join(textwrap.wrap(body, _PEM_LINE_WIDTH))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n"


def _explain_not_pem(text: str, purpose: KeyPurpose) -> str:
    if "\n" not in text and re.search(r"\.(p8|pem|key|json)$", text, flags=re.IGNORECASE):
        return f"looks like a file name. Paste the contents of {purpose.description}, not its name or path."
    if "-----END" in text:
        return (
            f"is truncated: it has an '-----END ...-----' line but no '-----BEGIN ...-----' line. "
            f"Paste the whole of {purpose.description}."
        )
    return (
        f"is not PEM text. Paste the whole of {purpose.description}, including the "
        "'-----BEGIN PRIVATE KEY-----' and '-----END PRIVATE KEY-----' lines."
    )


def _explain_label(label: str, purpose: KeyPurpose, *, encrypted: bool) -> str | None:
    # OpenSSL's older encrypted form keeps the private-key label and adds Proc-Type/DEK-Info headers.
    if label == "ENCRYPTED PRIVATE KEY" or encrypted:
        return (
            "is an encrypted private key, which cannot be used without its passphrase. Paste the original, "
            f"unencrypted {purpose.description}, or decrypt it first with: openssl pkcs8 -in encrypted.pem -out key.pem"
        )
    if label in _PRIVATE_KEY_LABELS:
        return None
    what_it_is = _WRONG_BLOCK_EXPLANATIONS.get(label, f"is a PEM block of type '{label}', not a private key.")
    return f"{what_it_is} {purpose.how_to_get}"


def _load_block(normalised: str, purpose: KeyPurpose, label: str) -> LoadedPrivateKey | str:
    damaged = (
        "could not be read: the text between the BEGIN and END lines is damaged or incomplete. "
        f"Paste {purpose.description} again, unchanged."
    )
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - see the module imports

    try:
        key = serialization.load_pem_private_key(normalised.encode("utf-8"), password=None)
    except (TypeError, ValueError):
        return damaged
    return LoadedPrivateKey(key=key, pem_label=label, normalised_pem=normalised)
