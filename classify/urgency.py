"""Urgency: a level, a score in [0, 1], and the reasons (which signals fired).

Signals: safety, legal, fraud, outage and stranded words, threats to leave, the customer's reach,
and negative sentiment. Each signal adds weight; the level comes from the total. The reasons list
is what an agent sees next to the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from classify.keywords import PhraseIndex
from classify.tags import SentimentTag, UrgencyTag

SIGNALS: dict[str, tuple[float, list[str]]] = {
    "safety": (
        0.9,
        [
            "smoke",
            "fire",
            "injured",
            "injury",
            "unsafe",
            "emergency",
            "bleeding",
            "ambulance",
            "fumes",
            "gas leak",
            "exploded",
            "explosion",
            "battery swelling",
            "sparks",
            "electrocuted",
            "poisoning",
            "allergic reaction",
            "harassed",
            "assaulted",
            "threatened me",
            "not safe",
        ],
    ),
    "legal": (
        0.5,
        [
            "lawyer",
            "attorney",
            "sue",
            "suing",
            "lawsuit",
            "legal action",
            "court",
            "small claims",
            "ombudsman",
            "regulator",
            "bbb",
            "dot complaint",
        ],
    ),
    "fraud": (
        0.55,
        [
            "fraud",
            "fraudulent",
            "unauthorized",
            "unauthorised",
            "stolen",
            "hacked",
            "scam",
            "scammed",
            "identity theft",
            "double charged",
            "charged twice",
            "chargeback",
        ],
    ),
    "outage": (
        0.45,
        [
            "outage",
            "no service",
            "no signal",
            "is down",
            "went down",
            "not working",
            "can't log in",
            "cannot log in",
            "cant login",
            "app crashes",
            "offline",
        ],
    ),
    "stranded": (
        0.5,
        [
            "stranded",
            "stuck at",
            "missed my connection",
            "missed connection",
            "sleeping at the airport",
            "no hotel",
            "cancelled flight",
            "flight cancelled",
            "flight canceled",
            "canceled flight",
            "no way home",
        ],
    ),
    "churn": (
        0.35,
        [
            "cancel my account",
            "cancel my subscription",
            "switching to",
            "leaving you",
            "never flying",
            "never fly",
            "taking my business",
            "close my account",
            "done with you",
        ],
    ),
    "repeat": (
        0.2,
        [
            "still waiting",
            "again",
            "third time",
            "second time",
            "no response",
            "nobody answered",
            "days now",
            "hours now",
            "for hours",
            "for days",
        ],
    ),
}
LEVELS = (("critical", 0.85), ("high", 0.5), ("normal", 0.2))
REACH_FOLLOWERS = 10_000  # an author with this many followers (or verified) has a wide reach


@dataclass(frozen=True, slots=True)
class Reach:
    followers: int | None = None
    verified: bool = False


class UrgencyRules:
    def __init__(self, signals: dict[str, tuple[float, list[str]]] | None = None) -> None:
        self.signals = SIGNALS if signals is None else signals
        self._weights = {name: w for name, (w, _words) in self.signals.items()}
        self._index = PhraseIndex({name: words for name, (_w, words) in self.signals.items()})

    def signals_in(self, ws: list[str]) -> set[str]:
        """The names of the signals whose phrases occur in the words `ws`."""
        return set(self._index.find_words(ws))

    def predict_words(
        self,
        texts_words: Sequence[list[str]],
        sentiments: Sequence[SentimentTag],
        reaches: Sequence[Reach],
        complaint: Sequence[float] | None = None,
    ) -> list[UrgencyTag]:
        probs = complaint if complaint is not None else [None] * len(texts_words)
        return [
            self._one(w, s, r, p)
            for w, s, r, p in zip(texts_words, sentiments, reaches, probs, strict=True)
        ]

    def _one(
        self, ws: list[str], sentiment: SentimentTag, reach: Reach, complaint: float | None = None
    ) -> UrgencyTag:
        found = self._index.find_words(ws)
        negative = sentiment.label == "negative"
        wide = reach.verified or (reach.followers or 0) >= REACH_FOLLOWERS
        if not (found or negative or wide or (complaint is not None and complaint >= 0.5)):
            return UrgencyTag("low", 0.0, [])  # most posts: no signal at all
        score, reasons = 0.0, []
        if complaint is not None and complaint >= 0.5:
            score += 0.3 * complaint
            reasons.append(f"complaint (model) {complaint:.2f}")
        weights = self._weights
        for name, hits in found.items():
            score += weights[name]
            reasons.append(f"{name}: {', '.join(hits[:3])}")
        if negative:
            # a care-negative post gets at least a modest bump, more when VADER agrees
            score += 0.25 * min(1.0, max(0.3, -sentiment.score / 0.6))
            reasons.append(f"negative sentiment {sentiment.score:+.2f}")
        if wide:
            score += 0.15
            reasons.append(
                "reach: verified" if reach.verified else f"reach: {reach.followers:,} followers"
            )
        score = min(1.0, score)
        level = "low"
        for name, threshold in LEVELS:
            if score >= threshold:
                level = name
                break
        if "safety" in found and level != "critical":
            level = "critical"  # a safety word is never below critical, whatever else
            score = max(score, LEVELS[0][1])
        return UrgencyTag(level, round(score, 4), reasons)
