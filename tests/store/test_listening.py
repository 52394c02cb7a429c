"""Listening reports, each figure recomputed independently from the raw data it came from:
share of voice on the replayed twcs_sample.csv against a plain-csv count, and voice, sentiment,
topics, networks and trends on generated timelines (real tweet texts, a daily rhythm, an
injected burst) against the generated posts themselves. Every figure's drill-down lists
exactly as many posts as the figure counts."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from route.casebook import CaseBook
from route.rules import default_rules
from socialcare.store.db import open_store
from socialcare.store.listening import (
    Scope,
    count_mentions,
    mentions,
    networks,
    sentiment,
    topics,
    trends,
    voice,
)
from socialcare.stream.terms import listening_terms, term_key
from tests.factories import classified
from tests.test_pipeline_twcs import run_cli
from tests.timelines import START, burst, real_texts, timeline
from tests.twcs_truth import mentions_per_account

NETWORKS = ("x", "mastodon", "bluesky")
TOPICS = ("billing", "delay", "other")
BURST_AT = START + timedelta(days=3, hours=14)


def store_posts(engine, posts) -> list[dict]:
    """Route generated posts into the store (each its own conversation), with a known network,
    topic and sentiment for each; returns what was stored, for the independent count."""
    rng = random.Random(7)
    raw = []
    for i, p in enumerate(posts):
        label = "negative" if p.negative else rng.choice(["neutral", "positive"])
        score = {"negative": -0.6, "neutral": 0.0, "positive": 0.5}[label] + rng.uniform(-0.3, 0.3)
        raw.append(
            {
                "id": f"p{i}",
                "at": p.at,
                "brand": p.brand,
                "text": p.text,
                "network": rng.choice(NETWORKS),
                "topic": rng.choice(TOPICS),
                "sentiment": label,
                "score": score,
            }
        )
    rules = default_rules()
    for start in range(0, len(raw), 1000):
        chunk = raw[start : start + 1000]
        with engine.begin() as conn:
            CaseBook(conn, rules, chunk[-1]["at"] + timedelta(minutes=1)).apply(
                [
                    classified(
                        r["id"],
                        network=r["network"],
                        sentiment=r["sentiment"],
                        score=r["score"],
                        topic=r["topic"],
                        text=r["text"],
                        brand=r["brand"],
                        created_at=r["at"].isoformat(),
                        author={"id": f"a{r['id']}", "handle": f"user{r['id']}"},
                    )
                    for r in chunk
                ]
            )
    return raw


@pytest.fixture(scope="module")
def world(shared_data, tmp_path_factory):
    texts = real_texts(shared_data)
    posts = timeline(texts, {"AirCo": 1.2, "ShopCo": 0.6}, days=5, seed=3, surges_per_day=0)
    posts += burst("AirCo", BURST_AT, size=120, seed=3, problem=0)
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('listen') / 'cases.db'}")
    raw = store_posts(engine, sorted(posts, key=lambda p: p.at))
    return engine, raw


def in_scope(raw, since=None, until=None, brand=None):
    return [
        r
        for r in raw
        if (since is None or r["at"] >= since)
        and (until is None or r["at"] < until)
        and (brand is None or r["brand"] == brand)
    ]


def test_share_of_voice_recomputed_from_the_posts(world):
    engine, raw = world
    rows = voice(engine)
    expected = Counter(r["brand"] for r in raw)
    assert {r["account"]: r["mentions"] for r in rows} == dict(expected)
    assert abs(sum(r["share"] for r in rows) - 1) < 0.001
    for row in rows:
        mine = [r for r in raw if r["brand"] == row["account"]]
        negative = sum(r["sentiment"] == "negative" for r in mine) / len(mine)
        assert row["negative_share"] == pytest.approx(negative, abs=1e-4)
        mean = sum(r["score"] for r in mine) / len(mine)
        assert row["mean_sentiment"] == pytest.approx(mean, abs=1e-4)
        scope = Scope(brand=row["account"])
        assert count_mentions(engine, scope) == row["mentions"]
        assert len(mentions(engine, Scope(brand=row["account"], sentiment="negative"))) == round(
            row["negative_share"] * row["mentions"]
        )


def test_voice_by_day_shares_sum_to_one_each_day(world):
    engine, raw = world
    rows = voice(engine, by="day")
    per_day: dict[str, float] = defaultdict(float)
    for row in rows:
        per_day[row["period"]] += row["share"]
        day = row["period"]
        assert row["mentions"] == sum(
            1 for r in raw if r["brand"] == row["account"] and r["at"].strftime("%Y-%m-%d") == day
        )
    assert all(abs(total - 1) < 0.001 for total in per_day.values())


def test_sentiment_topics_and_networks_recomputed(world):
    engine, raw = world
    for row in sentiment(engine, Scope(brand="ShopCo"), by="day"):
        day = [
            r
            for r in raw
            if r["brand"] == "ShopCo" and r["at"].strftime("%Y-%m-%d") == row["period"]
        ]
        assert row["mentions"] == len(day)
        for label in ("positive", "neutral", "negative"):
            share = sum(r["sentiment"] == label for r in day) / len(day)
            assert row[f"{label}_share"] == pytest.approx(share, abs=1e-4)
    counted = Counter((r["brand"], r["topic"]) for r in raw)
    rows = topics(engine)
    assert {(r["account"], r["topic"]): r["mentions"] for r in rows} == dict(counted)
    for row in rows:
        scope = Scope(brand=row["account"], topic=row["topic"])
        assert count_mentions(engine, scope) == row["mentions"]
    by_network = Counter(r["network"] for r in raw)
    assert {r["network"]: r["mentions"] for r in networks(engine)} == dict(by_network)
    hour = networks(engine, Scope(since=BURST_AT, until=BURST_AT + timedelta(hours=1)), by="hour")
    assert sum(r["mentions"] for r in hour) == len(
        in_scope(raw, BURST_AT, BURST_AT + timedelta(hours=1))
    )


def test_the_burst_term_trends_in_its_window_and_its_drill_down_lists_count_posts(world):
    engine, raw = world
    window = Scope(
        since=BURST_AT - timedelta(minutes=15),
        until=BURST_AT + timedelta(minutes=45),
        brand="AirCo",
    )
    rows = trends(engine, window)
    top = [r["term"] for r in rows[:3]]
    assert "app" in top, rows[:10]
    for row in rows:
        listed = mentions(engine, Scope(**{**window.__dict__, "term": row["term"]}))
        assert len(listed) == row["count"]
        own = [
            r
            for r in in_scope(raw, window.since, window.until, "AirCo")
            if term_key(row["term"]) in listening_terms(r["text"])
        ]
        assert len(own) == row["count"]


def test_the_burst_term_is_not_trending_in_windows_without_it(world):
    engine, _ = world
    checked = 0
    t = START + timedelta(days=2)
    while t < START + timedelta(days=5):
        if not (BURST_AT - timedelta(hours=2) < t < BURST_AT + timedelta(hours=1)):
            rows = trends(engine, Scope(since=t, until=t + timedelta(hours=1), brand="AirCo"))
            assert "app" not in [r["term"] for r in rows[:10]], (t, rows[:10])
            checked += 1
        t += timedelta(hours=1)
    assert checked > 60


def test_trends_need_a_baseline_and_a_brand(world):
    engine, _ = world
    early = Scope(since=START, until=START + timedelta(hours=1), brand="AirCo")
    assert trends(engine, early) == []  # nothing before it: nothing can be called rising
    from socialcare.errors import InputError

    with pytest.raises(InputError, match="--brand"):
        trends(engine, Scope(since=START, until=START + timedelta(hours=1)))


def test_share_of_voice_on_twcs_equals_an_independent_count(shared_data, tmp_path):
    home = tmp_path / "home"
    csv = shared_data / "twcs_sample.csv"
    run_cli(
        "run", "--source", f"replay:{csv}", "--until-idle", "--no-watchdog", "--home", str(home)
    )
    import json

    out = run_cli("report", "--kind", "voice", "--home", str(home)).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["account"]: r["mentions"] for r in rows} == mentions_per_account(csv)
    assert abs(sum(r["share"] for r in rows) - 1) < 0.001
    top = rows[0]
    listed = run_cli("mentions", "--brand", top["account"], "--home", str(home)).stdout
    assert len(listed.splitlines()) == top["mentions"]
