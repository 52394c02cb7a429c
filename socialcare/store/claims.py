"""Claims: an agent takes a case as a lease that expires, so a case an agent abandons goes back to
the queue by itself. Claiming is safe under concurrency: on PostgreSQL the candidate row is
locked with FOR UPDATE SKIP LOCKED (two agents asking for "next" get different cases without
waiting on each other), and on every database the claim is a conditional UPDATE that only
succeeds if the case is still free."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update

from socialcare.errors import ConflictError, InputError, NotFoundError
from socialcare.store import bulk
from socialcare.store.batches import BULK_CHUNK, chunks
from socialcare.store.cases import QUEUE_ORDER
from socialcare.store.collisions import guard
from socialcare.store.tables import case_events, cases
from socialcare.stream.schema import utcnow

LEASE = timedelta(minutes=15)


class ClaimError(ConflictError):
    """The case cannot be claimed or changed by this agent now (another agent holds it, it is
    resolved, …); the text says why."""


class CaseNotFound(NotFoundError):
    """No case has that id."""


class ActionError(InputError):
    """The request itself is wrong (no text, an unknown label, a time in the past)."""


def _free(now: datetime):
    return or_(cases.c.claimed_by.is_(None), cases.c.claim_expires < now)


def record_event(
    conn: Connection,
    case_id: str,
    kind: str,
    actor: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(case_events).values(case_id=case_id, type=kind, at=now, actor=actor, data=data or {})
    )


def claim_next(
    engine: Engine,
    agent: str,
    queue: str | None = None,
    lease: timedelta = LEASE,
    now: datetime | None = None,
) -> str | None:
    """Claim the highest-priority free open case (in `queue`, if given); return its id."""
    now = now or utcnow()
    for _ in range(20):  # another agent may win the row between select and update: try the next
        with engine.begin() as conn:
            query = (
                select(cases.c.id)
                .where(
                    cases.c.status == "open",
                    _free(now),
                    or_(cases.c.snoozed_until.is_(None), cases.c.snoozed_until <= now),
                )
                .order_by(*QUEUE_ORDER)
                .limit(1)
            )
            if queue:
                query = query.where(cases.c.queue == queue)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            case_id = conn.execute(query).scalar()
            if case_id is None:
                return None
            if _take(conn, case_id, agent, lease, now):
                return case_id
    return None


def claim(
    engine: Engine, case_id: str, agent: str, lease: timedelta = LEASE, now: datetime | None = None
) -> None:
    """Claim one case, or renew the agent's own claim on it."""
    now = now or utcnow()
    with engine.begin() as conn:
        row = conn.execute(
            select(cases.c.status, cases.c.claimed_by, cases.c.claim_expires).where(
                cases.c.id == case_id
            )
        ).first()
        if row is None:
            raise CaseNotFound(f"no case {case_id}")
        if row.status == "resolved":
            raise ClaimError(f"case {case_id} is resolved; reopen it first")
        if row.claimed_by not in (None, agent) and row.claim_expires and row.claim_expires >= now:
            raise ClaimError(
                f"case {case_id} is claimed by {row.claimed_by} until {row.claim_expires:%H:%M} UTC"
            )
        if not _take(conn, case_id, agent, lease, now, renew_own=True):
            raise ClaimError(f"case {case_id} was claimed by someone else just now")


def _take(
    conn: Connection,
    case_id: str,
    agent: str,
    lease: timedelta,
    now: datetime,
    renew_own: bool = False,
) -> bool:
    free = _free(now)
    if renew_own:
        free = or_(free, cases.c.claimed_by == agent)
    taken = conn.execute(
        update(cases)
        .where(cases.c.id == case_id, free)
        .values(claimed_by=agent, claim_expires=now + lease, updated_at=now)
    ).rowcount
    if taken:
        record_event(conn, case_id, "claimed", agent, now, {"until": (now + lease).isoformat()})
    return bool(taken)


def release(engine: Engine, case_id: str, agent: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    with engine.begin() as conn:
        done = conn.execute(
            update(cases)
            .where(cases.c.id == case_id, cases.c.claimed_by == agent)
            .values(claimed_by=None, claim_expires=None, updated_at=now)
        ).rowcount
        if not done:
            raise ClaimError(f"{agent} holds no claim on case {case_id}")
        record_event(conn, case_id, "released", agent, now)


def resolve(
    engine: Engine,
    case_id: str,
    agent: str,
    note: str = "",
    now: datetime | None = None,
    seen: int | None = None,
) -> None:
    """Resolve a case the agent holds, or one nobody holds (`seen`: see actions.reply)."""
    now = now or utcnow()
    with engine.begin() as conn:
        guard(conn, case_id, seen, agent)
        if not _resolve(conn, [case_id], agent, note, now):
            raise ClaimError(_NOT_RESOLVABLE.format(case_id))


def resolve_all(
    engine: Engine, case_ids: list[str], agent: str, note: str = "", now: datetime | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """`resolve` for many cases (an incident's "resolve all"), `BULK_CHUNK` a transaction and
    two statements a chunk. Returns the cases resolved, and the others with why."""
    now = now or utcnow()
    done: set[str] = set()
    for ids in chunks(case_ids, BULK_CHUNK):
        with engine.begin() as conn:
            done |= _resolve(conn, ids, agent, note, now)
    return [i for i in case_ids if i in done], [
        {"case_id": i, "error": _NOT_RESOLVABLE.format(i)} for i in case_ids if i not in done
    ]


_NOT_RESOLVABLE = "case {} is not open, or is claimed by another agent"


def _resolve(
    conn: Connection, case_ids: list[str], agent: str, note: str, now: datetime
) -> set[str]:
    """Resolve those of the cases that are open and the agent's or nobody's, each with its
    `resolved` event; the ids resolved."""
    done = set(
        conn.execute(
            update(cases)
            .where(
                cases.c.id.in_(case_ids),
                cases.c.status == "open",
                or_(_free(now), cases.c.claimed_by == agent),
            )
            .values(
                status="resolved",
                resolved_at=now,
                sla_due=None,
                claimed_by=None,
                claim_expires=None,
                updated_at=now,
            )
            .returning(cases.c.id)
        ).scalars()
    )
    data = {"note": note[:2000]} if note else {}
    bulk.insert_rows(
        conn,
        case_events,
        [
            {"case_id": i, "type": "resolved", "at": now, "actor": agent, "data": data}
            for i in case_ids
            if i in done
        ],
    )
    return done
