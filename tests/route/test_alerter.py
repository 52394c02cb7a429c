"""The alerter's looks: a look with no finished minute left to judge reads no traffic history
(the watchdog looks every few seconds; a minute ends once a minute), and a look that reads only
the history its minutes need raises the alerts a look over the whole history raises."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from route import alerter
from route.rules import default_rules
from route.spikes import bucket_of, bucket_start
from socialcare.store import tables, traffic
from socialcare.store.db import open_store
from socialcare.store.tables import alerts
from tests.factories import T0


@pytest.fixture
def engine(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'cases.db'}")


def test_a_look_with_no_new_minute_reads_no_history(engine, monkeypatch):
    rules = default_rules()
    start = bucket_of(T0)
    with engine.begin() as conn:  # an hour of steady traffic for one brand
        traffic.add(conn, Counter({("acme", start + m, m % 3 == 0): 4 for m in range(60)}))
    reads: list[str] = []
    series = traffic.series

    def counted(conn, key, since):
        reads.append(key)
        return series(conn, key, since)

    monkeypatch.setattr(traffic, "series", counted)
    clock = bucket_start(start + 60) + timedelta(seconds=30)

    def look(at) -> None:
        with engine.begin() as conn:
            alerter.tick(conn, rules, at, at)

    look(clock)
    assert reads == ["acme"]  # the hour is judged
    look(clock + timedelta(seconds=5))  # the same minute: nothing new to judge
    assert reads == ["acme"]
    look(clock + timedelta(minutes=1))  # one more minute is over
    assert reads == ["acme", "acme"]
    with engine.connect() as conn:
        assert traffic.pending(conn, start + 60) == {}  # judged up to it
        assert traffic.pending(conn, start + 61) == {"acme": start + 60}
    with engine.begin() as conn:  # a key only later than the minute asked about, and a new one
        traffic.add(conn, Counter({("zeta", start + 90, False): 1, ("beta", start + 59, True): 2}))
    with engine.connect() as conn:
        assert traffic.pending(conn, start + 61) == {"acme": start + 60, "beta": -1}


def _nine_days(start: int) -> Counter:
    """Nine days of one brand's minutes with a daily rhythm, and a burst on the last day."""
    rnd = random.Random(9)
    counts: Counter = Counter()
    for m in range(9 * 1440):
        rate = 2.0 + 1.5 * math.sin(2 * math.pi * (m % 1440) / 1440)
        n = sum(rnd.random() < rate / 4 for _ in range(4))
        if 8 * 1440 + 600 <= m < 8 * 1440 + 615:
            n += 12  # the burst: a quarter of an hour of a dozen posts a minute more
        if n:
            negative = sum(rnd.random() < 0.3 for _ in range(n))
            counts[("acme", start + m, True)] += negative
            counts[("acme", start + m, False)] += n - negative
    return counts


START = bucket_of(T0)
# one look at the end of the nine days; or a look judging the first seven, then one every 7 min
ONE_LOOK = [bucket_start(START + 9 * 1440) + timedelta(seconds=1)]
LIVE_LOOKS = [bucket_start(START + 7 * 1440)] + [
    bucket_start(START + m) + timedelta(seconds=1) for m in range(7 * 1440 + 7, 9 * 1440 + 1, 7)
]


def raised_by_looks(engine, looks) -> list[tuple]:
    """The alerts the looks raise on the nine days' traffic, oldest first."""
    rules = default_rules()
    with engine.begin() as conn:
        traffic.add(conn, _nine_days(START))
    for at in looks:
        with engine.begin() as conn:
            alerter.tick(conn, rules, at, at)
    with engine.connect() as conn:
        rows = conn.execute(alerts.select().order_by(alerts.c.detected_at)).mappings().all()
    return [(r["id"], r["kind"], r["observed"], r["expected"], r["score"]) for r in rows]


def test_looks_that_read_part_of_the_history_raise_the_alerts_of_one_look(tmp_path):
    one = raised_by_looks(open_store(f"sqlite:///{tmp_path / 'one.db'}"), ONE_LOOK)
    live_store = open_store(f"sqlite:///{tmp_path / 'live.db'}")
    live = raised_by_looks(live_store, LIVE_LOOKS)
    assert len(one) == 1 and one[0][1] == "volume"  # the burst on the last day
    assert live == one
    # and the live looks forgot the minutes no later look reads, but for the very first
    with live_store.connect() as conn:
        kept = [b for (b,) in conn.execute(select(tables.traffic.c.bucket).order_by("bucket"))]
    last_judged = bucket_of(LIVE_LOOKS[-1]) - 1
    oldest_read = last_judged + 1 - 7 * 1440 - 39  # the seventh day back, ±30 min of a window
    assert kept[0] == START and kept[1] >= oldest_read > kept[0] + 1440
    assert set(kept[1:]) == {b for (_, b, _) in _nine_days(START) if b >= oldest_read}
