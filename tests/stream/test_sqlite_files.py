"""The SQLite files socialcare creates get large pages; one made before keeps its own and is
read and written as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from socialcare.stream.bus import OutMessage
from socialcare.stream.embedded import EmbeddedBus
from socialcare.stream.sqlite_files import PAGE_SIZE


def _page_size(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()


def _round_trip(bus: EmbeddedBus, value: bytes) -> list[bytes]:
    producer = bus.producer()
    producer.send(OutMessage("t", "k", value))
    producer.flush()
    consumer = bus.consumer("g", ["t"])
    try:
        return [r.value for r in consumer.poll(100, 1.0)]
    finally:
        producer.close()
        consumer.close()


def test_a_new_embedded_log_has_large_pages(tmp_path: Path):
    path = tmp_path / "bus.db"
    assert _round_trip(EmbeddedBus(path), b"x" * 3000) == [b"x" * 3000]
    assert _page_size(path) == PAGE_SIZE


def test_a_log_made_on_small_pages_keeps_them_and_its_messages(tmp_path: Path):
    path = tmp_path / "bus.db"
    old = sqlite3.connect(path)
    old.execute("PRAGMA page_size=4096")
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE before_large_pages(x)")
    old.close()
    bus = EmbeddedBus(path)
    assert _round_trip(bus, b"first") == [b"first"]
    assert _round_trip(EmbeddedBus(path), b"second") == [b"first", b"second"]
    assert _page_size(path) == 4096
