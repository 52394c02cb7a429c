"""The words and phrases a post is counted under in listening reports."""

from __future__ import annotations

import csv
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialcare.stream import terms
from socialcare.stream.terms import listening_terms, regex_terms, regex_words, words


def test_words_drop_handles_links_numbers_stop_words_and_edge_quotes():
    text = "@Delta My FLIGHT 2417 'cancelled' again!! https://t.co/x www.a.b #fail don't 'n' it's"
    assert words(text) == ["flight", "cancelled", "fail", "n"]
    assert words("") == [] and words("''' 123 @a") == []


def test_terms_are_distinct_words_then_adjacent_pairs():
    assert listening_terms("Flight cancelled, flight delayed, x") == [
        "flight",
        "cancelled",
        "delayed",
        "flight_cancelled",
        "cancelled_flight",
        "flight_delayed",
    ]


needs_compiled = pytest.mark.skipif(terms.compiled is None, reason="_terms.c not built")


def test_the_install_built_the_one_pass_reader():
    """`make install` compiles socialcare/stream/_terms.c where a C compiler is, as in CI: a
    suite that silently ran the regexes alone would not test it."""
    if os.environ.get("SOCIALCARE_NO_KERNELS") == "1":
        pytest.skip("turned off by SOCIALCARE_NO_KERNELS=1")
    assert terms.compiled is not None, "socialcare/stream/_terms.c was not built"


@needs_compiled
def test_one_pass_reads_every_shared_tweet_as_the_regexes_do(shared_data):
    texts = [
        row["text"]
        for name in ("twcs_sample.csv", "airline_tweets.csv")
        for row in csv.DictReader((shared_data / name).open(encoding="utf-8"))
    ]
    assert len(texts) > 10_000
    for text in texts:
        assert words(text) == regex_words(text), text
        assert listening_terms(text) == regex_terms(text), text


@needs_compiled
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            # what the noise and token patterns turn on: handles, '#', links, digits of any
            # script, quotes, spaces of any kind, letters that lowercase to two characters
            st.sampled_from("@#_':/.httpsw HTTPSW\t\n\u00a0\u2003aéz9٣９²İ"),
            st.sampled_from(["http://", "https://", "www.", "@a", "#b", "it's", "''"]),
            st.characters(),
        ),
        max_size=60,
    ).map("".join)
)
def test_one_pass_reads_any_text_as_the_regexes_do(text):
    assert words(text) == regex_words(text)
    assert listening_terms(text) == regex_terms(text)


@needs_compiled
def test_one_pass_refuses_what_is_not_text():
    with pytest.raises(TypeError):
        terms.compiled.content_words(b"bytes", terms.STOP_WORDS)
    with pytest.raises(TypeError):
        terms.compiled.content_terms("text", {"a", "set"}, "_")
