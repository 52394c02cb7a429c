"""Copying a SQLite database's write-ahead log into its file from a thread of its own.

In WAL mode every commit appends pages to the log, and SQLite copies them back into the
database file (a checkpoint) once the log passes 1,000 pages, in the connection that committed,
on its thread. For the main writer of the case store or the embedded log (a router, the
all-in-one pipeline) that copy and its fsync were part of every few batches.
`BackgroundCheckpoints` moves it to a thread with its own connection: the sqlite3 module lets go
of the GIL while SQLite works, so on a second core the copy runs beside the writer. The writer's
connections keep a checkpoint of their own past `BACKSTOP_BYTES` of log (`backstop`), for when
the thread falls behind. A checkpoint is PASSIVE either way (it never waits for, or blocks, a
reader or the writer), and one that is cut short is finished by the next, so a crash in either
place loses nothing.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

#: the writer checkpoints itself once its log passes this size: only when the thread cannot keep
#: up, or is not running
BACKSTOP_BYTES = 64 * 1024 * 1024
EVERY_S = 0.2


class BackgroundCheckpoints:
    """A thread checkpointing the SQLite database at `path` every `every_s`, until `close`."""

    def __init__(self, path: str, every_s: float = EVERY_S) -> None:
        self.path = path
        self.every_s = every_s
        self.runs = 0  # checkpoints the thread ran
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA synchronous=FULL")  # the copied pages reach the disk
            failing = False
            while not self._stop.wait(self.every_s):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.runs += 1
                    failing = False
                except sqlite3.Error as exc:  # the writer's backstop checkpoints meanwhile
                    if not failing:
                        log.warning("background checkpoint of %s failed: %s", self.path, exc)
                    failing = True
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def backstop(conn: sqlite3.Connection) -> None:
    """A writer's connection checkpoints only past `BACKSTOP_BYTES` of log, leaving the rest to
    the thread."""
    conn.execute(f"PRAGMA wal_autocheckpoint={backstop_pages(conn)}")


def backstop_pages(conn: sqlite3.Connection) -> int:
    """`BACKSTOP_BYTES` in pages of the database `conn` is on (SQLite counts its log in pages)."""
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    return BACKSTOP_BYTES // page_size
