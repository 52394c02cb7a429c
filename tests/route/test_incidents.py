"""Grouping posts into incidents (route/incidents.py `group`): measured on injected bursts of
each kind of problem over real background tweets of a busy and a quiet brand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from classify.similarity import cosine, top_terms, vector
from route.incidents import background_of, burst_of, group
from tests.timelines import BURST_PROBLEMS, START, burst, real_texts, timeline


@pytest.fixture(scope="module")
def texts(shared_data):
    return real_texts(shared_data)


@pytest.mark.parametrize("problem", range(len(BURST_PROBLEMS)))
@pytest.mark.parametrize("rate", [4.0, 0.6])
def test_precision_and_recall_of_the_grouping(texts, problem, rate):
    """At least 95 % of the burst in the group, and at least 93 % of the group from the burst,
    even for "flights cancelled" over an airline's own complaints about cancellations."""
    worst_precision, worst_recall = 1.0, 1.0
    for seed in range(3):
        day = timeline(texts, {"AcmeAir": rate}, days=2, seed=seed)
        at = START + timedelta(days=1, hours=12)
        wave = burst("AcmeAir", at, seed=seed, problem=problem)
        before = [
            p.text for p in day if at - timedelta(hours=24) <= p.at < at - timedelta(minutes=10)
        ]
        idf = background_of(before)
        window = [
            p.text
            for p in day + wave
            if at - timedelta(minutes=5) <= p.at < at + timedelta(minutes=8)
        ]
        posts = sorted(
            [p for p in day if at - timedelta(minutes=15) <= p.at < at + timedelta(hours=3)] + wave,
            key=lambda p: p.at,
        )
        candidates = [{"text": p.text, "created_at": p.at} for p in posts]
        found = burst_of(window, before, idf, candidates, at, 0.15, at + timedelta(hours=3))
        assert found is not None
        members, signature, _usual, end = found
        assert end is not None and end < at + timedelta(hours=1)  # the burst went quiet
        caught = sum(posts[i].burst for i in members)
        worst_precision = min(worst_precision, caught / max(1, len(members)))
        worst_recall = min(worst_recall, caught / len(wave))
        assert top_terms(signature)
    assert worst_recall >= 0.95, worst_recall
    assert worst_precision >= 0.93, worst_precision


def test_unrelated_posts_do_not_match_a_signature(texts):
    day = timeline(texts, {"AcmeAir": 1.0}, days=1, seed=2)
    idf = background_of([p.text for p in day])
    wave = burst("AcmeAir", START + timedelta(hours=12), seed=2)
    members, signature = group([p.text for p in wave[:40]], idf, [p.text for p in day], 0.15)
    assert len(members) <= 0.01 * len(day)
    assert max(cosine(vector(p.text, idf), signature) for p in wave) > 0.3
