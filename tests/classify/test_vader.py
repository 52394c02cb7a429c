"""classify.vader.Vader gives exactly the library's scores, only faster."""

from __future__ import annotations

import csv

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from classify.vader import Vader

HAND_WRITTEN = [
    "",
    "   ",
    "😀 great flight",
    "great😀flight 😡",
    "not bad",
    "isn't good at all",
    "never so good",
    "never this bad",
    "without doubt awful",
    "kind of ok",
    "the least bad option",
    "at least it was fine",
    "NOT GOOD!!!",
    "sort of nice but awful",
    "the bomb, yeah right",
    "cut the mustard, no doubt",
    "no problem, not great",
    "no good",
    ":) :( <3",
    "the flight leaves at 5pm from gate b12",  # no word with a valence
    "very kind of them",  # a booster before "kind" that is not "kind of"
    "KIND OF awful, but very GOOD",
    "no, not good",
]


@pytest.fixture(scope="module")
def pair():
    return SentimentIntensityAnalyzer(), Vader()


def test_hand_written_edge_cases_score_as_the_library(pair):
    library, ours = pair
    for text in HAND_WRITTEN:
        assert ours.polarity_scores(text) == library.polarity_scores(text), text


def test_every_shared_tweet_scores_as_the_library(pair, shared_data):
    library, ours = pair
    for name in ("airline_tweets.csv", "complaints.csv", "vader_tweets_groundtruth.csv"):
        with (shared_data / name).open(newline="") as fh:
            texts = [row["text"] for row in csv.DictReader(fh)]
        different = [t for t in texts if ours.polarity_scores(t) != library.polarity_scores(t)]
        assert different == [], f"{name}: {len(different)} texts score differently"
