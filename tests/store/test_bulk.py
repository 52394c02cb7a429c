"""socialcare/store/bulk.py writes exactly what SQLAlchemy Core writes: same stored text (dates,
JSON, booleans), same values read back; and it falls back to Core where it cannot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import StatementError

from socialcare.store import bulk
from socialcare.store.db import open_store
from socialcare.store.tables import case_events, posts


def _posts(prefix: str, n: int = 50) -> list[dict]:
    at = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    return [
        {
            "network": "x",
            "post_id": f"{prefix}{i}",
            "conversation_id": f"conv{i % 7}",
            "case_id": None if i % 3 else f"c{i}",
            "from_brand": bool(i % 2),
            "author_id": f"a{i}",
            "author_handle": "ünïcode ' \" handle",
            "text": f"post {i} with 'quotes', \"doubles\" and emoji 🚀",
            "created_at": at + timedelta(minutes=i),
            "url": None,
            "sentiment": "negative",
            "urgency": "high",
            "topic": "billing",
            "spam": i % 5 == 0,
            "ignored_reason": None,
            "brand": "Acme",
            "incident_id": None,
            "mention": "{}",
            "stored_at": at,
            "sentiment_score": -0.5 + i / 100,
            "terms": "double charge",
        }
        for i in range(n)
    ]


def _raw(engine, table) -> list[tuple]:
    with engine.connect() as conn:  # the stored text, not SQLAlchemy's reading of it
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table.name}")]


def test_bulk_inserts_store_what_core_stores(tmp_path):
    core, fast = (open_store(f"sqlite:///{tmp_path / name}.db") for name in ("core", "fast"))
    rows = _posts("p")
    events = [
        {
            "case_id": f"c{i}",
            "type": "routed",
            "at": r["created_at"],
            "actor": "router",
            # JSON writes None as 'null' (a datetime's None stays NULL: the None shortcut)
            "data": None if i % 5 == 0 else {"queue": "q", "parts": {"base": 10}, "tags": ["ü"]},
        }
        for i, r in enumerate(rows)
    ]
    with core.begin() as conn:
        conn.execute(insert(posts), rows)
        conn.execute(insert(case_events), events)
    with fast.begin() as conn:
        bulk.insert_rows(conn, posts, rows)
        bulk.insert_rows(conn, case_events, events)
    for table in (posts, case_events):
        assert _raw(fast, table) == _raw(core, table) and len(_raw(fast, table)) == len(rows)
    with fast.connect() as conn:
        back = [dict(r._mapping) for r in conn.execute(select(posts).order_by(posts.c.post_id))]
    assert back == sorted(rows, key=lambda r: r["post_id"])


def test_bulk_updates_store_what_core_stores(tmp_path):
    core, fast = (open_store(f"sqlite:///{tmp_path / name}.db") for name in ("core", "fast"))
    rows = _posts("p", 20)
    changed = [
        {
            **r,
            "case_id": "c-new",
            "spam": not r["spam"],
            "created_at": r["created_at"] + timedelta(1),
        }
        for r in rows[::2]
    ]
    for engine in (core, fast):
        with engine.begin() as conn:
            conn.execute(insert(posts), rows)
    with core.begin() as conn:
        for r in changed:
            conn.execute(update(posts).where(posts.c.post_id == r["post_id"]).values(**r))
    with fast.begin() as conn:
        bulk.update_rows(conn, posts, "post_id", changed)
    assert _raw(fast, posts) == _raw(core, posts)


def test_rows_of_different_shapes_get_cores_error(tmp_path):
    """A batch whose rows lack a column the first one has is not written by guesswork: it goes
    to Core, which names the missing value, and nothing of the batch is stored."""
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    rows = _posts("p", 4)
    del rows[2]["terms"]
    with pytest.raises(StatementError, match="terms"), engine.begin() as conn:
        bulk.insert_rows(conn, posts, rows)
    assert _raw(engine, posts) == []
