"""The default classifier on hand-written care posts, and on hostile text."""

from __future__ import annotations

import json

import pytest

from classify.classifier import Classifier
from classify.urgency import Reach


@pytest.fixture(scope="module")
def clf():
    return Classifier()


def test_care_complaints_without_negative_words_read_negative(clf):
    texts = [
        "@SkyLark flight Cancelled Flightled, on hold for 2 hours",
        "@SkyLark still no bag. Day 3",
        "@SkyLark thanks for nothing, my bag is still missing",
        "@SkyLark thank you so much, the crew was amazing!",
        "@SkyLark can I bring a guitar on board?",
    ]
    labels = [t.sentiment.label for t in clf.classify(texts)]
    assert labels == ["negative", "negative", "negative", "positive", "neutral"]


def test_urgency_levels_and_reasons(clf):
    smoke, legal, calm = clf.classify(
        [
            "@SkyLark there is smoke in the cabin",
            "@SkyLark 3 weeks without my refund, talking to my lawyer",
            "@SkyLark does the lounge open at 6?",
        ],
        [Reach(), Reach(50_000, True), Reach()],
    )
    assert smoke.urgency.level == "critical" and "safety: smoke" in smoke.urgency.reasons
    assert legal.urgency.level in ("high", "critical")
    assert any(r.startswith("legal") for r in legal.urgency.reasons)
    assert "reach: verified" in legal.urgency.reasons
    assert calm.urgency.level == "low" and calm.urgency.reasons == []


def test_topic_and_spam(clf):
    bag, spam = clf.classify(
        [
            "@SkyLark my suitcase is lost",
            "RT @promo: free followers click here http://a.example http://b.example",
        ]
    )
    assert bag.topic == "baggage" and not bag.spam
    assert spam.spam and "retweet" in spam.spam_reasons


@pytest.mark.parametrize(
    ("text", "repeats"),
    [
        ("sooooooooooo slow", True),
        ("soooooooo slow", False),  # nine
        ("gap" + " " * 12 + "then", False),  # a whitespace run is no repetition
        ("gap" + " " * 12 + "then !!!!!!!!!!!!", True),  # … and does not hide a later one
    ],
)
def test_repeated_characters(clf, text, repeats):
    (tags,) = clf.classify([text])
    assert ("repeated characters" in tags.spam_reasons) is repeats


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "x" * 200_000,
        "😀" * 50_000,
        "\ud800 lone surrogate",
        "\x00\x01\x02",
        "日本語のツイート",
        "<script>alert(1)</script>",
    ],
)
def test_odd_text_gets_a_result_not_an_exception(clf, text):
    (tag,) = clf.classify([text])
    assert tag.sentiment.label in ("negative", "neutral", "positive")
    assert -1 <= tag.sentiment.score <= 1


def test_explain_says_why_with_the_default(clf):
    from classify.stdio import classify_lines

    lines = [b'{"text": "@SkyLark flight cancelled again, thanks a lot"}\n', b"not json\n"]
    first, bad = (json.loads(x) for x in classify_lines(lines, clf, explain=True))
    assert first["sentiment"]["label"] == "negative"
    reasons = first["sentiment"]["reasons"]
    assert reasons[0].startswith("VADER ")
    assert "complaint cue 'cancelled'" in reasons and "sarcasm 'thanks a lot'" in reasons
    assert first["spam_reasons"] == []
    assert "error" in bad
    (plain,) = (json.loads(x) for x in classify_lines(lines[:1], clf))
    assert "reasons" not in plain["sentiment"] and "spam_reasons" not in plain
