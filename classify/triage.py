"""Triage at ingest: which raw mentions skip the classify backlog.

In a spike, the classifier reads `mentions.raw` in order; a safety report at the back of a
100,000-mention backlog would wait for everything before it. The ingest worker therefore sends
a mention that could be critical to `mentions.raw.urgent`, which classify always drains first
(as the router drains `mentions.urgent`). The test is cheap (one pass over the words with the
urgency phrase index) and deliberately narrow, so the lane stays short in a crisis: a safety
word, or two different serious signals (fraud, legal, stranded, outage, churn), or one from an
author with a wide reach (verified, or 10,000 followers: reach adds to urgency). The classifier
still decides the level; the lane only decides the order.
"""

from __future__ import annotations

from classify.keywords import words
from classify.urgency import REACH_FOLLOWERS, UrgencyRules
from socialcare.stream.bus import TOPIC_RAW, TOPIC_RAW_URGENT
from socialcare.stream.schema import Mention

SERIOUS = frozenset({"fraud", "legal", "stranded", "outage", "churn"})
_RULES = UrgencyRules()


def could_be_critical(text: str, followers: int | None = None, verified: bool = False) -> bool:
    found = _RULES.signals_in(words(text[:2000]))
    wide_reach = verified or (followers or 0) >= REACH_FOLLOWERS
    return "safety" in found or len(SERIOUS & found) >= (1 if wide_reach else 2)


def raw_topic(mention: Mention) -> str:
    """The raw topic a new mention goes to."""
    author = mention.author
    urgent = could_be_critical(mention.text, author.followers, author.verified)
    return TOPIC_RAW_URGENT if urgent else TOPIC_RAW
