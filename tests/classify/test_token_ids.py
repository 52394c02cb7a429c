"""Token ids shared by the learned models: the tags and columns read by id are the ones the
strings give, and no probability depends on what the process's table holds."""

from __future__ import annotations

import numpy as np

from classify import training
from classify.features import (
    LEXICON_TAGS,
    NEGATIONS,
    Features,
    feature_words,
    lexicon_tags,
)
from classify.keywords import tokenize
from classify.text import bounded
from classify.token_ids import TAG_NAMES, ModelColumns, TokenTable

TEXTS = [
    "@united not great, never good, and it isn't bad",
    "great start: the crew was lovely",  # after a text ending in a negation
    "not",
    "good",
    "",
    "🙂 @delta thanks!!! #awesome",
    "didn't love it, cannot complain, no problem",
]


def test_tags_by_id_are_the_strings_lexicon_tags_gives():
    names = ["", *TAG_NAMES, *("__not" + t for t in TAG_NAMES)]
    vocabulary = {name: k for k, name in enumerate(names) if name}
    columns = ModelColumns(vocabulary, unknown=len(names))
    table = TokenTable(LEXICON_TAGS, NEGATIONS)
    tokens = [tokenize(t) for t in TEXTS]
    rows = np.repeat(np.arange(len(tokens)), [len(t) for t in tokens])
    ids = table.ids([tok for one in tokens for tok in one])
    tag_rows, tag_cols = columns.tags(rows, ids, table)
    got = [
        sorted(names[c] for r, c in zip(tag_rows, tag_cols, strict=True) if r == i)
        for i in range(len(TEXTS))
    ]
    expected = [sorted(lexicon_tags(feature_words(t))) for t in tokens]
    assert got == expected
    assert got[1] and not any(t.startswith("__not") for t in got[1])  # "great" after "not"
    assert any(t.startswith("__not") for t in got[0])


def test_probabilities_do_not_depend_on_what_the_token_table_holds(monkeypatch):
    """Small batches through a table restarted every few tokens, then one batch: the same
    probabilities as one batch on a fresh table, for a words and a words+chars model."""
    texts = [bounded(t) for t in TEXTS * 2]
    labels = ["1", "0", "1", "0", "0", "0", "1"] * 2
    models = [
        training.train("complaint", texts, labels, 0),
        training.train(
            "sentiment",
            texts,
            ["negative", "positive", "neutral", "positive", "neutral", "positive", "negative"] * 2,
            0,
        ),
    ]
    monkeypatch.setattr("classify.features._table", TokenTable(LEXICON_TAGS, NEGATIONS))
    whole = [m.predict_proba_features(Features(texts)) for m in models]
    monkeypatch.setattr("classify.features.MAX_TOKENS", 6)
    for model, expected in zip(models, whole, strict=True):
        pieces = [
            model.predict_proba_features(Features(texts[i : i + 2]))
            for i in range(0, len(texts), 2)
        ]
        np.testing.assert_allclose(np.vstack(pieces), expected, atol=1e-12)
        np.testing.assert_allclose(
            model.predict_proba_features(Features(texts)), expected, atol=1e-12
        )
