"""Word and phrase matching shared by the rule-based scorers: compiled once, whole words only,
case-insensitive. `PhraseIndex` matches many categories in one pass over the text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping


def _alternation(phrases: Iterable[str]) -> str:
    ordered = sorted({p.lower().strip() for p in phrases if p.strip()}, key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)


class PhraseSet:
    """Matches any of a set of words or phrases as whole words, case-insensitively."""

    def __init__(self, phrases: Iterable[str]) -> None:
        body = _alternation(phrases)
        self._re = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE) if body else None

    def find(self, text: str) -> list[str]:
        if self._re is None:
            return []
        return sorted({m.group(0).lower() for m in self._re.finditer(text)})

    def __contains__(self, text: str) -> bool:
        return self._re is not None and self._re.search(text) is not None


class PhraseIndex:
    """Several named phrase lists, matched in a single pass: `find(text)` returns, per
    category that matched, the sorted phrases found. A phrase listed under two categories
    counts for the first (in the mapping's order)."""

    def __init__(self, categories: Mapping[str, Iterable[str]]) -> None:
        self.names = list(categories)
        seen: set[str] = set()
        groups = []
        for i, name in enumerate(self.names):
            phrases = [p for p in categories[name] if p.lower().strip() not in seen]
            seen.update(p.lower().strip() for p in phrases)
            body = _alternation(phrases)
            if body:
                groups.append(f"(?P<g{i}>{body})")
        self._re = (
            re.compile(rf"(?<!\w)(?:{'|'.join(groups)})(?!\w)", re.IGNORECASE) if groups else None
        )

    def find(self, text: str) -> dict[str, list[str]]:
        if self._re is None:
            return {}
        hits: dict[str, set[str]] = {}
        for m in self._re.finditer(text):
            name = self.names[int(m.lastgroup[1:])]  # type: ignore[index]
            hits.setdefault(name, set()).add(m.group(0).lower())
        return {name: sorted(hits[name]) for name in self.names if name in hits}
