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

from sqlalchemy import Engine, select

from socialcare.errors import InputError
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


def _key(row, by: str) -> str:
    if by == "priority":
        return priority_band(row.priority)
    if by == "hour":
        return f"{row.opened_at.hour:02d}"
    value = getattr(row, by)
    return "(none)" if value in (None, "") else str(value)


def _load(engine: Engine, since: datetime | None, until: datetime | None):
    query = select(
        cases.c.id,
        cases.c.queue,
        cases.c.account,
        cases.c.priority,
        cases.c.topic,
        cases.c.status,
        cases.c.opened_at,
        cases.c.first_response_at,
        cases.c.first_response_due,
        cases.c.resolved_at,
        cases.c.sentiment,
        cases.c.sentiment_score,
    )
    if since:
        query = query.where(cases.c.opened_at >= since)
    if until:
        query = query.where(cases.c.opened_at < until)
    with engine.connect() as conn:
        return conn.execute(query).all()


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
    for row in _load(engine, since, until):
        groups[_key(row, by)].append(row)
    out = []
    for key in sorted(groups):
        rows = groups[key]
        frt = [
            (r.first_response_at - r.opened_at).total_seconds()
            for r in rows
            if r.first_response_at is not None
        ]
        res = [
            (r.resolved_at - r.opened_at).total_seconds() for r in rows if r.resolved_at is not None
        ]
        judged = [
            r
            for r in rows
            if r.first_response_due is not None
            and (r.first_response_at is not None or r.first_response_due <= now)
        ]
        met = [
            r
            for r in judged
            if r.first_response_at is not None and r.first_response_at <= r.first_response_due
        ]
        out.append(
            {
                by: key,
                "cases": len(rows),
                "answered": len(frt),
                "resolved": len(res),
                **_stats(frt, "first_response"),
                **_stats(res, "resolution"),
                "sla_attainment": round(len(met) / len(judged), 4) if judged else None,
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
    now = now or utcnow()
    with engine.connect() as conn:
        opened = conn.execute(select(cases.c.opened_at).where(cases.c.status == "open")).scalars()
        buckets: dict[str, int] = {name: 0 for _, name in AGE_BUCKETS} | {"> 3d": 0}
        for at in opened:
            age = now - at
            name = next((n for limit, n in AGE_BUCKETS if age < limit), "> 3d")
            buckets[name] += 1
    return [{"age": k, "open_cases": v} for k, v in buckets.items()]


def volume_report(
    engine: Engine, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Per day (UTC) of the customer's first post: cases opened, share negative, mean score."""
    days: dict[str, list] = defaultdict(list)
    for row in _load(engine, since, until):
        days[row.opened_at.strftime("%Y-%m-%d")].append(row)
    out = []
    for day in sorted(days):
        rows = days[day]
        scores = [r.sentiment_score for r in rows if r.sentiment_score is not None]
        out.append(
            {
                "day": day,
                "cases": len(rows),
                "negative_share": round(
                    sum(r.sentiment == "negative" for r in rows) / len(rows), 4
                ),
                "mean_sentiment": round(statistics.fmean(scores), 4) if scores else None,
            }
        )
    return out


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
