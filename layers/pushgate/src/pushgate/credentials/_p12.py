"""Decoding helpers for the base64 .p12 upload and the Apple topics certificate extension."""

from __future__ import annotations

import base64
import binascii
import re

_DATA_URL_PREFIX = re.compile(r"^data:[^,;]*;base64,", flags=re.IGNORECASE)

_DER_SEQUENCE = 0x30
# UTF8String, PrintableString and IA5String: the string types a topic may be encoded with.
_DER_STRING_TAGS = frozenset({0x0C, 0x13, 0x16})


def decode_p12_base64(text: str) -> bytes | str:
    """Decodes the base64 text of a .p12 upload.

    Accepts line-wrapped output of ``base64``, the URL-safe alphabet, missing padding and a
    ``data:...;base64,`` prefix, since browsers and shell tools produce all of these.

    Args:
        text: The ``Certificate`` field.

    Returns:
        The file's bytes, or a sentence explaining why the text is not base64 of a file.
    """
    if not text:
        return "is empty. Send the .p12 file encoded as base64."
    if text.startswith("-----BEGIN"):
        return (
            "is PEM text, but Certificate must be the .p12 (PKCS #12) file encoded as base64. Export the push "
            "certificate together with its private key from Keychain Access as a .p12 file (or build one with: "
            "openssl pkcs12 -export -inkey key.pem -in cert.pem -out push.p12), then base64-encode the file."
        )
    compact = "".join(_DATA_URL_PREFIX.sub("", text).split())
    compact = compact.replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        decoded = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return (
            "is not valid base64. Encode the .p12 file as base64 (for example: base64 -i push.p12) "
            "and send the result as one string."
        )
    if not decoded:
        return "is empty. Send the .p12 file encoded as base64."
    return decoded


def read_der_topics(extension_value: bytes) -> list[str] | None:
    """Reads the topics from Apple's topics extension (OID 1.2.840.113635.100.6.3.6).

    The extension is a SEQUENCE in which each topic is a string followed by a SEQUENCE naming the
    topic's kind (``app``, ``voip``, ``complication``...). ``cryptography`` exposes unknown
    extensions only as raw DER, so this reads that one shallow structure directly.

    Args:
        extension_value: The DER bytes of the extension's value.

    Returns:
        The topics in certificate order, or ``None`` when the value is not that structure.
    """
    outer = _read_tlv(extension_value, 0)
    if outer is None or outer[0] != _DER_SEQUENCE or outer[2] != len(extension_value):
        return None
    _, content_start, content_end = outer
    topics: list[str] = []
    position = content_start
    while position < content_end:
        element = _read_tlv(extension_value, position)
        if element is None or element[2] > content_end:
            return None
        tag, start, end = element
        if tag in _DER_STRING_TAGS:
            try:
                topics.append(extension_value[start:end].decode("utf-8"))
            except UnicodeDecodeError:
                return None
        position = end
    return topics


def _read_tlv(data: bytes, position: int) -> tuple[int, int, int] | None:
    """Reads one DER tag-length header; returns (tag, content start, content end) or ``None``."""
    if position + 2 > len(data):
        return None
    tag = data[position]
    first_length_byte = data[position + 1]
    header_end = position + 2
    if first_length_byte < 0x80:
        length = first_length_byte
    else:
        length_byte_count = first_length_byte & 0x7F
        # Indefinite lengths (0x80) are not DER; four length bytes already exceed any certificate.
        if length_byte_count == 0 or length_byte_count > 4 or header_end + length_byte_count > len(data):
            return None
        length = int.from_bytes(data[header_end : header_end + length_byte_count], "big")
        header_end += length_byte_count
    if header_end + length > len(data):
        return None
    return tag, header_end, header_end + length
