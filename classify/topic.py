"""Topic: the reason for contact, from a configurable taxonomy of keyword lists.

The default taxonomy covers the usual care reasons. The first topic (in taxonomy order) with the
most phrase hits wins; no hit is `other`. A learned topic model (`socialcare train --task topic`) replaces it.
"""

from __future__ import annotations

from collections.abc import Sequence

from classify.keywords import PhraseIndex, words

DEFAULT_TAXONOMY: dict[str, list[str]] = {
    "safety": [
        "smoke",
        "fire",
        "injured",
        "unsafe",
        "emergency",
        "fumes",
        "battery swelling",
        "sparks",
        "harassed",
        "assaulted",
    ],
    "cancellation": ["cancelled", "canceled", "cancellation", "cancelled flightled"],
    "delay": [
        "delayed",
        "delay",
        "late",
        "on the tarmac",
        "still at the gate",
        "missed connection",
    ],
    "baggage": ["bag", "bags", "baggage", "luggage", "suitcase", "lost bag", "damaged bag"],
    "billing": [
        "charged",
        "charge",
        "bill",
        "billing",
        "invoice",
        "overcharged",
        "double charged",
        "payment",
        "fee",
        "fees",
    ],
    "refund": ["refund", "refunded", "money back", "reimburse", "reimbursement", "voucher"],
    "fraud": ["fraud", "unauthorized", "unauthorised", "stolen", "hacked", "scam", "phishing"],
    "outage": [
        "outage",
        "down",
        "no service",
        "no signal",
        "not working",
        "offline",
        "crash",
        "crashes",
        "error",
    ],
    "account": ["account", "password", "log in", "login", "locked out", "sign in", "2fa"],
    "booking": ["booking", "reservation", "seat", "upgrade", "change my flight", "rebook"],
    "service": ["rude", "customer service", "on hold", "hold", "agent", "staff", "nobody"],
    "delivery": ["delivery", "package", "parcel", "shipping", "tracking", "order", "arrived"],
    "praise": ["thank you", "thanks", "great job", "awesome", "love", "amazing", "best"],
}


class TopicRules:
    def __init__(self, taxonomy: dict[str, list[str]] | None = None) -> None:
        self.taxonomy = DEFAULT_TAXONOMY if taxonomy is None else taxonomy
        self._index = PhraseIndex(self.taxonomy)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return self.predict_words([words(t) for t in texts])

    def predict_words(self, texts_words: Sequence[list[str]]) -> list[str]:
        out = []
        for ws in texts_words:
            best, best_hits = "other", 0
            for name, hits in self._index.find_words(ws).items():  # in taxonomy order
                if len(hits) > best_hits:
                    best, best_hits = name, len(hits)
            out.append(best)
        return out
