"""The case store's value formatting: JSON columns by orjson with the stdlib's reading where
orjson refuses, and datetimes formatted once per instant whatever zone they come in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from socialcare.store.db import json_text
from socialcare.store.tables import UTCDateTime


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, None, True], "b": {"c": "ünïcode \" ' 🚀"}},
        {1: "int key", "s": "str key"},
        {"big": 2**70},  # past 64 bits: orjson refuses, the stdlib writes it
        [],
    ],
)
def test_json_columns_read_back_as_the_stdlib_wrote_them(value):
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


def test_a_value_neither_writes_is_the_stdlibs_error():
    with pytest.raises(TypeError):
        json_text({"x": object()})


def test_each_instant_is_the_same_text_whatever_its_zone_or_how_often_it_is_bound():
    bind = UTCDateTime().bind_processor(sqlite.dialect())
    at = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    east = at.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert [bind(at), bind(east), bind(at)] == ["2026-03-01 12:00:00.123456"] * 3
    assert bind(None) is None
    for _ in range(5000):  # past the memo's size: it starts again, nothing changes
        bind(at + timedelta(seconds=_))
    assert bind(east) == "2026-03-01 12:00:00.123456"


@pytest.mark.parametrize("bad", [datetime(2026, 3, 1), "2026-03-01", ["unhashable"]])
def test_what_is_not_an_aware_datetime_is_refused_even_after_equal_values(bad):
    bind = UTCDateTime().bind_processor(sqlite.dialect())
    bind(datetime(2026, 3, 1, tzinfo=UTC))
    with pytest.raises((TypeError, ValueError)):
        bind(bad)


def test_the_main_writer_of_a_sqlite_store_leaves_checkpoints_to_a_thread(tmp_path):
    from sqlalchemy import text

    from socialcare.store.db import checkpoint_in_background, open_store
    from socialcare.stream.sqlite_files import PAGE_SIZE
    from socialcare.stream.wal import BACKSTOP_BYTES

    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    checkpoints = checkpoint_in_background(engine)
    try:
        with engine.connect() as conn:  # pooled before: reconnected with the backstop
            assert (
                conn.execute(text("PRAGMA wal_autocheckpoint")).scalar()
                == BACKSTOP_BYTES // PAGE_SIZE
            )
        assert checkpoints is not None and checkpoints.path == str(tmp_path / "cases.db")
    finally:
        checkpoints.close()
        engine.dispose()
    from sqlalchemy import create_engine

    assert checkpoint_in_background(create_engine("sqlite://")) is None


def test_a_new_sqlite_store_has_large_pages_and_an_old_one_keeps_its_own(tmp_path):
    import sqlite3

    from sqlalchemy import func, select, text

    from socialcare.store.db import open_store
    from socialcare.store.tables import cases
    from socialcare.stream.sqlite_files import PAGE_SIZE

    new = open_store(f"sqlite:///{tmp_path / 'new.db'}")
    with new.connect() as conn:
        assert conn.execute(text("PRAGMA page_size")).scalar() == PAGE_SIZE
    new.dispose()
    old_path = tmp_path / "old.db"  # made before stores had large pages: SQLite's 4 kB
    sqlite3.connect(old_path).execute("CREATE TABLE kept(x)").connection.close()
    old = open_store(f"sqlite:///{old_path}")  # migrated and used as it is
    with old.connect() as conn:
        assert conn.execute(text("PRAGMA page_size")).scalar() == 4096
        assert conn.execute(select(func.count()).select_from(cases)).scalar() == 0
    old.dispose()
