"""Event time in the case store: what each source has delivered (`source_cursors`) and what the
router has routed of it (`routed_watermarks`). The router records markers in the transaction of
its batch; the watchdog and the desk read both (route/event_time.py decides with them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from socialcare.store.tables import routed_watermarks, source_cursors


@dataclass(frozen=True)
class RoutedMark:
    source: str
    stream: str  # "lane topic/partition>router topic/partition"
    at: datetime
    fanout: int


def record_routed(conn: Connection, marks: Iterable[RoutedMark], now: datetime) -> None:
    """Keep, per (source, stream), the latest watermark the router has passed."""
    latest: dict[tuple[str, str], RoutedMark] = {}
    for mark in marks:
        key = (mark.source, mark.stream)
        if key not in latest or mark.at > latest[key].at:
            latest[key] = mark
    if not latest:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(routed_watermarks)
    table = routed_watermarks.c
    statement = statement.on_conflict_do_update(
        index_elements=[table.source, table.stream],
        set_={
            "at": case((statement.excluded.at > table.at, statement.excluded.at), else_=table.at),
            "fanout": statement.excluded.fanout,
            "updated_at": statement.excluded.updated_at,
        },
    )
    conn.execute(
        statement,
        [
            {
                "source": m.source,
                "stream": m.stream,
                "at": m.at,
                "fanout": m.fanout,
                "updated_at": now,
            }
            for m in latest.values()
        ],
    )


def source_times(conn: Connection) -> list[dict[str, Any]]:
    """Per source: networks, delivered watermark, finite/finished/retired, health, and its
    routed watermark (the least over its streams, None until every stream has one)."""
    routed = {
        source: (least, streams, fanout)
        for source, least, streams, fanout in conn.execute(
            select(
                routed_watermarks.c.source,
                func.min(routed_watermarks.c.at),
                func.count(),
                func.max(routed_watermarks.c.fanout),
            ).group_by(routed_watermarks.c.source)
        )
    }
    out = []
    for row in conn.execute(select(source_cursors)):
        data = dict(row._mapping)
        least, streams, fanout = routed.get(data["source"], (None, 0, 0))
        data["routed_watermark"] = least if streams and streams >= fanout else None
        data["routed_streams"] = streams
        data["expected_streams"] = fanout
        out.append(data)
    return out
