"""Spam / not actionable: ads, follower schemes, link spam, retweet storms, bot-like repetition."""

from __future__ import annotations

import re
from collections.abc import Sequence

from classify import kernels
from classify.keywords import PhraseSet

_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_RETWEET = re.compile(r"^\s*RT\s+@\w+", re.IGNORECASE)
# ten of one character in a row; `(.)` spelled out is 3x faster than `(\S)\1{9,}`, and the
# rare whitespace run it finds is checked again with `\S`
_ANY_REPEAT = re.compile(r"(.)" + r"\1" * 9)
_REPEAT = re.compile(r"(\S)" + r"\1" * 9)


def _repeats(text: str) -> bool:
    """Ten of one non-whitespace character in a row: one compiled pass where built."""
    if kernels.compiled is not None:
        return kernels.compiled.has_run(text, 10)
    found = _ANY_REPEAT.search(text)
    if found is None:
        return False
    return not found.group(1).isspace() or _REPEAT.search(text) is not None


AD_PHRASES = PhraseSet(
    [
        "free followers",
        "buy followers",
        "follow back",
        "follow for follow",
        "f4f",
        "giveaway",
        "click here",
        "dm for promo",
        "promo code",
        "limited offer",
        "earn money",
        "work from home",
        "crypto",
        "bitcoin",
        "nft drop",
        "airdrop",
        "100% free",
        "make money fast",
        "onlyfans",
    ]
)


class SpamRules:
    def predict(
        self, texts: Sequence[str], texts_words: Sequence[list[str]]
    ) -> list[tuple[bool, list[str]]]:
        """`texts_words`: each text's words (classify.keywords.words), shared with the other
        rule scorers."""
        return [self._one(t, w) for t, w in zip(texts, texts_words, strict=True)]

    def _one(self, text: str, ws: list[str]) -> tuple[bool, list[str]]:
        reasons = []
        ads = AD_PHRASES.find_words(ws)
        if ads:
            reasons.append(f"ad phrases: {', '.join(ads[:3])}")
        links = len(_URL.findall(text)) if "://" in text else 0
        if links >= 3:
            reasons.append(f"{links} links")
        retweet = _RETWEET.match(text) is not None
        if retweet:
            reasons.append("retweet")
        if _repeats(text):
            reasons.append("repeated characters")
        spam = bool(ads) or links >= 3 or retweet
        return spam, reasons
