"""Every report gives the same figures on PostgreSQL as on SQLite, for the same routed posts:
the database does the time arithmetic and grouping, in each one's own SQL."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from route.casebook import CaseBook, case_id_for
from route.rules import default_rules
from socialcare.store import listening
from socialcare.store.claims import resolve
from socialcare.store.db import open_store
from socialcare.store.listening import Scope
from socialcare.store.reports import backlog_report, response_report, volume_report
from tests.factories import classified
from tests.store.test_listening import BURST_AT, store_posts
from tests.timelines import START, burst, real_texts, timeline


@pytest.fixture(scope="module")
def posts(shared_data):
    texts = real_texts(shared_data)
    found = timeline(texts, {"AirCo": 0.4, "ShopCo": 0.2}, days=4, seed=5, surges_per_day=0)
    found += burst("AirCo", BURST_AT - timedelta(days=1), size=60, seed=5, problem=2)
    return sorted(found, key=lambda p: p.at)


def answer_and_resolve(engine, raw: list[dict]) -> None:
    """The brand answers two posts in three after a delay with microseconds in it, and every
    fifth case is resolved: the reports then have times to compute."""
    rng = random.Random(11)
    replies = []
    for i, r in enumerate(raw):
        if i % 3:
            at = r["at"] + timedelta(seconds=rng.uniform(30, 20_000))
            replies.append(
                classified(
                    f"re{i}",
                    r["id"],
                    from_brand=True,
                    brand=r["brand"],
                    text="sorry, looking into it",
                    created_at=at.isoformat(),
                    author={"id": r["brand"], "handle": r["brand"]},
                )
            )
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), START + timedelta(days=5)).apply(replies)
    for i, r in enumerate(raw[::5]):
        case_id = (
            case_id_for("x", r["id"]) if r["network"] == "x" else case_id_for(r["network"], r["id"])
        )
        resolve(engine, case_id, "ana", now=r["at"] + timedelta(hours=1 + i % 7, microseconds=i))


def test_reports_agree_between_sqlite_and_postgresql(posts, pg_url, tmp_path):
    lite = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    pg = open_store(pg_url)
    for engine in (lite, pg):
        answer_and_resolve(engine, store_posts(engine, posts))
    assert response_report(pg, "queue")[0]["answered"] > 10
    assert response_report(pg, "queue")[0]["resolved"] > 5
    now = START + timedelta(days=4)
    for by in ("queue", "account", "priority", "topic", "hour", "agent"):
        assert response_report(lite, by, now=now) == response_report(pg, by, now=now), by
    assert backlog_report(lite, now) == backlog_report(pg, now)
    assert volume_report(lite) == volume_report(pg)
    window = Scope(
        since=BURST_AT - timedelta(days=1, minutes=15),
        until=BURST_AT - timedelta(days=1, minutes=-45),
        brand="AirCo",
    )
    assert listening.trends(lite, window) == listening.trends(pg, window)
    assert listening.trends(pg, window)[0]["count"] >= 30
    for by in (None, "day", "hour"):
        assert listening.voice(lite, Scope(), by) == listening.voice(pg, Scope(), by)
        assert listening.topics(lite, Scope(), by) == listening.topics(pg, Scope(), by)
        assert listening.networks(lite, Scope(), by) == listening.networks(pg, Scope(), by)
    assert listening.sentiment(lite, Scope(brand="AirCo"), "hour") == listening.sentiment(
        pg, Scope(brand="AirCo"), "hour"
    )
    term = listening.trends(pg, window)[0]["term"]
    scoped = Scope(**{**window.__dict__, "term": term})
    assert listening.count_mentions(pg, scoped) == listening.count_mentions(lite, scoped)
    lite.dispose()
    pg.dispose()
