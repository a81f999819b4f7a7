"""Locale tags and the choice of a localized variant (exact, then shorter tags, then the default)."""

from __future__ import annotations

import pytest

from pushgate.locales import canonical_locale, lookup_chain, pick_variant


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [
        ("pt-BR", "pt-BR"),
        ("pt_br", "pt-BR"),
        ("PT-br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("en", "en"),
        ("es-419", "es-419"),
        (" fr-CA ", "fr-CA"),
    ],
)
def test_tags_are_normalised(tag: str, canonical: str) -> None:
    assert canonical_locale(tag) == canonical


@pytest.mark.parametrize("tag", ["", "e", "english!", "pt--BR", "pt-", "1a", "x" * 40, "en-US-abcdefghi"])
def test_malformed_tags_are_refused(tag: str) -> None:
    assert canonical_locale(tag) is None
    assert lookup_chain(tag) == []


def test_lookup_chain_drops_subtags_from_the_end() -> None:
    assert lookup_chain("zh_hant_tw") == ["zh-Hant-TW", "zh-Hant", "zh"]


@pytest.mark.parametrize(
    ("wanted", "picked"),
    [
        ("pt-BR", "pt-BR"),
        ("pt_br", "pt-BR"),
        ("pt-PT", "pt"),
        ("pt", "pt"),
        ("fr-CA", "fr-CA"),
        ("fr", None),
        ("de-DE", None),
        (None, None),
        ("", None),
        ("not a tag", None),
    ],
)
def test_exact_then_language_then_default(wanted: str | None, picked: str | None) -> None:
    assert pick_variant(["pt-BR", "pt", "fr-CA"], wanted) == picked
