"""Format checks for Apple's identifiers, shared by both iOS auth modes."""

from __future__ import annotations

import re

APPLE_ID_LENGTH = 10
_APPLE_TEN_CHARACTER_ID = re.compile(rf"^[A-Z0-9]{{{APPLE_ID_LENGTH}}}$")
# Reverse-DNS: two or more dot-separated labels of ASCII letters, digits and hyphens.
_BUNDLE_ID = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def explain_ten_character_id(value: str, *, what: str, where_to_find: str) -> str | None:
    """Checks a Team ID or Key ID: exactly 10 upper-case ASCII letters or digits.

    Args:
        value: The ID as sent (already stripped).
        what: The ID's name in the sentence, e.g. ``Team ID``.
        where_to_find: Where the operator finds the right value.

    Returns:
        A sentence explaining the problem, or ``None`` when the ID is well-formed.
    """
    if _APPLE_TEN_CHARACTER_ID.match(value):
        return None
    rule = f"must be the 10-character {what}: upper-case letters A-Z and digits 0-9 only ({where_to_find})"
    if not value:
        return f"is empty; it {rule}."
    if _APPLE_TEN_CHARACTER_ID.match(value.upper()):
        return f"contains lower-case letters; it {rule}."
    if len(value) != APPLE_ID_LENGTH:
        return f"has {len(value)} characters; it {rule}."
    return f"contains characters other than letters and digits; it {rule}."


def explain_bundle_id(value: str) -> str | None:
    """Checks a bundle ID is a reverse-DNS identifier such as ``com.example.app``.

    Args:
        value: The bundle ID as sent (already stripped).

    Returns:
        A sentence explaining the problem, or ``None`` when the bundle ID is well-formed.
    """
    if _BUNDLE_ID.match(value):
        return None
    rule = (
        "must be the app's bundle ID in reverse-DNS form, such as com.example.app: at least two labels of "
        "letters, digits and hyphens, separated by dots (Xcode shows it under Signing & Capabilities)"
    )
    if not value:
        return f"is empty; it {rule}."
    if "." not in value:
        return f"has only one label; it {rule}."
    if "" in value.split("."):
        return f"has an empty label (a leading or trailing dot, or two dots in a row); it {rule}."
    return f"contains characters other than letters, digits, hyphens and dots; it {rule}."
