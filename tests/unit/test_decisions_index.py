"""``docs/decisions.md`` keeps its index in step with its entries: every entry (a ``## `` heading) has
a ``**Status.**`` line right under its heading and one line in the index, in order, with the same
status. A failure says exactly which line to add or change, anchor included."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DECISIONS = Path(__file__).resolve().parents[2] / "docs" / "decisions.md"
INDEX_LABEL = "**Index.**"
ACCEPTED = "**Status.** Accepted"
SUPERSEDED = re.compile(r"^\*\*Status\.\*\* Superseded by \[(?P<title>[^\]]+)\]\(#(?P<anchor>[^)]+)\)$")


@dataclass(frozen=True)
class Entry:
    heading: str
    anchor: str
    status_line: str | None


def github_anchor(heading: str, seen: dict[str, int]) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens, ``-1``... on repeats."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return slug if count == 0 else f"{slug}-{count}"


def _entries(lines: list[str]) -> list[Entry]:
    seen: dict[str, int] = {}
    entries = []
    for number, line in enumerate(lines):
        if not line.startswith("## "):
            continue
        heading = line[3:].strip()
        following = next((text for text in lines[number + 1 :] if text.strip()), "")
        status = following if following.startswith("**Status.**") else None
        entries.append(Entry(heading, github_anchor(heading, seen), status))
    return entries


def _index_lines(lines: list[str]) -> list[str]:
    start = lines.index(INDEX_LABEL)
    end = next(n for n, line in enumerate(lines) if line.startswith("## "))
    return [line for line in lines[start + 1 : end] if line.strip()]


def _status_word(entry: Entry) -> str:
    return "Superseded" if entry.status_line is not None and SUPERSEDED.match(entry.status_line) else "Accepted"


def index_line(entry: Entry) -> str:
    """The entry's line in the index."""
    return f"- [{entry.heading}](#{entry.anchor}) — {_status_word(entry)}"


def test_every_entry_has_a_status_line_under_its_heading() -> None:
    entries = _entries(DECISIONS.read_text(encoding="utf-8").splitlines())
    by_anchor = {entry.anchor: number for number, entry in enumerate(entries)}
    problems = []
    for number, entry in enumerate(entries):
        if entry.status_line is None:
            problems.append(f"add the line `{ACCEPTED}` right under `## {entry.heading}`")
            continue
        superseded = SUPERSEDED.match(entry.status_line)
        if entry.status_line == ACCEPTED:
            continue
        if superseded is None:
            problems.append(
                f"`## {entry.heading}`: the status is `{ACCEPTED}` or "
                f"`**Status.** Superseded by [<later heading>](#<its anchor>)`, not `{entry.status_line}`"
            )
        elif by_anchor.get(superseded["anchor"], -1) <= number:
            problems.append(f"`## {entry.heading}`: #{superseded['anchor']} is not a later entry's anchor")
        elif entries[by_anchor[superseded["anchor"]]].heading != superseded["title"]:
            later = entries[by_anchor[superseded["anchor"]]]
            problems.append(f"`## {entry.heading}`: link as `[{later.heading}](#{later.anchor})`")
    assert not problems, "docs/decisions.md:\n" + "\n".join(problems)


def test_the_index_lists_every_entry_in_order_with_its_status() -> None:
    lines = DECISIONS.read_text(encoding="utf-8").splitlines()
    assert INDEX_LABEL in lines, f"docs/decisions.md has no index: add a line `{INDEX_LABEL}` before the first entry"
    expected = [index_line(entry) for entry in _entries(lines)]
    found = _index_lines(lines)
    problems = [f"add to the index (in entry order): {line}" for line in expected if line not in found]
    problems += [f"remove or correct in the index: {line}" for line in found if line not in expected]
    if not problems and found != expected:
        problems.append("the index is not in the entries' order; it should read:\n" + "\n".join(expected))
    assert not problems, "docs/decisions.md:\n" + "\n".join(problems)


def test_anchors_are_githubs() -> None:
    seen: dict[str, int] = {}

    assert github_anchor("2026-11-23 — Access tokens: `pgat_<tokenId>_<secret>`, hashed", seen) == (
        "2026-11-23--access-tokens-pgat_tokenid_secret-hashed"
    )
    assert github_anchor("2026-12-06 — `curl -d` stays a 415", seen) == "2026-12-06--curl--d-stays-a-415"
    assert github_anchor("2026-12-06 — `curl -d` stays a 415", seen) == "2026-12-06--curl--d-stays-a-415-1"
