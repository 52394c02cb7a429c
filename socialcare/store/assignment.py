"""Assignment in the case store: which agents can take work now, which cases wait for an owner,
giving a case to an agent (a conditional update, so two assigners never give it twice), and
handing back the untouched cases of an agent who went offline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, and_, exists, func, or_, select, update

from socialcare.store.claims import record_event
from socialcare.store.tables import assignment_state, case_events, cases, users
from socialcare.store.users import DEFAULT_CAPACITY


@dataclass
class Agent:
    name: str
    capacity: int
    skills: frozenset[str]
    load: int = 0  # open cases assigned now
    assigned: list[str] = field(default_factory=list)  # this round

    @property
    def spare(self) -> int:
        return self.capacity - self.load


def available(conn: Connection, active_since: datetime) -> list[Agent]:
    """Agents who are online (and whose desk was seen since `active_since`: an idle desk counts
    as away), with their open assigned cases counted. On PostgreSQL their rows are locked, so
    two assigners take turns per agent and neither pushes anyone past capacity."""
    query = (
        select(users.c.name, users.c.capacity, users.c.skills)
        .where(
            users.c.presence == "online",
            users.c.disabled.is_(False),
            users.c.role.in_(("agent", "admin")),
            users.c.last_seen_at >= active_since,
        )
        .order_by(users.c.name)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    agents = [
        Agent(n, DEFAULT_CAPACITY if c is None else c, frozenset(s or []))
        for n, c, s in conn.execute(query)
    ]
    if agents:
        loads = dict(
            conn.execute(
                select(cases.c.assignee, func.count())
                .where(cases.c.status == "open", cases.c.assignee.in_([a.name for a in agents]))
                .group_by(cases.c.assignee)
            ).all()
        )
        for a in agents:
            a.load = loads.get(a.name, 0)
    return agents


def _waiting(now: datetime) -> tuple:
    return (
        cases.c.status == "open",
        cases.c.assignee.is_(None),
        or_(cases.c.claimed_by.is_(None), cases.c.claim_expires < now),
        or_(cases.c.snoozed_until.is_(None), cases.c.snoozed_until <= now),
    )


def count_waiting(conn: Connection, now: datetime) -> int:
    return conn.execute(select(func.count()).select_from(cases).where(*_waiting(now))).scalar()


def waiting(conn: Connection, now: datetime, limit: int = 500) -> list[dict]:
    """Open cases with no owner, nobody's claim on them and not snoozed: highest priority first,
    then the earliest SLA due (PostgreSQL: rows another assigner holds are skipped)."""
    query = (
        select(
            cases.c.id,
            cases.c.queue,
            cases.c.network,
            cases.c.language,
            cases.c.priority,
            cases.c.sla_due,
            cases.c.opened_at,
        )
        .where(*_waiting(now))
        .order_by(
            cases.c.priority.desc(),
            cases.c.sla_due.is_(None),
            cases.c.sla_due.asc(),
            cases.c.opened_at.asc(),
            cases.c.id.asc(),
        )
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=cases)
    return [dict(r._mapping) for r in conn.execute(query)]


def give(conn: Connection, case_id: str, agent: str, now: datetime) -> bool:
    """Make `agent` the owner of a case that has none; False if someone got it first."""
    done = conn.execute(
        update(cases)
        .where(cases.c.id == case_id, cases.c.assignee.is_(None), cases.c.status == "open")
        .values(assignee=agent, assigned_at=now, updated_at=now)
    ).rowcount
    if done:
        record_event(conn, case_id, "assigned", "assigner", now, {"to": agent})
    return bool(done)


def last_round_robin(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(assignment_state.c.queue, assignment_state.c.last_agent)).all())


def set_round_robin(conn: Connection, queue: str, agent: str) -> None:
    done = conn.execute(
        update(assignment_state).where(assignment_state.c.queue == queue).values(last_agent=agent)
    ).rowcount
    if not done:
        conn.execute(assignment_state.insert().values(queue=queue, last_agent=agent))


def hand_back(conn: Connection, agent: str, now: datetime, reason: str) -> list[str]:
    """Return an agent's open cases they have not touched (no reply, note, claim or other event
    of theirs since they were given them) to the waiting cases."""
    touched = exists().where(
        and_(
            case_events.c.case_id == cases.c.id,
            case_events.c.actor == agent,
            case_events.c.at >= cases.c.assigned_at,
        )
    )
    ids = list(
        conn.execute(
            select(cases.c.id).where(cases.c.assignee == agent, cases.c.status == "open", ~touched)
        ).scalars()
    )
    if ids:
        conn.execute(
            update(cases)
            .where(cases.c.id.in_(ids))
            .values(assignee=None, assigned_at=None, updated_at=now)
        )
        for case_id in ids:
            record_event(
                conn, case_id, "unassigned", "assigner", now, {"from": agent, "reason": reason}
            )
    return ids


def change_presence(engine, name: str, status: str, now: datetime) -> list[str]:
    """Set an agent's presence; going offline hands back their untouched cases (returned)."""
    from socialcare.store.users import PRESENCE, UserError

    if status not in PRESENCE:
        raise UserError(f"presence is one of {', '.join(PRESENCE)}")
    with engine.begin() as conn:
        found = conn.execute(
            update(users)
            .where(users.c.name == name)
            .values(presence=status, presence_at=now, last_seen_at=now)
        ).rowcount
        if not found:
            from socialcare.errors import NotFoundError

            raise NotFoundError(f"no user {name!r}")
        if status == "offline":
            return hand_back(conn, name, now, "went offline")
    return []
