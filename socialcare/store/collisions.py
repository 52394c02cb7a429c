"""The collision guard: a case's version is the id of its latest event (every change appends
one: a post, a reply, a note, a claim, a status change), so "the case changed since you opened
it" is a comparison of two numbers, and what changed is the events in between. Also who is
viewing a case now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from socialcare.errors import ConflictError
from socialcare.store.tables import case_events, case_viewers

VIEWING = timedelta(seconds=60)  # a viewer counts this long after their page last said so
# who holds or owns the case changes nothing the customer sees or the agent would answer
# differently: these events move the version but do not make an open page stale
HOUSEKEEPING = ("claimed", "released", "assigned", "unassigned")


class StaleCase(ConflictError):
    """Someone changed the case since the agent opened it; `changes` says what."""

    def __init__(self, case_id: str, changes: list[dict[str, Any]]) -> None:
        said = "; ".join(f"{c['type']} by {c['actor']}" for c in changes[:5])
        super().__init__(
            f"the case changed since you opened it ({said}); nothing was done. Look at the "
            "changes and try again."
        )
        self.details = {"case_id": case_id, "changes": changes}


def version(conn: Connection, case_id: str) -> int:
    return (
        conn.execute(
            select(func.max(case_events.c.id)).where(case_events.c.case_id == case_id)
        ).scalar()
        or 0
    )


def guard(conn: Connection, case_id: str, seen: int | None, agent: str) -> None:
    """Raise StaleCase if others changed the case after version `seen` (None: no check). The
    agent's own changes (a claim just taken) do not count."""
    if seen is None:
        return
    rows = conn.execute(
        select(case_events.c.type, case_events.c.actor, case_events.c.at, case_events.c.data)
        .where(
            case_events.c.case_id == case_id,
            case_events.c.id > seen,
            case_events.c.actor != agent,
            case_events.c.type.not_in(HOUSEKEEPING),
        )
        .order_by(case_events.c.id)
    ).all()
    if rows:
        raise StaleCase(
            case_id,
            [
                {
                    "type": r.type,
                    "actor": r.actor,
                    "at": r.at.isoformat(),
                    "text": str((r.data or {}).get("text", ""))[:280],
                }
                for r in rows
            ],
        )


def viewers(conn: Connection, case_id: str, now: datetime, excluding: str = "") -> list[str]:
    """Who has the case open now (their page said so within the last minute)."""
    return sorted(
        conn.execute(
            select(case_viewers.c.user).where(
                case_viewers.c.case_id == case_id,
                case_viewers.c.user != excluding,
                case_viewers.c.seen_at >= now - VIEWING,
            )
        ).scalars()
    )


def viewing(engine: Engine, case_id: str, user: str, now: datetime) -> list[str]:
    """Note that `user` has the case open; return who else has it open now."""
    with engine.begin() as conn:
        done = conn.execute(
            update(case_viewers)
            .where(case_viewers.c.case_id == case_id, case_viewers.c.user == user)
            .values(seen_at=now)
        ).rowcount
        if not done:
            conn.execute(insert(case_viewers).values(case_id=case_id, user=user, seen_at=now))
        conn.execute(delete(case_viewers).where(case_viewers.c.seen_at < now - VIEWING * 10))
        return viewers(conn, case_id, now, excluding=user)
