"""The outbox: agents' replies waiting to be posted on their network.

A reply from the desk is recorded in the case (it stops the first-response clock at once) and
queued here in the same transaction; `ingest/replies.py` posts it later, outside any database
transaction, and records the outcome. A failed post is retried with backoff, then marked failed
on the case, where the agent sees it. Nothing is posted twice: a row leaves `queued` in the same
transaction that records its outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select, update

from socialcare.store.claims import record_event
from socialcare.store.tables import outbox

MAX_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class QueuedReply:
    id: str
    case_id: str
    network: str
    in_reply_to: str | None
    text: str
    attempts: int


def queued_reply(
    reply_id: str,
    case_id: str,
    network: str,
    in_reply_to: str | None,
    text: str,
    agent: str,
    now: datetime,
) -> dict:
    """The outbox row of a reply to post now."""
    return {
        "id": reply_id,
        "case_id": case_id,
        "network": network,
        "in_reply_to": in_reply_to,
        "text": text,
        "agent": agent,
        "status": "queued",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


def list_replies(engine: Engine, status: str | None = None, limit: int = 50) -> list[dict]:
    """The outbox, newest first (optionally only one status)."""
    query = select(outbox).order_by(outbox.c.created_at.desc()).limit(limit)
    if status:
        query = query.where(outbox.c.status == status)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def due(engine: Engine, now: datetime, limit: int = 50) -> list[QueuedReply]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox)
            .where(outbox.c.status == "queued", outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.created_at)
            .limit(limit)
        ).all()
    return [
        QueuedReply(r.id, r.case_id, r.network, r.in_reply_to, r.text, r.attempts) for r in rows
    ]


def _finish(conn: Connection, reply: QueuedReply, values: dict) -> bool:
    """Move a still-queued row on; False if another sender got there first."""
    done = conn.execute(
        update(outbox).where(outbox.c.id == reply.id, outbox.c.status == "queued").values(**values)
    )
    return done.rowcount == 1


def mark_sent(
    engine: Engine, reply: QueuedReply, network_post_id: str | None, dry_run: bool, now: datetime
) -> None:
    status = "dry_run" if dry_run else "sent"
    with engine.begin() as conn:
        values = {"status": status, "network_post_id": network_post_id, "sent_at": now}
        if _finish(conn, reply, values | {"attempts": reply.attempts + 1}):
            record_event(
                conn,
                reply.case_id,
                "reply_sent" if not dry_run else "reply_dry_run",
                "outbox",
                now,
                {"post_id": reply.id, "network_post_id": network_post_id, "network": reply.network},
            )


def mark_failed(engine: Engine, reply: QueuedReply, error: str, now: datetime) -> bool:
    """Record a failed attempt; retried with backoff until MAX_ATTEMPTS. True if final."""
    attempts = reply.attempts + 1
    final = attempts >= MAX_ATTEMPTS
    with engine.begin() as conn:
        if final:
            if _finish(
                conn, reply, {"status": "failed", "attempts": attempts, "last_error": error}
            ):
                record_event(
                    conn,
                    reply.case_id,
                    "reply_failed",
                    "outbox",
                    now,
                    {"post_id": reply.id, "error": error, "attempts": attempts},
                )
        else:
            wait = timedelta(seconds=30 * 2 ** (attempts - 1))
            conn.execute(
                update(outbox)
                .where(outbox.c.id == reply.id, outbox.c.status == "queued")
                .values(attempts=attempts, last_error=error, next_attempt_at=now + wait)
            )
    return final
