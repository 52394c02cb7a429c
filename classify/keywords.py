"""Word and phrase matching shared by the rule-based scorers: compiled once, whole words only."""

from __future__ import annotations

import re
from collections.abc import Iterable


class PhraseSet:
    """Matches any of a set of words or phrases as whole words, case-insensitively."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases = sorted(
            {p.lower().strip() for p in phrases if p.strip()}, key=len, reverse=True
        )
        body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in self.phrases)
        self._re = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE) if body else None

    def find(self, text: str) -> list[str]:
        if self._re is None:
            return []
        return sorted({m.group(0).lower() for m in self._re.finditer(text)})

    def __contains__(self, text: str) -> bool:
        return self._re is not None and self._re.search(text) is not None
