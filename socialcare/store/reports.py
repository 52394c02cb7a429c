"""Analyst reports, computed from the case store: first response and resolution times, SLA
attainment, backlog by age, volume and sentiment over time, and per-agent figures.

Definitions (the README repeats them):
- first response time: the brand's first reply at or after the customer's first post in the
  conversation, minus that first post's time (answered cases only);
- resolution time: resolved_at − opened_at (resolved cases only);
- median and p90 by linear interpolation between ranks (numpy's default), mean arithmetic;
- SLA attainment: of the cases whose first-response target has passed or that were answered,
  the share answered by the target;
- `--by priority` groups by band (70-100, 40-69, 0-39); `--by hour` by the hour of day (UTC) of
  the customer's first post.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, case, func, literal, or_, select

from socialcare.errors import InputError
from socialcare.store.sqltime import period_text, seconds_between
from socialcare.store.tables import case_events, cases
from socialcare.stream.schema import utcnow

DIMENSIONS = ("queue", "account", "priority", "topic", "hour", "agent")
KINDS = ("response", "backlog", "volume")
AGE_BUCKETS = (
    (timedelta(hours=1), "< 1h"),
    (timedelta(hours=4), "1-4h"),
    (timedelta(hours=24), "4-24h"),
    (timedelta(days=3), "1-3d"),
)


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy.percentile's default)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _stats(values: list[float], prefix: str) -> dict[str, float | None]:
    return {
        f"{prefix}_median_s": percentile(values, 50),
        f"{prefix}_p90_s": percentile(values, 90),
        f"{prefix}_mean_s": statistics.fmean(values) if values else None,
    }


PRIORITY_BANDS = ((70, "70-100"), (40, "40-69"), (0, "0-39"))


def priority_band(priority: int) -> str:
    """The band a priority falls in, as reports and `rules replay` group them."""
    return next(name for floor, name in PRIORITY_BANDS if priority >= floor)


def _load(engine: Engine, by: str, since: datetime | None, until: datetime | None, now: datetime):
    """Per case: its group, first response and resolution times in seconds, and whether its
    first-response target was judged and met; the database does the time arithmetic."""
    frt = seconds_between(engine, cases.c.first_response_at, cases.c.opened_at)
    res = seconds_between(engine, cases.c.resolved_at, cases.c.opened_at)
    due = cases.c.first_response_due
    judged = case(
        (and_(due.is_not(None), or_(cases.c.first_response_at.is_not(None), due <= now)), 1),
        else_=0,
    )
    met = case((and_(judged == 1, cases.c.first_response_at <= due), 1), else_=0)
    if by == "hour":
        key = period_text(engine, cases.c.opened_at, "hour_of_day")
    elif by == "priority":
        key = cases.c.priority
    else:
        key = getattr(cases.c, by)
    query = select(key.label("key"), frt.label("frt"), res.label("res"), judged, met)
    if since:
        query = query.where(cases.c.opened_at >= since)
    if until:
        query = query.where(cases.c.opened_at < until)
    with engine.connect() as conn:
        return conn.execute(query).all()


def _group(by: str, key) -> str:
    if by == "priority":
        return priority_band(key)
    return "(none)" if key in (None, "") else str(key)


def response_report(
    engine: Engine,
    by: str = "queue",
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per group: cases, answered, resolved, first response and resolution stats, SLA
    attainment. `by="agent"` gives per-agent figures instead."""
    if by == "agent":
        return agent_report(engine, since, until)
    if by not in DIMENSIONS:
        raise InputError(f"--by must be one of {', '.join(DIMENSIONS)}")
    now = now or utcnow()
    groups: dict[str, list] = defaultdict(list)
    for row in _load(engine, by, since, until, now):
        groups[_group(by, row[0])].append(row)
    out = []
    for key in sorted(groups):
        rows = groups[key]
        frt = [r[1] for r in rows if r[1] is not None]
        res = [r[2] for r in rows if r[2] is not None]
        judged = sum(r[3] for r in rows)
        met = sum(r[4] for r in rows)
        out.append(
            {
                by: key,
                "cases": len(rows),
                "answered": len(frt),
                "resolved": len(res),
                **_stats(frt, "first_response"),
                **_stats(res, "resolution"),
                "sla_attainment": round(met / judged, 4) if judged else None,
            }
        )
    return out


def agent_report(
    engine: Engine, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Per agent: replies sent from the desk, cases claimed and resolved."""
    query = select(case_events.c.actor, case_events.c.type, case_events.c.data).where(
        case_events.c.type.in_(("replied", "claimed", "resolved"))
    )
    if since:
        query = query.where(case_events.c.at >= since)
    if until:
        query = query.where(case_events.c.at < until)
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: {"replies": 0, "claims": 0, "resolved": 0}
    )
    with engine.connect() as conn:
        for actor, kind, data in conn.execute(query):
            if kind == "replied" and (data or {}).get("via") != "desk":
                continue  # the brand's replies seen in the stream are not an agent's
            field = {"replied": "replies", "claimed": "claims", "resolved": "resolved"}[kind]
            counts[actor][field] += 1
    return [{"agent": a, **c} for a, c in sorted(counts.items())]


def backlog_report(engine: Engine, now: datetime | None = None) -> list[dict[str, Any]]:
    """Open cases by age (now minus the customer's first post), counted by the database."""
    now = now or utcnow()
    opened = cases.c.opened_at
    bucket = case(
        *((opened > now - limit, name) for limit, name in AGE_BUCKETS), else_=literal("> 3d")
    )
    with engine.connect() as conn:
        found = dict(
            conn.execute(
                select(bucket, func.count()).where(cases.c.status == "open").group_by(bucket)
            ).all()
        )
    names = [name for _, name in AGE_BUCKETS] + ["> 3d"]
    return [{"age": name, "open_cases": found.get(name, 0)} for name in names]


def volume_report(
    engine: Engine, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Per day (UTC) of the customer's first post: cases opened, share negative, mean score."""
    day = period_text(engine, cases.c.opened_at, "day").label("day")
    query = select(
        day,
        func.count(),
        func.sum(case((cases.c.sentiment == "negative", 1), else_=0)),
        func.avg(cases.c.sentiment_score),
    ).group_by(day)
    if since:
        query = query.where(cases.c.opened_at >= since)
    if until:
        query = query.where(cases.c.opened_at < until)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(day)).all()
    return [
        {
            "day": d,
            "cases": n,
            "negative_share": round(negative / n, 4),
            "mean_sentiment": round(mean, 4) if mean is not None else None,
        }
        for d, n, negative, mean in rows
    ]


def run_report(
    engine: Engine,
    kind: str = "response",
    by: str = "queue",
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """(rows, the label column) of one report kind; the CLI and the desk both call this."""
    if kind == "backlog":
        return backlog_report(engine), "age"
    if kind == "volume":
        return volume_report(engine, since, until), "day"
    if kind != "response":
        raise InputError(f"report kind must be one of {', '.join(KINDS)}")
    return response_report(engine, by, since, until), by
