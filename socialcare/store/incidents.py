"""Alerts and incidents in the case store: what spike detection raised, which posts and cases are
about the same thing, and what agents did with them (acknowledge, close, merge, take a case
out). Deciding what is alike is the router's job (route/incidents.py); this module stores it."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from socialcare.errors import ConflictError, NotFoundError
from socialcare.store.cases import QUEUE_ORDER
from socialcare.store.claims import record_event
from socialcare.store.tables import alerts, cases, incident_exclusions, incidents, posts
from socialcare.stream.schema import utcnow

ALERT_STATUSES = ("active", "acknowledged", "closed")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# -- alerts -----------------------------------------------------------------------------------
def last_alert(conn: Connection, key: str) -> datetime | None:
    return conn.execute(select(func.max(alerts.c.detected_at)).where(alerts.c.key == key)).scalar()


def add_alert(conn: Connection, row: dict[str, Any]) -> bool:
    """Store an alert; False if it exists already (another watchdog raised it first)."""
    if conn.execute(select(alerts.c.id).where(alerts.c.id == row["id"])).first():
        return False
    conn.execute(insert(alerts).values(**row))
    return True


def active_brands(conn: Connection) -> set[str]:
    """Brands (lowercased) with an alert not closed."""
    return {
        b.lower()
        for b in conn.execute(
            select(alerts.c.brand).where(alerts.c.status != "closed").distinct()
        ).scalars()
    }


def list_alerts(engine: Engine, active_only: bool = False, limit: int = 200) -> list[dict]:
    query = select(alerts).order_by(alerts.c.detected_at.desc()).limit(limit)
    if active_only:
        query = query.where(alerts.c.status != "closed")
    with engine.connect() as conn:
        return [{k: _iso(v) for k, v in r._mapping.items()} for r in conn.execute(query)]


def set_alert_status(engine: Engine, alert_id: str, status: str, who: str) -> dict:
    if status not in ALERT_STATUSES:
        raise ValueError(f"status is one of {', '.join(ALERT_STATUSES)}")
    with engine.begin() as conn:
        done = conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id)
            .values(status=status, status_by=who, updated_at=utcnow())
        ).rowcount
        if not done:
            raise NotFoundError(f"no alert {alert_id}")
        return {
            k: _iso(v)
            for k, v in conn.execute(select(alerts).where(alerts.c.id == alert_id))
            .one()
            ._mapping.items()
        }


# -- incidents --------------------------------------------------------------------------------
def add_incident(conn: Connection, row: dict[str, Any]) -> bool:
    if conn.execute(select(incidents.c.id).where(incidents.c.id == row["id"])).first():
        return False
    conn.execute(insert(incidents).values(**row))
    return True


def incident_titles(engine: Engine) -> dict[str, str]:
    """Titles of the incidents not merged away (open or closed: a closed incident takes no new
    posts, but its cases may still wait)."""
    with engine.connect() as conn:
        return dict(
            conn.execute(
                select(incidents.c.id, incidents.c.title).where(incidents.c.status != "merged")
            ).all()
        )


def open_incidents(conn: Connection, brands: set[str] | None = None) -> list[dict]:
    query = select(incidents).where(incidents.c.status == "open")
    rows = [dict(r._mapping) for r in conn.execute(query)]
    if brands is not None:
        rows = [r for r in rows if r["brand"].lower() in brands]
    return rows


def excluded(conn: Connection, case_ids: list[str]) -> set[tuple[str, str]]:
    """(incident id, case id) pairs agents took apart, among these cases."""
    if not case_ids:
        return set()
    return {
        (i, c)
        for i, c in conn.execute(
            select(incident_exclusions.c.incident_id, incident_exclusions.c.case_id).where(
                incident_exclusions.c.case_id.in_(case_ids)
            )
        )
    }


def attach(
    conn: Connection, incident_id: str, members: list[tuple[str, str]], at: datetime | None
) -> None:
    """Group posts ((network, post id)) into an incident, with their cases (those not taken out
    of it by an agent), and move its last-seen time on."""
    if not members:
        return
    by_network: dict[str, list[str]] = defaultdict(list)
    for network, post_id in members:
        by_network[network].append(post_id)
    case_ids: set[str] = set()
    for network, ids in by_network.items():
        conn.execute(
            update(posts)
            .where(posts.c.network == network, posts.c.post_id.in_(ids))
            .values(incident_id=incident_id)
        )
        case_ids.update(
            c
            for c in conn.execute(
                select(posts.c.case_id).where(posts.c.network == network, posts.c.post_id.in_(ids))
            ).scalars()
            if c
        )
    out = {c for i, c in excluded(conn, sorted(case_ids)) if i == incident_id}
    keep = sorted(case_ids - out)
    if keep:
        conn.execute(update(cases).where(cases.c.id.in_(keep)).values(incident_id=incident_id))
    if at is not None:
        conn.execute(
            update(incidents)
            .where(incidents.c.id == incident_id, incidents.c.last_seen < at)
            .values(last_seen=at)
        )


def incident_json(conn: Connection, row: dict[str, Any], with_posts: bool = True) -> dict[str, Any]:
    out = {k: _iso(v) for k, v in row.items() if k not in ("signature", "idf")}
    case_ids = sorted(
        conn.execute(select(cases.c.id).where(cases.c.incident_id == row["id"])).scalars()
    )
    out["case_ids"] = case_ids
    if with_posts:
        out["post_ids"] = [
            pid
            for pid, _at in sorted(
                conn.execute(
                    select(posts.c.post_id, posts.c.created_at).where(
                        posts.c.incident_id == row["id"], posts.c.from_brand.is_(False)
                    )
                ).all(),
                key=lambda r: (r[1], r[0]),
            )
        ]
    return out


def list_incidents(engine: Engine, status: str | None = None, limit: int = 200) -> list[dict]:
    query = select(incidents).order_by(incidents.c.first_seen.desc()).limit(limit)
    if status:
        query = query.where(incidents.c.status == status)
    with engine.connect() as conn:
        return [incident_json(conn, dict(r._mapping)) for r in conn.execute(query)]


def get_incident(engine: Engine, incident_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        if row is None:
            raise NotFoundError(f"no incident {incident_id}")
        out = incident_json(conn, dict(row._mapping))
        per_ten = conn.execute(
            select(posts.c.created_at).where(
                posts.c.incident_id == incident_id, posts.c.from_brand.is_(False)
            )
        ).scalars()
        volume: dict[str, int] = defaultdict(int)
        for at in per_ten:
            volume[at.strftime("%Y-%m-%d %H:") + f"{at.minute // 10 * 10:02d}"] += 1
        out["volume"] = [{"time": t, "posts": n} for t, n in sorted(volume.items())]
        alert = conn.execute(select(alerts).where(alerts.c.incident_id == incident_id)).first()
        out["alert"] = {k: _iso(v) for k, v in alert._mapping.items()} if alert else None
        return out


def incident_cases(
    engine: Engine, incident_id: str, limit: int | None = None
) -> list[dict[str, Any]]:
    """The incident's cases in the queue's order (the first `limit` of them)."""
    with engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(
                select(
                    cases.c.id,
                    cases.c.status,
                    cases.c.claimed_by,
                    cases.c.claim_expires,
                    cases.c.customer_handle,
                    cases.c.summary,
                    cases.c.queue,
                    cases.c.priority,
                    cases.c.first_response_at,
                )
                .where(cases.c.incident_id == incident_id)
                .order_by(*QUEUE_ORDER)
                .limit(limit)
            )
        ]


def close_incident(engine: Engine, incident_id: str, who: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    with engine.begin() as conn:
        done = conn.execute(
            update(incidents)
            .where(incidents.c.id == incident_id, incidents.c.status == "open")
            .values(status="closed", closed_at=now, closed_by=who)
        ).rowcount
        if not done:
            _must_exist(conn, incident_id)
            raise ConflictError(f"incident {incident_id} is not open")


def posts_since(conn: Connection, incident_id: str, since: datetime) -> int:
    return (
        conn.execute(
            select(func.count()).where(
                posts.c.incident_id == incident_id,
                posts.c.from_brand.is_(False),
                posts.c.created_at > since,
            )
        ).scalar()
        or 0
    )


def close(conn: Connection, incident_id: str, by: str, now: datetime) -> None:
    conn.execute(
        update(incidents)
        .where(incidents.c.id == incident_id, incidents.c.status == "open")
        .values(status="closed", closed_at=now, closed_by=by)
    )


def reopen(engine: Engine, incident_id: str) -> None:
    """An incident takes new matching posts again (crisis mode turns it on)."""
    with engine.begin() as conn:
        conn.execute(
            update(incidents)
            .where(incidents.c.id == incident_id, incidents.c.status == "closed")
            .values(status="open", closed_at=None, closed_by=None)
        )


def close_idle(conn: Connection, older_than: datetime, now: datetime) -> list[str]:
    """Close open incidents no post joined since `older_than` (event time)."""
    ids = list(
        conn.execute(
            select(incidents.c.id).where(
                incidents.c.status == "open", incidents.c.last_seen < older_than
            )
        ).scalars()
    )
    if ids:
        conn.execute(
            update(incidents)
            .where(incidents.c.id.in_(ids))
            .values(status="closed", closed_at=now, closed_by="idle")
        )
    return ids


def remove_case(engine: Engine, incident_id: str, case_id: str, who: str) -> None:
    """Take a case out of an incident (it stays out: a later post does not put it back)."""
    now = utcnow()
    with engine.begin() as conn:
        _must_exist(conn, incident_id)
        done = conn.execute(
            update(cases)
            .where(cases.c.id == case_id, cases.c.incident_id == incident_id)
            .values(incident_id=None, updated_at=now)
        ).rowcount
        if not done:
            raise NotFoundError(f"case {case_id} is not in incident {incident_id}")
        conn.execute(
            update(posts)
            .where(posts.c.case_id == case_id, posts.c.incident_id == incident_id)
            .values(incident_id=None)
        )
        conn.execute(insert(incident_exclusions).values(incident_id=incident_id, case_id=case_id))
        record_event(conn, case_id, "incident_removed", who, now, {"incident_id": incident_id})


def merge(engine: Engine, source: str, into: str, who: str) -> None:
    """Merge incident `source` into `into`: its posts and cases move; it is marked merged."""
    if source == into:
        raise ConflictError("an incident cannot be merged into itself")
    now = utcnow()
    with engine.begin() as conn:
        a = _must_exist(conn, source)
        b = _must_exist(conn, into)
        if b.status == "merged":
            raise ConflictError(f"incident {into} was merged into {b.merged_into}; merge into that")
        moved = list(
            conn.execute(select(cases.c.id).where(cases.c.incident_id == source)).scalars()
        )
        conn.execute(update(cases).where(cases.c.incident_id == source).values(incident_id=into))
        conn.execute(update(posts).where(posts.c.incident_id == source).values(incident_id=into))
        conn.execute(
            update(incidents)
            .where(incidents.c.id == source)
            .values(status="merged", merged_into=into, closed_at=now, closed_by=who)
        )
        conn.execute(
            update(incidents)
            .where(incidents.c.id == into)
            .values(
                first_seen=min(a.first_seen, b.first_seen),
                last_seen=max(a.last_seen, b.last_seen),
                status="open" if "open" in (a.status, b.status) else b.status,
            )
        )
        for case_id in moved:
            record_event(conn, case_id, "incident_merged", who, now, {"from": source, "to": into})


def _must_exist(conn: Connection, incident_id: str):
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    if row is None:
        raise NotFoundError(f"no incident {incident_id}")
    return row
