"""Ingest state in the case store: each source's cursor, watermark and health, and the
(network, post id) pairs already ingested, so a replayed file or a re-polled page adds nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from socialcare.store.batches import per_network
from socialcare.store.tables import ingest_seen, source_cursors
from socialcare.stream.schema import utcnow


@dataclass(frozen=True)
class SourceOutcome:
    """How a fetch went, for `ingest --status`, `audit` and the event-time clock."""

    error: str | None = None
    rate_limited_until: datetime | None = None
    watermark: datetime | None = None  # put on the bus with this batch (or before)
    networks: str = "*"
    finite: bool = False
    finished: bool = False


class IngestState:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def cursor(self, source: str) -> str | None:
        return self.position(source)[0]

    def position(self, source: str) -> tuple[str | None, datetime | None]:
        """(cursor, the watermark last put on the bus) of a source."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(source_cursors.c.cursor, source_cursors.c.watermark).where(
                    source_cursors.c.source == source
                )
            ).first()
        return (row.cursor, row.watermark) if row else (None, None)

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
        outcome: SourceOutcome | None = None,
    ) -> None:
        """After the bus flush: mark keys as seen and move the cursor and watermark, in one
        transaction, with the fetch's outcome."""
        outcome = outcome or SourceOutcome()
        now = utcnow()
        values: dict[str, Any] = {
            "cursor": cursor,
            "updated_at": now,
            "rate_limited_until": outcome.rate_limited_until,
            "networks": outcome.networks,
            "finite": outcome.finite,
            "finished": outcome.finished,
        }
        if outcome.watermark is not None:
            values["watermark"] = outcome.watermark
        if outcome.error:
            values |= {"last_error": outcome.error[:500], "last_error_at": now}
        else:
            values["last_success_at"] = now
        with self.engine.begin() as conn:
            if keys:
                conn.execute(insert(ingest_seen), [{"network": n, "post_id": p} for n, p in keys])
            self._upsert(
                conn,
                source,
                values,
                mentions=len(keys),
                dead_letters=dead_letters,
                errors=1 if outcome.error else 0,
            )

    def record_failure(self, source: str, error: str, finite: bool) -> None:
        """A fetch that raised: the error, for `ingest --status` and `audit`."""
        now = utcnow()
        with self.engine.begin() as conn:
            self._upsert(
                conn,
                source,
                {
                    "updated_at": now,
                    "last_error": error[:500],
                    "last_error_at": now,
                    "finite": finite,
                },
                errors=1,
            )

    def retire(self, source: str) -> bool:
        """A source no longer run: it holds nothing back any more. False if unknown."""
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(source_cursors)
                    .where(source_cursors.c.source == source)
                    .values(retired=True, updated_at=utcnow())
                ).rowcount
            )

    def _upsert(
        self,
        conn: Connection,
        source: str,
        values: dict[str, Any],
        mentions: int = 0,
        dead_letters: int = 0,
        errors: int = 0,
    ) -> None:
        changed = conn.execute(
            update(source_cursors)
            .where(source_cursors.c.source == source)
            .values(
                mentions=source_cursors.c.mentions + mentions,
                dead_letters=source_cursors.c.dead_letters + dead_letters,
                error_count=source_cursors.c.error_count + errors,
                retired=False,
                **values,
            )
        ).rowcount
        if not changed:
            conn.execute(
                insert(source_cursors).values(
                    source=source,
                    mentions=mentions,
                    dead_letters=dead_letters,
                    error_count=errors,
                    retired=False,
                    **values,
                )
            )

    def sources(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(source_cursors))]
