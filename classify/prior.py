"""What the untrained default knows, as features a learned model starts from.

A model trained on a few hundred corrections knows fewer words than VADER's lexicon and the care
cues (classify/care_language.py) do. So a learned model can take, besides its words, the
default's own reading of each text as a handful of numbers: the care label it would give (one
column per label), VADER's compound, positive, negative and neutral scores, and how many
complaint and praise cues, sarcasm and a question the text carries. The regression weighs them
like any feature: with few corrections it leans on them and does about what the default does;
with more it learns where the default is wrong.

These are dense columns, scaled by `SCALE` and appended after the TF-IDF words, so the weights
they need are small and regularisation does not pull the model away from the default early on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classify.care_language import care_label, cues
from classify.vader import Vader

LABELS = ("negative", "neutral", "positive")
NAMES = (
    "default says negative",
    "default says neutral",
    "default says positive",
    "VADER compound",
    "VADER positive part",
    "VADER negative part",
    "VADER neutral part",
    "VADER compound above 0",
    "VADER compound below 0",
    "complaint cues",
    "praise cues",
    "sarcasm",
    "a question",
)
SCALE = 3.0
_vader: Vader | None = None


def _analyzer() -> Vader:
    global _vader
    if _vader is None:
        _vader = Vader()
    return _vader


def prior_matrix(texts: Sequence[str]) -> np.ndarray:
    """(texts × len(NAMES)) unscaled prior features of already bounded texts."""
    vader = _analyzer()
    out = np.zeros((len(texts), len(NAMES)))
    for i, text in enumerate(texts):
        if not text:
            out[i, 1] = 1.0  # the default calls an empty text neutral
            out[i, 6] = 1.0
            continue
        p = vader.polarity_scores(text)
        c = cues(text)
        compound = p["compound"]
        out[i, LABELS.index(care_label(compound, c))] = 1.0
        out[i, 3:9] = (
            compound,
            p["pos"],
            p["neg"],
            p["neu"],
            max(compound, 0.0),
            min(compound, 0.0),
        )
        out[i, 9:] = (min(c.complaint, 3) / 3, min(c.praise, 3) / 3, c.sarcasm, c.question)
    return out
