"""Locale tags: normalising them and picking the best localized variant for a recipient.

Tags are BCP 47 (``pt-BR``, ``zh-Hant-TW``); ``_`` is accepted for ``-`` (``pt_BR``, as many
directories store them) and case is normalised (language lower, script title, region upper).
A recipient's locale picks a variant by RFC 4647 "lookup": the exact tag, then the tag with its
last subtag removed, down to the bare language (``zh-Hant-TW`` → ``zh-Hant`` → ``zh``), then
none (the message's default text). ``pt`` never picks ``pt-BR``: a regional variant is only
chosen for that region.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

_TAG: Final = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
#: Longest tag accepted (RFC 5646 recommends supporting at least 35 characters).
MAX_TAG_CHARS: Final = 35


def canonical_locale(tag: str) -> str | None:
    """Normalises a locale tag.

    Args:
        tag: As sent (``pt_br``, ``PT-BR``, ``zh-hant-tw``).

    Returns:
        The canonical form (``pt-BR``, ``zh-Hant-TW``), or ``None`` when it is not a locale tag.
    """
    tag = tag.strip()
    if len(tag) > MAX_TAG_CHARS or not _TAG.match(tag):
        return None
    language, *rest = re.split(r"[-_]", tag)
    subtags = [language.lower()]
    for subtag in rest:
        if len(subtag) == 2 and subtag.isalpha():
            subtags.append(subtag.upper())
        elif len(subtag) == 4 and subtag.isalpha():
            subtags.append(subtag.title())
        else:
            subtags.append(subtag.lower())
    return "-".join(subtags)


def lookup_chain(tag: str) -> list[str]:
    """The tags tried for a recipient's locale, most specific first.

    Args:
        tag: The recipient's locale.

    Returns:
        ``["zh-Hant-TW", "zh-Hant", "zh"]`` for ``zh_hant_tw``; empty for a malformed tag.
    """
    canonical = canonical_locale(tag)
    if canonical is None:
        return []
    subtags = canonical.split("-")
    return ["-".join(subtags[:count]) for count in range(len(subtags), 0, -1)]


def pick_variant(available: Iterable[str], wanted: str | None) -> str | None:
    """Picks the localized variant for a recipient.

    Args:
        available: The message's variant tags (canonical).
        wanted: The recipient's locale, if known.

    Returns:
        The chosen tag as it appears in ``available``, or ``None`` for the default text.
    """
    if not wanted:
        return None
    by_canonical = {canonical_locale(tag) or tag: tag for tag in available}
    for candidate in lookup_chain(wanted):
        if candidate in by_canonical:
            return by_canonical[candidate]
    return None
