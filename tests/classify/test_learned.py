"""Learned models: the exported scorer equals the sklearn pipeline it was trained as, and model
directories that are damaged or unwritable give a clear error."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classify import training
from classify.features import Features
from classify.learned import ModelError, _counted, load
from classify.text import bounded

TEXTS = [
    "@united flight cancelled again, stuck at the gate for hours",
    "@united thanks for the great service today!",
    "@delta my bag is lost and nobody answers",
    "@delta love the new seats, amazing crew",
    "@jetblue what time does the lounge open?",
    "@jetblue is there wifi on the flight to boston",
    "@united still no refund after 3 weeks. not happy",
    "@delta not bad at all, thank you",
    "@jetblue can I change my seat online",
    "@united cancelled flight, no hotel, no help",
    "@delta great job getting us home",
    "@jetblue when does boarding start",
] * 3
LABELS = [
    *("negative", "positive", "negative", "positive", "neutral", "neutral"),
    *("negative", "positive", "neutral", "negative", "positive", "neutral"),
] * 3
UNSEEN = [
    "@southwest cancelled again and no help at the gate",
    "",
    "🙂🙂🙂",
    "not great, not terrible",
    "@united @delta thanks",
]


@pytest.mark.parametrize("prior", [False, True])
@pytest.mark.parametrize("feature_set", ["words", "words+chars"])
@pytest.mark.parametrize("labels", [LABELS, ["1" if x == "negative" else "0" for x in LABELS]])
def test_exported_model_scores_exactly_as_the_sklearn_pipeline(feature_set, labels, prior):
    rows = training.samples(TEXTS, feature_set, prior)
    pipeline = training.build_pipeline(feature_set, prior)
    pipeline.set_params(min_df=1)
    pipeline.fit(rows, labels)
    model = training.export("sentiment", pipeline, {"feature_set": feature_set})
    assert (model.prior_coef is not None) == prior
    expected = pipeline.predict_proba(training.samples(UNSEEN + TEXTS, feature_set, prior))
    got = model.predict_proba_features(Features(UNSEEN + TEXTS))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_a_saved_model_loads_and_predicts_the_same(tmp_path):
    model = training.train("sentiment", TEXTS, LABELS, folds=3)
    assert model.meta["cv_folds"] == 3 and 0 <= model.meta["cv_macro_f1"] <= 1
    model.save(tmp_path / "m")
    again = load(tmp_path / "m", "sentiment")
    assert again.predict(UNSEEN) == model.predict(UNSEEN)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "meta.json",
        "vocabulary.json",
        "weights.npz",
    ]


@pytest.fixture
def saved(tmp_path):
    training.train("sentiment", TEXTS, LABELS, folds=0).save(tmp_path / "m")
    return tmp_path / "m"


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: (d / "weights.npz").write_bytes(b"not a zip"),
        lambda d: (d / "vocabulary.json").write_text("[[1, 2], 3]"),
        lambda d: (d / "vocabulary.json").write_text('[["only", "two"]]'),
        lambda d: (d / "vocabulary.json").write_text('[["a pair of unknown words"]]'),
        lambda d: (d / "meta.json").write_text("[]"),
        lambda d: (d / "meta.json").write_text("{"),
        lambda d: (d / "weights.npz").unlink(),
    ],
)
def test_a_damaged_model_directory_is_a_clear_error(saved, damage):
    damage(saved)
    with pytest.raises(ModelError, match=str(saved)):
        load(saved, "sentiment")


def test_an_old_or_other_task_model_is_refused(saved):
    with pytest.raises(ModelError, match="not 'topic'"):
        load(saved, "topic")
    meta = json.loads((saved / "meta.json").read_text())
    (saved / "meta.json").write_text(json.dumps({**meta, "format": 2}))
    (saved / "weights.npz").unlink()  # a format-2 directory held model.joblib instead
    (saved / "model.joblib").write_bytes(b"pickle")
    with pytest.raises(ModelError, match="train it again"):
        load(saved, "sentiment")


def test_a_model_file_is_never_unpickled(saved):
    """weights.npz is read with allow_pickle=False: an object array is refused, not run."""
    np.savez(saved / "weights.npz", idf=np.array([object()]), coef=np.zeros(1), intercept=[0])
    with pytest.raises(ModelError):
        load(saved, "sentiment")


def test_train_into_an_unwritable_place_is_one_clear_line(tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text(
        "text,label\n" + "".join(f'"{t}",{y}\n' for t, y in zip(TEXTS, LABELS, strict=True))
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = subprocess.run(
        [
            *(sys.executable, "-m", "socialcare.cli", "train", "--task", "sentiment"),
            *("--data", str(data), "--text-column", "text", "--label-column", "label"),
            *("--out", str(blocker / "model"), "--folds", "0"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert "cannot write the model" in out.stderr and "Traceback" not in out.stderr


@pytest.fixture(scope="module")
def trained_pair():
    return (
        training.train("sentiment", TEXTS, LABELS, folds=0),
        training.train("complaint", TEXTS, ["1" if x == "negative" else "0" for x in LABELS], 0),
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(max_size=300), max_size=12))
def test_any_batch_of_texts_gets_probabilities(trained_pair, texts):
    """Empty batches, empty texts, texts of unknown words only, emoji, control characters:
    every row is a probability distribution, whatever the feature set."""
    for model in trained_pair:
        proba = model.predict_proba_features(Features([bounded(t) for t in texts]))
        assert proba.shape == (len(texts), len(model.labels))
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_reasons_name_the_features_that_pushed_towards_the_label(trained_pair):
    sentiment, complaint = trained_pair
    texts = [TEXTS[9], TEXTS[10], ""]  # "… cancelled flight, no hotel, no help", "… great job …"
    batch = Features(texts)
    labels = sentiment.predict_features(batch)
    assert labels[:2] == ["negative", "positive"]
    why = sentiment.reasons(batch, labels)
    assert len(why) == 3 and why[2] == []  # an empty text has no features to name
    assert 1 <= len(why[0]) <= 3 and any("'cancelled" in r or "'no" in r for r in why[0])
    assert any("great" in r or "thanks" in r or "positive word" in r for r in why[1])
    for reason in why[0] + why[1]:
        assert float(reason.rsplit(" ", 1)[1]) > 0  # only what pushed towards the label
    two = complaint.reasons(batch, complaint.predict_features(batch))  # the two-label form
    assert len(two) == 3 and all(float(r.rsplit(" ", 1)[1]) > 0 for r in two[0] + two[1])


def test_char_grams_score_the_same_whatever_the_word_cache_holds(trained_pair, monkeypatch):
    """The word → n-gram-columns cache (restarted when full) never changes a probability:
    texts scored in small batches, through restarts of a tiny cache, equal one fresh batch."""
    _sentiment, complaint = trained_pair
    texts = [bounded(t) for t in UNSEEN + TEXTS]
    fresh = training.train("complaint", TEXTS, ["1" if x == "negative" else "0" for x in LABELS], 0)
    whole = fresh.predict_proba_features(Features(texts))
    monkeypatch.setattr("classify.learned.CHAR_CACHE_WORDS", 7)
    pieces = [
        complaint.predict_proba_features(Features(texts[i : i + 3]))
        for i in range(0, len(texts), 3)
    ]
    np.testing.assert_allclose(np.vstack(pieces), whole, atol=1e-12)
    again = complaint.predict_proba_features(Features(texts))  # the cache warm, then full
    np.testing.assert_allclose(again, whole, atol=1e-12)


@given(st.lists(st.integers(0, 2**40), max_size=200), st.booleans())
def test_term_counts_are_numpys_unique_with_counts(keys, small):
    """`_counted` (a sort of 32-bit keys where they fit) gives what np.unique gives."""
    array = np.array(keys, dtype=np.int64) % (1000 if small else 2**40)
    got_keys, got_counts = _counted(array.copy(), 1000 if small else 2**40)
    want_keys, want_counts = np.unique(array, return_counts=True)
    assert got_keys.tolist() == want_keys.tolist()
    assert got_counts.tolist() == want_counts.tolist()
