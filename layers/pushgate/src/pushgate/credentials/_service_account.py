"""Turns the ``ServiceAccountJson`` text into a JSON object, recognising the usual wrong uploads."""

from __future__ import annotations

import json
import re

from pydantic import JsonValue

SERVICE_ACCOUNT_HOW_TO = (
    "Generate a service-account key in the Firebase console (Project settings > Service accounts > "
    "Generate new private key) and send the whole downloaded JSON file."
)

# A legacy server key is "AAAA" + an instance id, a colon, then an "APA91b..." token.
_LEGACY_SERVER_KEY = re.compile(r"^[A-Za-z0-9_-]{4,}:APA91[A-Za-z0-9_-]+$")
_GOOGLE_API_KEY = re.compile(r"^AIza[0-9A-Za-z_-]{20,}$")


def decode_service_account_text(text: str) -> dict[str, JsonValue] | str:
    """Parses service-account JSON text.

    Args:
        text: The JSON text (a client may also double-encode it as a JSON string holding the JSON).

    Returns:
        The JSON object, or a sentence explaining why the text is not a service-account key.
    """
    if not text:
        return f"is empty. {SERVICE_ACCOUNT_HOW_TO}"
    try:
        decoded: JsonValue = json.loads(text)
    except json.JSONDecodeError:
        return _explain_not_json(text)
    if isinstance(decoded, str):
        # Tolerate one level of double encoding, common when the file is embedded by a script.
        return decode_service_account_text(decoded.strip())
    if not isinstance(decoded, dict):
        return f"must be a JSON object (the service-account key file), not a JSON {_json_kind(decoded)}."
    return decoded


def _explain_not_json(text: str) -> str:
    shut_down = (
        "Google shut the legacy FCM API down in 2024; Pushgate sends through FCM HTTP v1, which needs a "
        f"service-account key. {SERVICE_ACCOUNT_HOW_TO}"
    )
    if _LEGACY_SERVER_KEY.match(text):
        return f"is a legacy FCM server key. {shut_down}"
    if _GOOGLE_API_KEY.match(text):
        return (
            "is a Google API key (from google-services.json or the Cloud console), which cannot send messages. "
            f"{shut_down}"
        )
    if text.startswith("-----BEGIN"):
        return (
            "is only a PEM private key; the whole service-account JSON file is needed (it also names the "
            f"project and the service account). {SERVICE_ACCOUNT_HOW_TO}"
        )
    if "\n" not in text and " " not in text and not text.startswith(("{", "[")):
        return f"is a key string, not JSON. API and server keys no longer work: {shut_down}"
    return f"is not valid JSON. {SERVICE_ACCOUNT_HOW_TO}"


def _json_kind(value: JsonValue) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null"
