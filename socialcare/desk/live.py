"""Live queues: what changed, pushed to open desk pages as server-sent events.

Every change to a case (a routed post, a claim, a reply, an escalation, …) is a row in
`case_events`, whoever made it and in whichever process. Each desk process reads the rows after
the last one it saw, once a second, in one query however many pages are open, and wakes the
pages waiting on it; `GET /api/stream` sends each page the ids of the cases that changed, and the
page refreshes itself (socialcare/desk/static/desk.js). Nothing here is shared between
processes: each one follows the database, so several desk processes behind a proxy on one
PostgreSQL each push every change.

The event stream carries `id:` lines (the last case event id), so a browser that reconnects by
itself resumes after what it had (Last-Event-ID); a page whose stream drops falls back to a
slower reload.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable

from sqlalchemy import Engine, func, select
from starlette.concurrency import run_in_threadpool

from socialcare.store.tables import case_events

log = logging.getLogger(__name__)

POLL_S = 1.0
HEARTBEAT_S = 15.0
MAX_CASES = 500  # a burst larger than this says "many" instead of listing ids
KEEP = 5000  # case events kept to answer pages that are a little behind


class ChangeFeed:
    """One reader of `case_events` per process, started by the first page that listens."""

    def __init__(self, engine: Engine, poll_s: float = POLL_S) -> None:
        self.engine = engine
        self.poll_s = poll_s
        self.last = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # the last few thousand case events, oldest first: their ids and their cases
        self._ids: list[int] = []
        self._cases: list[str] = []

    def _newest(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(case_events.c.id))).scalar() or 0)

    def _after(self, after: int) -> list[tuple[int, str]]:
        with self.engine.connect() as conn:
            return [
                (int(i), c)
                for i, c in conn.execute(
                    select(case_events.c.id, case_events.c.case_id)
                    .where(case_events.c.id > after)
                    .order_by(case_events.c.id)
                    .limit(5000)
                )
            ]

    async def start(self) -> None:
        """Start reading, once per event loop (a test client may bring a new loop)."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self.last = max(self.last, await run_in_threadpool(self._newest))
            self._changed = asyncio.Event()
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                rows = await run_in_threadpool(self._after, self.last)
            except Exception as exc:  # the store is away: pages keep their view, try again
                log.warning("live queues: could not read case events: %s", exc)
                rows = []
            if rows:
                self.last = rows[-1][0]
                self._ids = (self._ids + [i for i, _ in rows])[-KEEP:]
                self._cases = (self._cases + [c for _, c in rows])[-KEEP:]
                self._changed.set()
                self._changed = asyncio.Event()
            await asyncio.sleep(self.poll_s)

    def since(self, after: int) -> tuple[int, list[str] | None]:
        """The newest event id and the cases changed after `after` (None: more than can be
        listed, or older than what is kept: refresh everything)."""
        if after >= self.last:
            return self.last, []
        if not self._ids or self._ids[0] > after + 1:
            return self.last, None
        start = bisect.bisect_right(self._ids, after)  # every page asks: no scan of the list
        if len(self._ids) - start > 4 * MAX_CASES:
            return self.last, None
        ids = list(dict.fromkeys(self._cases[start:]))
        return self.last, ids if len(ids) <= MAX_CASES else None

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)


def event(last: int, cases: list[str] | None) -> str:
    body = json.dumps({"last": last, "cases": cases, "all": cases is None})
    return f"id: {last}\nevent: changes\ndata: {body}\n\n"


async def stream(feed: ChangeFeed, after: int | None, is_gone) -> AsyncIterator[str]:
    """The event stream of one page: a `changes` event whenever cases changed after what it
    has, and a comment line now and then so proxies keep the connection open."""
    await feed.start()
    last = feed.last if after is None else after
    yield f"retry: 2000\nid: {last}\n: listening\n\n"
    while not await is_gone():
        newest, cases = feed.since(last)
        if newest > last:
            last = newest
            yield event(last, cases)
            continue
        await feed.wait(HEARTBEAT_S)
        if feed.last == last:
            yield ": still here\n\n"


class ListCache:
    """Case lists as JSON bytes, per query, reused while nothing changed: keyed by the newest
    case event id (every change to a case writes one, in whichever process) and a 5-second
    slice of the clock (a claim's lease runs out without an event). Under a team's load most
    queue refreshes are then one indexed `max(id)` away from their answer, and when a change
    comes, one request rebuilds the list while the others asking for it wait for that one.
    Each process keeps its own: nothing here needs sharing."""

    def __init__(self, engine: Engine, size: int = 64, slice_s: float = 5.0) -> None:
        self.engine = engine
        self.size = size
        self.slice_s = slice_s
        self._entries: dict[tuple, tuple[tuple[int, int], bytes, str]] = {}
        self._building: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def _stamp(self) -> tuple[int, int]:
        with self.engine.connect() as conn:
            newest = int(conn.execute(select(func.max(case_events.c.id))).scalar() or 0)
        return newest, int(time.time() // self.slice_s)

    def get(self, key: tuple, build: Callable[[], tuple[bytes, str]]) -> tuple[bytes, str]:
        stamp = self._stamp()
        hit = self._entries.get(key)
        if hit is not None and hit[0] >= stamp:
            return hit[1], hit[2]
        with self._guard:
            lock = self._building.setdefault(key, threading.Lock())
        with lock:  # one build per key at a time; the others take its result
            hit = self._entries.get(key)
            if hit is not None and hit[0] >= stamp:
                return hit[1], hit[2]
            body, tag = build()
            if len(self._entries) >= self.size:
                self._entries.pop(next(iter(self._entries)), None)
            self._entries[key] = (stamp, body, tag)
        return body, tag
