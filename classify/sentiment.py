"""Sentiment for care text: VADER with a care lexicon layered on top.

VADER alone reads "flight Cancelled Flightled, on hold for 2 hours" as neutral: care complaints
are written in words that are not negative in general English. The care lexicon gives those
words a valence; everything else is VADER's own, so general sentiment is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from classify.text import bounded
from stream.schema import Sentiment

# valence on VADER's -4..+4 scale
CARE_LEXICON: dict[str, float] = {
    "cancelled": -1.8,
    "canceled": -1.8,
    "delayed": -1.6,
    "delay": -1.4,
    "delays": -1.4,
    "stranded": -2.5,
    "stuck": -1.6,
    "lost": -1.6,
    "missing": -1.4,
    "broken": -1.8,
    "refund": -0.8,
    "overcharged": -2.2,
    "charged": -0.6,
    "hold": -0.9,
    "waiting": -1.0,
    "waited": -1.2,
    "outage": -1.8,
    "down": -0.8,
    "unacceptable": -2.5,
    "rude": -2.2,
    "nobody": -0.8,
    "never": -0.6,
    "still": -0.4,
    "again": -0.4,
    "worst": -3.0,
    "disappointed": -2.0,
    "frustrating": -2.1,
    "ridiculous": -2.0,
    "useless": -2.2,
    "misconnect": -1.6,
    "rebooked": -0.6,
    "diverted": -1.0,
    "fraud": -2.5,
    "unauthorized": -2.0,
    "scam": -2.4,
    "hacked": -2.2,
    "locked": -1.0,
}
NEUTRAL_BAND = 0.05


class CareSentiment:
    """Scores a batch of texts. Parameters only in __init__, as scikit-learn does."""

    def __init__(self, lexicon: dict[str, float] | None = None, neutral_band: float = NEUTRAL_BAND):
        self.lexicon = CARE_LEXICON if lexicon is None else lexicon
        self.neutral_band = neutral_band
        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon.update(self.lexicon)

    def compound(self, texts: Sequence[str]) -> list[float]:
        polarity = self._vader.polarity_scores
        return [polarity(bounded(t))["compound"] if t else 0.0 for t in texts]

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        out = []
        for score in self.compound(texts):
            if score <= -self.neutral_band:
                label = "negative"
            elif score >= self.neutral_band:
                label = "positive"
            else:
                label = "neutral"
            out.append(Sentiment(label=label, score=max(-1.0, min(1.0, score))))
        return out
