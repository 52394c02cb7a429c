"""Analysts: the Listening page (share of voice, trending terms, sentiment over time, topic mix,
networks), every figure a link to the posts behind it, and the same figures in the API
(`GET /api/reports/KIND`, `GET /api/mentions`). socialcare/store/listening.py computes them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from socialcare.desk.context import Desk, desk
from socialcare.desk.inputs import parse_time
from socialcare.desk.pages import page
from socialcare.desk.security import need
from socialcare.store import listening
from socialcare.store.listening import Scope
from socialcare.store.tables import posts
from socialcare.store.users import User

router = APIRouter()
ANALYST = need("analyst")
PAGE_SIZE = 100


@dataclass
class ListeningQuery:
    """The filters of every listening figure and of its drill-down (`socialcare report` and
    `socialcare mentions` take the same)."""

    since: str | None = Query(None, max_length=32)
    until: str | None = Query(None, max_length=32)
    brand: str | None = Query(None, max_length=256)
    network: str | None = Query(None, max_length=32)
    by: str | None = Query(None, pattern="^(day|hour)$")
    sentiment: str | None = Query(None, pattern="^(positive|neutral|negative)$")
    topic: str | None = Query(None, max_length=64)
    term: str | None = Query(None, max_length=200)

    def scope(self) -> Scope:
        return Scope(
            parse_time(self.since) if self.since else None,
            parse_time(self.until) if self.until else None,
            self.brand or None,
            self.network or None,
            self.sentiment,
            self.topic or None,
            self.term or None,
        )


def drill(scope: Scope, **narrower: object) -> str:
    """The drill-down link for a figure: its scope, narrowed (a brand, a day, a term …)."""
    scope = replace(scope, **narrower)  # type: ignore[arg-type]
    params = {
        "since": scope.since.isoformat() if scope.since else None,
        "until": scope.until.isoformat() if scope.until else None,
        "brand": scope.brand,
        "network": scope.network,
        "sentiment": scope.sentiment,
        "topic": scope.topic,
        "term": scope.term,
    }
    return "/listening/mentions?" + urlencode({k: v for k, v in params.items() if v})


def _period_scope(scope: Scope, period: str, by: str) -> dict[str, datetime]:
    """The range of one period of a time series ("2026-03-02" or "2026-03-02T14:00Z"), cut
    to the page's own range."""
    start = datetime.fromisoformat(period.removesuffix("Z")).replace(tzinfo=UTC)
    end = start + (timedelta(days=1) if by == "day" else timedelta(hours=1))
    return {
        "since": max(start, scope.since) if scope.since else start,
        "until": min(end, scope.until) if scope.until else end,
    }


def latest_mention(d: Desk) -> datetime | None:
    with d.engine.connect() as conn:
        return conn.execute(
            select(func.max(posts.c.created_at)).where(posts.c.from_brand.is_(False))
        ).scalar()


@router.get("/listening", response_class=HTMLResponse)
def listening_page(
    request: Request,
    q: ListeningQuery = Depends(),
    user: User = Depends(ANALYST),
    d: Desk = Depends(desk),
):
    scope = q.scope()
    by = q.by or "day"
    voice = listening.voice(d.engine, scope)
    for row in voice:
        row["href"] = drill(scope, brand=row["account"])
        row["negative_href"] = drill(scope, brand=row["account"], sentiment="negative")
    brand = q.brand or (voice[0]["account"] if voice else None)
    # trends: the page's range, or the last 24 hours of traffic when it has none
    latest = latest_mention(d)
    until = scope.until or (
        latest.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1) if latest else None
    )
    since = scope.since or (until - timedelta(days=1) if until else None)
    trend_scope = replace(scope, brand=brand, since=since, until=until, term=None)
    trend_rows = listening.trends(d.engine, trend_scope) if brand and since and until else []
    for row in trend_rows:
        row["href"] = drill(trend_scope, term=row["term"])
    over_time = listening.sentiment(d.engine, replace(scope, brand=q.brand or None), by)
    for row in over_time:
        row["href"] = drill(scope, brand=q.brand or None, **_period_scope(scope, row["period"], by))
    topic_rows = listening.topics(d.engine, replace(scope, brand=brand))
    for row in topic_rows:
        row["href"] = drill(scope, brand=row["account"], topic=row["topic"])
    network_rows = listening.networks(d.engine, scope)
    for row in network_rows:
        row["href"] = drill(scope, network=row["network"])
    return page(
        request,
        "listening.html",
        user,
        q=q,
        by=by,
        voice=voice,
        brand=brand,
        trends=trend_rows,
        trend_since=since,
        trend_until=until,
        sentiment=over_time[-60:],
        topics=topic_rows,
        networks=network_rows,
        accounts=[v["account"] for v in voice],
    )


@router.get("/listening/mentions", response_class=HTMLResponse)
def mentions_page(
    request: Request,
    q: ListeningQuery = Depends(),
    offset: int = Query(0, ge=0, le=10_000_000),
    user: User = Depends(ANALYST),
    d: Desk = Depends(desk),
):
    scope = q.scope()
    total = listening.count_mentions(d.engine, scope)
    rows = listening.mentions(d.engine, scope, PAGE_SIZE, offset)
    base = drill(scope)
    return page(
        request,
        "mentions.html",
        user,
        q=q,
        total=total,
        rows=rows,
        offset=offset,
        page_size=PAGE_SIZE,
        next_url=f"{base}&offset={offset + PAGE_SIZE}" if offset + PAGE_SIZE < total else None,
        prev_url=f"{base}&offset={max(0, offset - PAGE_SIZE)}" if offset else None,
    )


@router.get("/api/reports/{kind}")
def api_listening(
    kind: str,
    q: ListeningQuery = Depends(),
    limit: int = Query(20, ge=1, le=1000),
    user: User = Depends(ANALYST),
    d: Desk = Depends(desk),
) -> list[dict]:
    """voice, trends, sentiment, topics or networks: the figures of `socialcare report`."""
    if kind not in listening.KINDS:
        raise HTTPException(
            404, f"no report {kind!r}; listening reports: {', '.join(listening.KINDS)}"
        )
    return listening.run_listening(d.engine, kind, q.scope(), q.by, limit)


@router.get("/api/mentions")
def api_mentions(
    q: ListeningQuery = Depends(),
    limit: int = Query(100, ge=1, le=5000),
    offset: int = Query(0, ge=0, le=10_000_000),
    user: User = Depends(ANALYST),
    d: Desk = Depends(desk),
) -> dict:
    """The posts behind a figure, newest first, a page at a time; `total` is the figure."""
    scope = q.scope()
    return {
        "total": listening.count_mentions(d.engine, scope),
        "mentions": listening.mentions(d.engine, scope, limit, offset),
    }
