"""The words and phrases a post is counted under in listening reports."""

from __future__ import annotations

from socialcare.stream.terms import listening_terms, words


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
