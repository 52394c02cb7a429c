"""The spike judge's traffic table forgets the minutes no look will read, a fortnight at a time,
and keeps each key's very first minute (warm-up and history count from it)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from socialcare.store import traffic
from socialcare.store.db import open_store
from socialcare.store.tables import traffic as table


def test_forget_keeps_the_first_minute_and_sheds_a_fortnight_a_call(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    days = 30
    with engine.begin() as conn:
        traffic.add(conn, Counter({("acme", m, False): 1 for m in range(days * 1440)}))
        traffic.add(conn, Counter({("other", m, False): 1 for m in range(0, days * 1440, 60)}))
    before = 29 * 1440
    with engine.begin() as conn:
        shed = [traffic.forget(conn, "acme", before) for _ in range(4)]
        assert traffic.forget(conn, "nobody", before) == 0
        kept = list(conn.execute(select(table.c.bucket).where(table.c.key == "acme")).scalars())
        others = conn.execute(select(table.c.bucket).where(table.c.key == "other")).all()
    span = traffic.FORGET_SPAN
    assert shed == [span, span, before - 1 - 2 * span, 0]
    assert sorted(kept) == [0, *range(before, days * 1440)]
    assert len(others) == days * 24  # another key's minutes are its own
