"""The page size of the SQLite files socialcare creates: the embedded log and the case store.

A case store's post row carries its whole message (1-2 kB) and a log row its value (about
0.5 kB, often more): on SQLite's default 4 kB pages a page holds a few of them, so inserts keep
splitting pages. Re-inserting a router run's posts, cases and events into a fresh file took
about a fifth less time on 16 kB pages, and log rows about a sixth less (README, "Toward 5,000
mentions/s"); 32 kB was no better and 64 kB worse. In whole runs the gain is smaller: about
3 % for the all-in-one pipeline, within the noise for a router alone.

SQLite fixes a file's page size when its first table is created, and in WAL mode for good:
`use_large_pages` must run on a new file before `journal_mode=WAL`, and on an existing file it
changes nothing (a store made before keeps its 4 kB pages and works as before).
"""

from __future__ import annotations

import sqlite3

PAGE_SIZE = 16_384


def use_large_pages(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
