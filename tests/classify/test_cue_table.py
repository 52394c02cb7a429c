"""The care cues counted by the compiled loop from their spelled-out table: the same counts as
the regexes, on every shared tweet and on generated text built from the cues' own pieces."""

from __future__ import annotations

import csv

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classify import kernels
from classify.care_language import COMPLAINT_CUES, PRAISE_CUES, SARCASM_CUES, cues
from classify.cue_table import UNITS, CueSet, cue_entries

CUE_SETS = {"complaint": COMPLAINT_CUES, "praise": PRAISE_CUES, "sarcasm": SARCASM_CUES}
needs_compiled = pytest.mark.skipif(
    kernels.compiled is None, reason="classify/_kernels.c not built"
)


def test_alternatives_are_spelled_out_in_the_order_the_regex_tries_them():
    assert cue_entries(["cancell?ed", "delay(?:ed|s)?", "#?fail(?:s)?", "no one", "no"]) == (
        "cancelled",
        "canceled",
        "delayed",
        "delays",
        "delay",
        "#fails",
        "#fail",
        "fails",
        "fail",
        "no one",
        "no",
    )
    assert cue_entries([r"\d+\s*(?:hours?|mins?)"]) == ((UNITS, ("hours", "hour", "mins", "min")),)


@pytest.mark.parametrize(
    "pattern",
    ["a+", r"\w", "[ab]c", "(a)", "a(?=b)", "(?i:a)", "a?", r"\d+x", r"\d+\s*(?:1h)"],
)
def test_what_is_not_spelled_out_keeps_the_regex(pattern):
    assert cue_entries([pattern]) is None
    fallback = CueSet(["still", pattern])
    assert fallback._count is None  # counted by the regex
    assert fallback.count("still still") == len(fallback.regex.findall("still still"))


@needs_compiled
@pytest.mark.parametrize(
    "alternatives, expected",
    [(["no", "no one", "one"], ["no", "one"]), (["no one", "no", "one"], ["no one"])],
)
def test_the_first_alternative_that_matches_wins_as_in_the_regex(alternatives, expected):
    cue_set = CueSet(alternatives)
    assert cue_set._count is not None
    assert cue_set.regex.findall("no one") == expected
    assert cue_set.count("no one") == len(expected)


def test_every_care_cue_set_is_spelled_out():
    for name, cue_set in CUE_SETS.items():
        assert cue_set.entries, name


@needs_compiled
def test_the_care_cues_are_counted_by_the_compiled_loop():
    for name, cue_set in CUE_SETS.items():
        assert cue_set._count is kernels.compiled.cue_count, name


def _same_as_the_regex(low: str) -> None:
    for name, cue_set in CUE_SETS.items():
        assert cue_set.count(low) == len(cue_set.regex.findall(low)), (name, low)
        assert cue_set.found_in(low) == (cue_set.regex.search(low) is not None), (name, low)


@needs_compiled
def test_every_shared_tweet_gets_the_regexes_counts(shared_data):
    texts = [
        row["text"]
        for name in ("twcs_sample.csv", "airline_tweets.csv", "complaints.csv")
        for row in csv.DictReader((shared_data / name).open(encoding="utf-8"))
    ]
    assert len(texts) > 10_000
    for text in texts:
        _same_as_the_regex(text.lower())


# the cues' own words, near misses and what sits at their edges: the places a table and a
# regex could part (a word start after '#', digits of other scripts, a longer alternative first)
PIECES = [
    *(
        [
            "cancelled",
            "canceled",
            "cancel",
            "delay",
            "delays",
            "delayed",
            "still",
            "stills",
            "no",
            "not",
            "nothing",
            "nobody",
        ]
    ),
    *(
        [
            "no",
            "one",
            "on",
            "hold",
            "hold",
            "for",
            "holding",
            "time",
            "fail",
            "#fail",
            "#failed",
            "#still",
            "failure",
            "can't",
            "cant",
        ]
    ),
    *(
        [
            "cannot",
            "won't",
            "didn't",
            "thanks",
            "thank",
            "you",
            "thanks",
            "you",
            "shout",
            "out",
            "shoutout",
            "love",
            "how",
        ]
    ),
    *(
        [
            "not",
            "happy",
            "not",
            "good",
            "good",
            "job",
            "great",
            "thx",
            "ty",
            "typo",
            "lack",
            "of",
            "hung",
            "up",
            "issues",
            "issue",
        ]
    ),
    *(
        [
            "2",
            "hours",
            "2hours",
            "10",
            "mins",
            "3",
            "minutes",
            "5",
            "min",
            "7",
            "days",
            "٣",
            "days",
            "4",
            "hrs",
            "12hr",
            "x2",
            "hours",
        ]
    ),
    "\u0661\u0662 hours",
    "thanks for nothing",
    "so much for",
    "yeah right",
    "love it when",
]
SEPARATORS = [" ", "  ", "#", "'", "\u00a0", "\n", "", ".", "_", "1", "é", "!", "?", "@", "-"]


@needs_compiled
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), min_size=0, max_size=14
    )
)
def test_generated_text_gets_the_regexes_counts(parts):
    _same_as_the_regex("".join(piece + sep for piece, sep in parts))


@needs_compiled
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gets_the_regexes_counts(text):
    _same_as_the_regex(text.lower())


def test_cues_reads_a_complaint_as_before():
    text = "Flight CANCELLED again, on hold for 2 hours. Thanks a lot #fail"
    c = cues(text)
    # cancelled, again, on hold (its "hold" is then taken: not "hold for"), 2 hours, #fail
    assert COMPLAINT_CUES.regex.findall(text.lower()) == [
        "cancelled",
        "again",
        "on hold",
        "2 hours",
        "#fail",
    ]
    assert (c.complaint, c.praise, c.sarcasm, c.question) == (5, 1, True, False)


@needs_compiled
@pytest.mark.parametrize(
    "index, fallback",
    [
        ({"a": (3, "ab")}, ()),
        ({}, (("units", (4, "h")),)),
        ({}, (("units", "h"),)),
        ({"a": "ab"}, ()),
    ],
)
def test_a_malformed_table_is_a_type_error(index, fallback):
    with pytest.raises(TypeError, match="cue_count"):
        kernels.compiled.cue_count("a ab 1 h", index, fallback)
