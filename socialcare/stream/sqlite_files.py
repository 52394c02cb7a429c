"""How socialcare opens the SQLite files it writes, the embedded log and the case store: one
setup for both (`prepare`, on every connection).

- Values: None, bools and bytes bind without the sqlite3 module's slow path
  (socialcare/stream/sqlite_params.py).
- Pages: 16 kB for a new file (`PAGE_SIZE`, below).
- The log: WAL, so readers (the desk, other stages) never wait for the writer.
- Durability: `synchronous=FULL`, so a committed message or case survives power loss too.
- Locks: a busy file is waited on for up to 30 s before an error.

Pages. A case store's post row carries its whole message (1-2 kB) and a log row its value (about
0.5 kB, often more): on SQLite's default 4 kB pages a page holds a few of them, so inserts keep
splitting pages. Re-inserting a router run's posts, cases and events into a fresh file took
about a fifth less time on 16 kB pages, and log rows about a sixth less (README, "Toward 5,000
mentions/s"); 32 kB was no better and 64 kB worse. In whole runs the gain is smaller: about
3 % for the all-in-one pipeline, within the noise for a router alone.

SQLite fixes a file's page size when its first table is created, and in WAL mode for good:
the page size is set on a new file before `journal_mode=WAL`, and on an existing file it
changes nothing (a store made before keeps its 4 kB pages and works as before).
"""

from __future__ import annotations

import sqlite3

from socialcare.stream import sqlite_params

PAGE_SIZE = 16_384
BUSY_TIMEOUT_MS = 30_000


def prepare(conn: sqlite3.Connection) -> None:
    """Set up a new connection to one of socialcare's SQLite files (see above)."""
    sqlite_params.register()
    conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
