"""Ingest state in the case store: each source's cursor, and the (network, post id) pairs already
ingested, so a replayed file or a re-polled page adds nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from socialcare.store.batches import per_network
from socialcare.store.tables import ingest_seen, source_cursors
from socialcare.stream.schema import utcnow


class IngestState:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def cursor(self, source: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(source_cursors.c.cursor).where(source_cursors.c.source == source)
            ).scalar_one_or_none()

    def unseen(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """The keys not ingested before."""
        wanted = set(keys)
        known: set[tuple[str, str]] = set()
        with self.engine.connect() as conn:
            for network, ids in per_network(wanted):
                known.update(
                    (network, pid)
                    for pid in conn.execute(
                        select(ingest_seen.c.post_id).where(
                            ingest_seen.c.network == network, ingest_seen.c.post_id.in_(ids)
                        )
                    ).scalars()
                )
        return wanted - known

    def commit(
        self,
        source: str,
        cursor: str | None,
        keys: list[tuple[str, str]],
        dead_letters: int,
        error: str | None = None,
        rate_limited_until: datetime | None = None,
    ) -> None:
        """After the bus flush: mark keys as seen and move the cursor, in one transaction,
        with the poll's outcome for `ingest --status`."""
        now = utcnow()
        status: dict = {"rate_limited_until": rate_limited_until}
        if error:
            status["last_error"] = error[:500]
        else:
            status["last_success_at"] = now
        with self.engine.begin() as conn:
            if keys:
                conn.execute(insert(ingest_seen), [{"network": n, "post_id": p} for n, p in keys])
            changed = conn.execute(
                update(source_cursors)
                .where(source_cursors.c.source == source)
                .values(
                    cursor=cursor,
                    updated_at=now,
                    mentions=source_cursors.c.mentions + len(keys),
                    dead_letters=source_cursors.c.dead_letters + dead_letters,
                    error_count=source_cursors.c.error_count + (1 if error else 0),
                    **status,
                )
            ).rowcount
            if not changed:
                conn.execute(
                    insert(source_cursors).values(
                        source=source,
                        cursor=cursor,
                        updated_at=now,
                        mentions=len(keys),
                        dead_letters=dead_letters,
                        error_count=1 if error else 0,
                        **status,
                    )
                )

    def sources(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(source_cursors))]
