"""Phrase matching (classify/keywords.py): whole words, the longest phrase first, a word taken
by one phrase not matched again; the shortcut for texts with one-word phrases only finds
exactly what the word-by-word walk finds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from classify import kernels
from classify.keywords import PhraseIndex, tokenize, words

CATEGORIES = {
    "service": ["customer service", "on hold", "hold", "agent", "rude"],
    "outage": ["not working", "down", "error"],
    "praise": ["thank you", "thanks", "love"],
    "again": ["hold"],  # listed twice: counts for the first category
}
INDEX = PhraseIndex(CATEGORIES)
VOCABULARY = [
    *("customer", "service", "on", "hold", "agent", "rude", "not", "working", "down"),
    *("error", "thank", "you", "thanks", "love", "the", "app", "is", "refund"),
]


def walked(ws: list[str], compiled: bool = True) -> dict[str, list[str]]:
    """Without the compiled walk: the one-word shortcut where it applies, else the walk in
    Python; with it (classify/_kernels.c), always the compiled walk."""
    if compiled:
        return INDEX.find_words(ws)
    saved, kernels.compiled = kernels.compiled, None
    try:
        return INDEX.find_words(ws)
    finally:
        kernels.compiled = saved


def walked_in_python(ws: list[str]) -> dict[str, list[str]]:
    """The Python walk alone, every start word treated as one of a longer phrase."""
    index = PhraseIndex(CATEGORIES)
    index._multi = frozenset(index._starts)
    saved, kernels.compiled = kernels.compiled, None
    try:
        return index.find_words(ws)
    finally:
        kernels.compiled = saved


def test_longest_phrase_first_and_each_word_once():
    ws = words("Customer service put me ON HOLD, the app is not working. Thanks!")
    assert INDEX.find_words(ws) == {
        "service": ["customer service", "on hold"],
        "outage": ["not working"],
        "praise": ["thanks"],
    }
    assert INDEX.find_words(words("hold the line, rude agent")) == {
        "service": ["agent", "hold", "rude"]
    }
    assert INDEX.find_words(words("nothing to see")) == {}
    assert INDEX.find_words([]) == {}


@given(st.lists(st.sampled_from(VOCABULARY), max_size=30))
def test_shortcut_compiled_and_python_walks_find_the_same(ws):
    assert walked(ws) == walked(ws, compiled=False) == walked_in_python(ws)


@pytest.mark.skipif(kernels.compiled is None, reason="classify/_kernels.c not built")
def test_the_compiled_walk_refuses_a_malformed_index():
    with pytest.raises(TypeError):
        kernels.compiled.phrase_hits(["a"], {"a": [("a", "a")]})
    with pytest.raises(TypeError):
        kernels.compiled.phrase_hits(("a",), {})
    assert kernels.compiled.phrase_hits(["a", "b"], {"a": [(("a", "b"), "a b", "x")]}) == [
        ("x", "a b")
    ]


def test_phrases_match_the_words_the_tokenizer_gives():
    assert tokenize("#Refund @united it's DOWN!!! 🙂") == [
        "#refund",
        "@united",
        "it's",
        "down",
        "!!!",
        "🙂",
    ]
    assert INDEX.find(" ERROR…error ") == {"outage": ["error"]}
