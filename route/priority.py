"""Priority: an explainable score in [0, 100]. Its parts are stored with the case so agents see
why a case sits where it does: the rule's base, urgency, sentiment, reach and rule boosts."""

from __future__ import annotations

from socialcare.stream.schema import Mention

URGENCY_POINTS = {"critical": 30, "high": 15, "normal": 0, "low": -10}


def priority_parts(mention: Mention, base: int, boost: int) -> dict[str, int]:
    parts = {"rule": base}
    c = mention.classification
    if c is not None:
        parts["urgency"] = URGENCY_POINTS[c.urgency.level]
        if c.sentiment.label == "negative":
            parts["sentiment"] = round(-c.sentiment.score * 10)
    followers = mention.author.followers or 0
    if mention.author.verified or followers >= 10_000:
        parts["reach"] = 5
    if boost:
        parts["boost"] = boost
    return parts


def total(parts: dict[str, int]) -> int:
    return max(0, min(100, sum(parts.values())))
