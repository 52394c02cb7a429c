"""Adapters for None, bools and bytes: the same stored values as sqlite3's own binding."""

from __future__ import annotations

import sqlite3

import pytest

from socialcare.store.db import open_store
from socialcare.stream import sqlite_params
from socialcare.stream.embedded import EmbeddedBus

ROWS = [(True, None, b"\x00blob\xff", 7), (False, None, b"", -1), (True, 1.5, "text", None)]
READ = "SELECT typeof(a), a, typeof(b), b, typeof(c), c, typeof(d), d FROM t ORDER BY rowid"


def stored(rows) -> list[tuple]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t(a, b, c, d)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    one = conn.execute(READ).fetchall()
    conn.close()
    return one


@pytest.fixture
def without_ours():
    """The registry as sqlite3 has it without our adapters, put back afterwards."""
    keys = [(kind, sqlite3.PrepareProtocol) for kind in sqlite_params.ADAPTERS]
    saved = {k: sqlite3.adapters.pop(k) for k in keys if k in sqlite3.adapters}
    yield
    for key in keys:
        sqlite3.adapters.pop(key, None)
    sqlite3.adapters.update(saved)


def test_adapted_values_are_stored_as_sqlite3_binds_them(without_ours):
    plain = stored(ROWS)
    sqlite_params.register()
    assert stored(ROWS) == plain
    assert plain[0][:2] == ("integer", 1) and plain[0][2] == "null" and plain[0][4] == "blob"


def test_no_exact_base_type_is_adapted(without_ours):
    """An adapter for int, float, str or bytearray would send every value the slow way."""
    sqlite_params.register()
    for kind in (int, float, str, bytearray):
        assert (kind, sqlite3.PrepareProtocol) not in sqlite3.adapters


def test_the_log_and_the_case_store_register_them(tmp_path, without_ours):
    EmbeddedBus(str(tmp_path / "bus.db")).close()
    assert (bool, sqlite3.PrepareProtocol) in sqlite3.adapters
    for key in list(sqlite3.adapters):
        if key[0] in sqlite_params.ADAPTERS:
            del sqlite3.adapters[key]
    open_store(f"sqlite:///{tmp_path / 'cases.db'}").dispose()
    assert (type(None), sqlite3.PrepareProtocol) in sqlite3.adapters
