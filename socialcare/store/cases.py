"""Reading cases: queue views, one case with its conversation and history, and the JSON shape
the CLI and API share."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Engine,
    Select,
    UnaryExpression,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import operators

from socialcare.store.tables import case_events, cases, incidents, posts
from socialcare.stream.schema import utcnow

# a case of an incident that is not merged away (its own line on the queue page)
_IN_LIVE_INCIDENT = cases.c.incident_id.in_(
    select(incidents.c.id).where(incidents.c.status != "merged")
)

# the queue's order; the id last, so that a page boundary is the same on every request
QUEUE_ORDER = (
    cases.c.priority.desc(),
    cases.c.sla_due.asc(),
    cases.c.opened_at.asc(),
    cases.c.id.asc(),
)


# as the partial index ix_cases_resolved_order says it, a literal: SQLite matches a bound value
# too, but a plan made for any value (psycopg prepares a statement run five times, and
# PostgreSQL may then use a generic plan) cannot use a partial index
_RESOLVED = cases.c.status == literal_column("'resolved'")


def _ordered(query: Select, part: UnaryExpression) -> UnaryExpression:
    """`part` of QUEUE_ORDER on `query`'s own column of that name (a union's, say)."""
    column = query.selected_columns[part.element.name]
    return column.desc() if part.modifier is operators.desc_op else column.asc()


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def case_json(row: dict, post_ids: list[str] | None = None) -> dict[str, Any]:
    """A case as the CLI and API show it. `status` is open, claimed (an agent holds an unexpired
    lease) or resolved; the store keeps open/resolved and the lease apart."""
    out = {k: _iso(v) for k, v in row.items()}
    expires = row.get("claim_expires")
    if row.get("status") == "open" and row.get("claimed_by") and expires and expires > utcnow():
        out["status"] = "claimed"
    if post_ids is not None:
        out["post_ids"] = post_ids
    return out


def list_cases(
    engine: Engine,
    queue: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    with_posts: bool = False,
    hide_snoozed: bool = False,
    offset: int = 0,
    fold_incidents: bool = False,
) -> list[dict[str, Any]]:
    """Cases in the queue's order (highest priority, then the earliest SLA due), `limit` of
    them from `offset` (a stable order: pages neither skip nor repeat a case that did not
    change meanwhile). With `fold_incidents`, cases of an incident are left out: the queue
    page shows them as one line each (`incident_lines`)."""
    query = select(cases)
    if hide_snoozed:
        now = utcnow()
        query = query.where(or_(cases.c.snoozed_until.is_(None), cases.c.snoozed_until <= now))
    if fold_incidents:
        query = query.where(or_(cases.c.incident_id.is_(None), ~_IN_LIVE_INCIDENT))
    if queue:
        query = query.where(cases.c.queue == queue)
    if status == "claimed":
        query = query.where(cases.c.status == "open", cases.c.claim_expires > utcnow())
    elif status == "open":
        query = query.where(
            cases.c.status == "open",
            or_(cases.c.claim_expires.is_(None), cases.c.claim_expires <= utcnow()),
        )
    elif status == "unresolved":  # open or claimed (a claim is a lease on an open case)
        query = query.where(cases.c.status == "open")
    elif status == "resolved":
        query = query.where(_RESOLVED)
    elif status:
        query = query.where(cases.c.status == status)
    else:  # the open cases (sorted) merged with the resolved ones (read in order by an index)
        both = union_all(query.where(cases.c.status == "open"), query.where(_RESOLVED))
        query = select(both.subquery())
    query = query.order_by(*(_ordered(query, part) for part in QUEUE_ORDER))
    if limit:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        post_ids: dict[str, list[str]] = defaultdict(list)
        if with_posts and rows:
            # in time order, sorted by the database (times are stored so that they sort)
            q = (
                select(posts.c.case_id, posts.c.post_id)
                .where(posts.c.case_id.is_not(None))
                .order_by(posts.c.case_id, posts.c.created_at, posts.c.post_id)
            )
            if limit or queue or status or offset:
                q = q.where(posts.c.case_id.in_([r["id"] for r in rows]))
            for case_id, post_id in conn.execute(q):
                post_ids[case_id].append(post_id)
    return [case_json(r, post_ids[r["id"]] if with_posts else None) for r in rows]


def incident_lines(engine: Engine, queue: str | None = None) -> list[dict[str, Any]]:
    """One line per incident with unresolved, unsnoozed cases (in `queue` if given): its
    title, how many cases and how many still unanswered, and the highest priority and earliest
    SLA due among them; highest priority first. The counts cover the whole queue, however it
    is paged."""
    now = utcnow()
    query = (
        select(
            cases.c.incident_id.label("id"),
            incidents.c.title,
            func.count().label("cases"),
            func.sum(case((cases.c.first_response_at.is_(None), 1), else_=0)).label("unanswered"),
            func.max(cases.c.priority).label("priority"),
            func.min(cases.c.sla_due).label("sla_due"),
            func.min(cases.c.queue).label("queue"),
            func.count(func.distinct(cases.c.queue)).label("queues"),
        )
        .join(incidents, incidents.c.id == cases.c.incident_id)
        .where(
            incidents.c.status != "merged",
            cases.c.status == "open",
            or_(cases.c.snoozed_until.is_(None), cases.c.snoozed_until <= now),
        )
        .group_by(cases.c.incident_id, incidents.c.title)
        .order_by(func.max(cases.c.priority).desc(), func.min(cases.c.sla_due), cases.c.incident_id)
    )
    if queue:
        query = query.where(cases.c.queue == queue)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        row["incident"] = True
        row["sla_due"] = _iso(row["sla_due"])  # as case rows carry it (the page's `when` filter)
        if row.pop("queues") > 1:
            row["queue"] = "several"
    return rows


def get_case(engine: Engine, case_id: str, latest: int | None = None) -> dict[str, Any] | None:
    """The case with its posts and events, oldest first. With `latest`, only the opening post
    and the latest posts and events, `latest` of each: a reply thread to an outage notice can
    run to thousands of posts, and a page of all of them buries the case. `posts_hidden` and
    `events_hidden` count what was left out (0 when nothing was)."""
    with engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.id == case_id)).first()
        if row is None:
            return None
        convo = _latest(
            conn,
            select(*_POST_COLUMNS).where(posts.c.case_id == case_id),
            (posts.c.created_at, posts.c.post_id),
            latest,
            keep_first=True,
        )
        history = _latest(
            conn,
            select(*_EVENT_COLUMNS).where(case_events.c.case_id == case_id),
            (case_events.c.id,),
            latest,
        )
        posts_total = _count(conn, posts.c.case_id == case_id) if latest else len(convo)
        events_total = _count(conn, case_events.c.case_id == case_id) if latest else len(history)
    out = case_json(dict(row._mapping), [p.post_id for p in convo])
    out["posts"] = [{k: _iso(v) for k, v in p._mapping.items()} for p in convo]
    out["events"] = [{k: _iso(v) for k, v in e._mapping.items()} for e in history]
    out["posts_hidden"] = posts_total - len(convo)
    out["events_hidden"] = events_total - len(history)
    out["customer_name"] = _display_name(engine, row.network, convo)
    # the collision guard's version (store/collisions.py): it grows with every change
    out["version"] = history[-1].id if history else 0
    return out


_POST_COLUMNS = (
    posts.c.post_id,
    posts.c.from_brand,
    posts.c.author_handle,
    posts.c.text,
    posts.c.created_at,
    posts.c.url,
    posts.c.sentiment,
    posts.c.urgency,
    posts.c.topic,
)
_EVENT_COLUMNS = (
    case_events.c.id,
    case_events.c.type,
    case_events.c.at,
    case_events.c.actor,
    case_events.c.data,
)


def _latest(conn, query, order: tuple, latest: int | None, keep_first: bool = False) -> list:
    """The rows of `query` in `order`: all of them, or the latest `latest` (with the first one
    as well when `keep_first`), read by the index from the end."""
    if latest is None:
        return conn.execute(query.order_by(*order)).all()
    last = conn.execute(query.order_by(*(c.desc() for c in order)).limit(latest)).all()[::-1]
    if keep_first and len(last) == latest:  # there may be more before: the first replaces one
        first = conn.execute(query.order_by(*order).limit(1)).all()
        if first[0] != last[0]:
            return first + last[1:]
    return last


def _count(conn, where) -> int:
    return conn.execute(select(func.count()).where(where)).scalar_one()


def case_exists(engine: Engine, case_id: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(cases.c.id).where(cases.c.id == case_id)).first() is not None


def _display_name(engine: Engine, network: str, convo) -> str | None:
    """The customer's display name as their opening post gave it (for saved replies)."""
    opening = next((p.post_id for p in convo if not p.from_brand), None)
    if opening is None:
        return None
    with engine.connect() as conn:
        raw = conn.execute(
            select(posts.c.mention).where(posts.c.network == network, posts.c.post_id == opening)
        ).scalar()
    try:
        name = json.loads(raw or "{}").get("author", {}).get("display_name")
    except (ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def queue_summary(engine: Engine) -> list[dict[str, Any]]:
    """Per queue: open cases, of which unanswered, and the earliest SLA due."""
    query = (
        select(
            cases.c.queue,
            func.count().label("open"),
            func.sum(case((cases.c.first_response_at.is_(None), 1), else_=0)),
            func.min(cases.c.sla_due),
        )
        .where(cases.c.status == "open")
        .group_by(cases.c.queue)
        .order_by(cases.c.queue)
    )
    with engine.connect() as conn:
        return [
            {"queue": q, "open": n, "unanswered": int(u or 0), "next_sla_due": _iso(due)}
            for q, n, u, due in conn.execute(query)
        ]
