"""The compiled scoring loops (classify/_kernels.c): built by the install, and giving exactly
the numbers of the numpy path they replace, on any batch, including hostile ones."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classify import kernels, training
from classify.features import Features, word_grams
from classify.keywords import TOKEN, plain_words, tokens_and_words
from classify.spam import _REPEAT
from classify.text import bounded
from classify.token_ids import lookup
from classify.vader import _strip_punc_if_word
from tests.classify.test_learned import LABELS, TEXTS, UNSEEN

HOSTILE = [
    "a" * 1000,  # one character n-gram thousands of times: counts past any small tf table
    "no no no no " * 80,
    "",
    "\x00\u202e\ufeff",
    "🙂" * 300,
    "NOT happy!!! cancelled, cancelled, CANCELLED",
]


def test_the_install_built_the_compiled_loops():
    """`pip install -e .` (make install) compiles classify/_kernels.c on a machine with a C
    compiler, as CI's is: a suite that silently ran the numpy path would not test them."""
    if os.environ.get("SOCIALCARE_NO_KERNELS") == "1":
        pytest.skip("turned off by SOCIALCARE_NO_KERNELS=1")
    assert kernels.compiled is not None, "classify/_kernels.c was not built: see pyproject.toml"


@pytest.fixture(scope="module")
def models():
    complaint_labels = ["1" if x == "negative" else "0" for x in LABELS]
    return [
        training.train("sentiment", TEXTS, LABELS, folds=0),  # three labels, words
        training.train("complaint", TEXTS, complaint_labels, folds=0),  # two, words+chars
    ]


def both_paths(model, texts: list[str], monkeypatch) -> tuple[np.ndarray, np.ndarray]:
    batch = [bounded(t) for t in texts]
    compiled = model.predict_proba_features(Features(batch))
    with monkeypatch.context() as patch:
        patch.setattr(kernels, "compiled", None)
        numpy_only = model.predict_proba_features(Features(batch))
    return compiled, numpy_only


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
def test_compiled_scores_equal_numpys_to_the_last_bit(models, monkeypatch):
    for model in models:
        compiled, numpy_only = both_paths(model, UNSEEN + TEXTS + HOSTILE, monkeypatch)
        assert compiled.tobytes() == numpy_only.tobytes(), model.task


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(max_size=400), max_size=10))
def test_any_batch_scores_the_same_on_both_paths(models, monkeypatch, texts):
    for model in models:
        compiled, numpy_only = both_paths(model, texts, monkeypatch)
        assert compiled.tobytes() == numpy_only.tobytes(), model.task


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
def test_bad_buffers_are_refused_with_a_clear_error():
    tfidf = kernels.compiled.tfidf_scores
    idf, tf, coef = np.ones(4), np.ones(8), np.ones((4, 2))
    z = np.zeros((2, 2))
    with pytest.raises(ValueError, match="sorted"):
        tfidf(np.array([5, 1], dtype=np.int64), 4, idf, tf, coef, z)
    with pytest.raises(ValueError, match="sorted"):  # a key past the last text
        tfidf(np.array([1, 8], dtype=np.int64), 4, idf, tf, coef, z)
    with pytest.raises(ValueError, match="width"):
        tfidf(np.array([1], dtype=np.int64), 3, idf, tf, coef, z)
    with pytest.raises(TypeError, match="idf"):
        tfidf(np.array([1], dtype=np.int64), 4, idf.astype(np.float32), tf, coef, z)
    with pytest.raises(BufferError):  # scores need somewhere writable
        tfidf(np.array([1], dtype=np.int64), 4, idf, tf, coef, bytes(32))
    tfidf(np.array([0, 0, 5], dtype=np.int32), 4, idf, tf, coef, z)  # the good call works
    assert z[0, 0] > 0 and z[1, 0] > 0


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("#@'!?_ \t\n’-.,aZ9ⅷ❶½"),  # the characters the pattern turns on
            st.characters(min_codepoint=0x2600, max_codepoint=0x27BF),  # emoji and dingbats
            st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),
            st.characters(),  # and anything else
        ),
        max_size=200,
    )
)
def test_the_compiled_tokenizer_reads_text_as_the_regex_does(text):
    lowered = text.lower().replace("’", "'")
    tokens = TOKEN.findall(lowered)
    assert kernels.compiled.tokens_and_words(lowered) == (tokens, plain_words(tokens))


def test_the_tokenizer_refuses_what_is_not_text():
    if kernels.compiled is not None:
        with pytest.raises(TypeError, match="expected str"):
            kernels.compiled.tokens_and_words(b"bytes")
    assert tokens_and_words("#Refund @united it's DOWN!!! 🙂") == (
        ["#refund", "@united", "it's", "down", "!!!", "🙂"],
        ["refund", "united", "it's", "down"],
    )


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
@given(st.lists(st.text(min_size=1, max_size=12), max_size=20))
def test_compiled_n_grams_are_the_known_ones_of_word_grams(words):
    vocabulary = {g: i for i, g in enumerate(dict.fromkeys(word_grams("reservation")))}
    vocabulary.update({" a": 900, "🙂 ": 901, "x": 902})  # "x" is never a 2- to 5-gram
    found, counts = kernels.compiled.gram_columns(words, vocabulary)
    want = [[vocabulary[g] for g in word_grams(w) if g in vocabulary] for w in words]
    assert np.frombuffer(counts, np.int64).tolist() == list(map(len, want))
    assert np.frombuffer(found, np.int64).tolist() == [c for cols in want for c in cols]


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
def test_n_gram_keys_refuse_ids_and_buffers_out_of_range():
    keys = kernels.compiled.gram_keys
    start, count = np.array([0, 2], dtype=np.int64), np.array([2, 1], dtype=np.int64)
    cols = np.array([5, 6, 7], dtype=np.int64)
    rows = np.array([0, 1], dtype=np.int64)
    out = np.empty(3, dtype=np.int64)
    keys(np.array([0, 1], dtype=np.int64), rows, start, count, cols, 10, out)
    assert out.tolist() == [5, 6, 17]
    with pytest.raises(ValueError, match="out of range"):
        keys(np.array([0, 2], dtype=np.int64), rows, start, count, cols, 10, out)
    with pytest.raises(ValueError, match="out of range"):  # out too short
        keys(np.array([0, 0], dtype=np.int64), rows, start, count, cols, 10, out)
    with pytest.raises(ValueError, match="as long"):
        keys(np.array([1, 1], dtype=np.int64), rows, start, count, cols, 10, out)
    with pytest.raises(TypeError, match="ids"):
        keys(np.array([0, 1], dtype=np.int32), rows, start, count, cols, 10, out)
    with pytest.raises(TypeError):
        kernels.compiled.gram_columns(["ok", 3], {})


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
@given(st.text(alphabet=st.sampled_from("aab \n\t\u3000\u00a0!🙂x"), max_size=60))
def test_runs_of_one_character_are_found_as_the_regex_finds_them(text):
    assert kernels.compiled.has_run(text, 10) == (_REPEAT.search(text) is not None)
    assert kernels.compiled.has_run(text, 3) == (re.search(r"(\S)\1\1", text) is not None)
    with pytest.raises(ValueError):
        kernels.compiled.has_run(text, 0)


@given(
    st.dictionaries(st.text(max_size=4), st.integers(0, 2**40), max_size=20),
    st.lists(st.text(max_size=4), max_size=30),
)
def test_lookups_give_each_keys_value_and_minus_one_where_missing(index, keys):
    want = [index.get(k, -1) for k in keys]
    assert lookup(index, keys).tolist() == want
    if kernels.compiled is not None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kernels, "compiled", None)
            assert lookup(index, keys).tolist() == want


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
def test_lookups_refuse_values_that_are_not_ids():
    with pytest.raises(ValueError, match="0 or more"):
        kernels.compiled.lookup({"a": -2}, ["a"])
    with pytest.raises(TypeError):
        kernels.compiled.lookup({"a": "x"}, ["a"])
    with pytest.raises(TypeError):
        kernels.compiled.lookup({}, [["unhashable"]])


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
def test_the_pair_table_finds_the_pairs_it_holds_and_refuses_a_bad_size():
    keys, cols = np.array([7, 23, 1 << 40], dtype=np.int64), np.array([1, 2, 3], dtype=np.int64)
    table = np.empty(8, dtype=np.int64), np.empty(8, dtype=np.int64)
    kernels.compiled.pair_table(keys, cols, *table)
    rows = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    words = np.array([0, 7, 2, 3, 9], dtype=np.int64)  # with width 10: pairs 7, 72, 23 (row 0)
    out = np.empty(4, dtype=np.int64), np.empty(4, dtype=np.int64)
    m = kernels.compiled.pair_columns(rows, words, 9, 10, *table, *out)  # 9: unknown
    assert (m, out[0][:m].tolist(), out[1][:m].tolist()) == (1, [0], [1])  # 3→9 crosses rows
    with pytest.raises(ValueError, match="power-of-two"):
        kernels.compiled.pair_table(keys, cols, np.empty(6, np.int64), np.empty(6, np.int64))
    with pytest.raises(ValueError, match="do not fit"):
        kernels.compiled.pair_columns(rows, words, 9, 10, *table, *(np.empty(2, np.int64),) * 2)


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
def test_a_full_pair_table_passed_in_ends_the_search():
    full = np.arange(8, dtype=np.int64), np.arange(8, dtype=np.int64)  # no empty slot
    rows, words = np.zeros(2, dtype=np.int64), np.array([1, 2], dtype=np.int64)
    out = np.empty(1, dtype=np.int64), np.empty(1, dtype=np.int64)
    assert kernels.compiled.pair_columns(rows, words, 9, 10, *full, *out) == 0  # key 12: absent


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(" \t\n!?.,'\"-:)(AZaz09ÀéİΣßﬁ"),  # ASCII case, punctuation, and
            st.characters(),  # letters whose lowercase differs in length or by context
        ),
        max_size=200,
    )
)
def test_vaders_compiled_words_are_the_librarys_split_strip_and_lower(text):
    words = [_strip_punc_if_word(w) for w in text.split()]
    got_words, got_lower = kernels.compiled.vader_words(text)
    assert got_words == words
    assert got_lower == [w.lower() for w in words]


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
def test_vaders_compiled_words_lower_every_ascii_character_as_str_lower():
    text = " ".join(f"{chr(c)}{chr(c)}x" for c in range(33, 127))
    assert kernels.compiled.vader_words(text)[1] == [w.lower() for w in text.split()]
