"""Checkpoints by a thread: the writer's log is copied into the database file without the
writer doing it, the writer's own checkpoint waits for the backstop, and closing stops it."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from socialcare.stream.bus import OutMessage
from socialcare.stream.embedded import EmbeddedBus
from socialcare.stream.sqlite_files import PAGE_SIZE
from socialcare.stream.wal import BACKSTOP_BYTES, BackgroundCheckpoints, backstop


def _writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    backstop(conn)
    conn.execute("CREATE TABLE t(x BLOB)")
    return conn


def _write_pages(conn: sqlite3.Connection, pages: int) -> None:
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES(?)", [(b"x" * 3000,) for _ in range(pages)])
    conn.execute("COMMIT")


def _until(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_thread_copies_the_log_into_the_file_the_writer_leaves_it(tmp_path: Path):
    alone, helped = tmp_path / "alone.db", tmp_path / "helped.db"
    writers = [_writer(alone), _writer(helped)]  # open: closing the last one checkpoints
    for conn in writers:
        _write_pages(conn, 2000)  # past SQLite's 1,000 pages, under the backstop
    # the writer alone (backstop) leaves every page in the log: the file holds only the schema
    assert alone.stat().st_size < 100_000
    checkpoints = BackgroundCheckpoints(str(helped), every_s=0.01)
    try:
        assert _until(lambda: helped.stat().st_size > 2000 * 3000)
        assert _until(lambda: checkpoints.runs > 0)
    finally:
        checkpoints.close()
    assert not checkpoints._thread.is_alive()
    assert alone.stat().st_size < 100_000
    assert writers[1].execute("SELECT count(*) FROM t").fetchone()[0] == 2000


def test_a_writer_past_the_backstop_checkpoints_itself(tmp_path: Path):
    path = tmp_path / "w.db"
    conn = _writer(path)
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_BYTES // 4096
    conn.execute("PRAGMA wal_autocheckpoint=200")  # a small backstop, to see it act
    _write_pages(conn, 400)
    assert path.stat().st_size > 400 * 3000
    conn.close()


@pytest.mark.parametrize("page_size", [4096, 16384, 65536])
def test_the_backstop_is_the_same_log_size_whatever_the_page_size(tmp_path: Path, page_size):
    conn = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    conn.execute(f"PRAGMA page_size={page_size}")
    conn.execute("PRAGMA journal_mode=WAL")
    backstop(conn)
    pages = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert pages * page_size == BACKSTOP_BYTES
    conn.close()


def test_the_embedded_log_leaves_checkpoints_to_its_thread_once_asked(tmp_path: Path):
    bus = EmbeddedBus(tmp_path / "bus.db")
    before = bus.producer()
    assert before._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    bus.checkpoint_in_background()
    producer = bus.producer()
    consumer = bus.consumer("g", ["t"])
    for conn in (producer._conn, consumer._conn):
        assert (
            conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_BYTES // PAGE_SIZE
        )
    producer.send(OutMessage("t", "k", b"v"))
    producer.flush()
    assert [r.value for r in consumer.poll(10, 1.0)] == [b"v"]
    thread = bus.checkpoints._thread
    for c in (before, producer, consumer):
        c.close()
    bus.close()
    assert not thread.is_alive()
