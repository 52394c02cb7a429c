"""Incidents: the posts of one brand that are about the same thing, grouped.

An alert opens an incident (`open_for`): the terms that rose in the alert's window against the
brand's day before make a signature (classify/similarity.py `rising`); the brand's posts from a
quarter of an hour before the anomaly began onwards that match it closely enough join, the
signature is refined on them, and matched once more. While the incident is open, the router
(`Matcher`) puts every new post of that brand that matches it into it, with its case (unless an
agent took the case out). An incident no post joined for `alerts.incident_idle` (event time)
closes by itself.

Measured on injected bursts over real background tweets (tests/route/test_incidents.py, `make
bench`): see the README for the precision and recall figures.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from classify.similarity import Idf, Vector, alike, cosine, rising, top_terms, vector
from route.rules import AlertSettings
from route.spikes import Spike
from socialcare.store import incidents as store
from socialcare.store import traffic
from socialcare.stream.schema import utcnow

BACKGROUND = timedelta(hours=24)
LEAD = timedelta(minutes=15)  # posts this long before the anomaly began may belong to it
REACH = timedelta(hours=24)  # how far after it the first grouping looks
MIN_POSTS = 5
KEEP_DF = 5000  # the background's most common terms kept with the incident, for matching


def incident_id_for(alert_id: str) -> str:
    return "i" + hashlib.sha256(alert_id.encode()).hexdigest()[:11]


def background_of(texts: list[str]) -> Idf:
    """What is usual for the brand (its day before), as document frequencies of the most common
    terms (kept with the incident, so posts are matched later exactly as they were at first)."""
    full = Idf.of(texts)
    return Idf(full.docs, Counter(dict(full.df.most_common(KEEP_DF))))


def group(
    window: list[str], background: Idf, candidates: list[str], threshold: float
) -> tuple[list[int], Vector]:
    """(indexes of the candidates about what rose in `window`, and its signature): the terms
    that rose make a signature, the candidates matching it are taken, the signature is made
    again from them (sharper), and the candidates are matched once more."""
    signature = rising(window, background)
    members = alike(candidates, signature, background, threshold)
    if len(members) >= MIN_POSTS:
        sharper = rising([candidates[i] for i in members], background)
        if sharper:
            signature = sharper
            members = alike(candidates, signature, background, threshold)
    return members, signature


def burst_of(
    window: list[str],
    background_texts: list[str],
    background: Idf,
    candidates: list[dict[str, Any]],
    start: datetime,
    threshold: float,
    known_until: datetime | None = None,
) -> tuple[list[int], Vector, float, datetime | None] | None:
    """The candidates (dicts with `text` and `created_at`, in time order) that belong to the
    burst that began at `start`: (their indexes, the signature, how many posts a minute matched
    it the day before, and when the burst went quiet, None if not yet); None if fewer than
    five are alike."""
    members, signature = group(window, background, [c["text"] for c in candidates], threshold)
    if len(members) < MIN_POSTS:
        return None
    usual = len(alike(background_texts, signature, background, threshold)) / (
        BACKGROUND.total_seconds() / 60
    )
    end = active_until(
        [candidates[i]["created_at"] for i in members if candidates[i]["created_at"] >= start],
        usual,
        known_until,
    )
    if end is not None:  # the burst is over (a replay knows): what came after is not part of it
        members = [i for i in members if candidates[i]["created_at"] <= end]
    return members, signature, usual, end


QUIET = timedelta(minutes=30)


def quiet_limit(usual_per_minute: float) -> float:
    """Matching posts in half an hour at or under which an incident has gone quiet: three times
    what is usual for its signature (and at least three)."""
    return max(3.0, 3.0 * usual_per_minute * QUIET.total_seconds() / 60)


def active_until(
    times: list[datetime], usual_per_minute: float, known_until: datetime | None
) -> datetime | None:
    """When a burst of matching posts (their times, sorted) ends: the first matching post
    after which half an hour holds no more than `quiet_limit` of them; None if that half hour
    is not over by `known_until` (the event time up to which every post is known)."""
    limit = quiet_limit(usual_per_minute)
    j = 0
    for i, at in enumerate(times):
        j = max(j, i)
        while j < len(times) and times[j] < at + QUIET:
            j += 1
        if j - i - 1 <= limit and (j < len(times) or (known_until and known_until >= at + QUIET)):
            return at
    return None


def open_for(
    conn: Connection,
    spike: Spike,
    alert_id: str,
    settings: AlertSettings,
    now: datetime | None = None,
    clock: datetime | None = None,
) -> dict[str, Any] | None:
    """Group the posts behind an alert into an incident; None if fewer than five are alike.
    Posts routed already are grouped now: from a quarter of an hour before the anomaly began
    until the matching posts go quiet (half an hour with no more than three times their usual
    number); an incident whose burst is over by the event-time `clock` is stored closed."""
    brand = traffic.brand_of(spike.key)
    start = spike.started_at
    background_texts = [
        t for t, _n in traffic.texts(conn, brand, start - BACKGROUND, start - timedelta(minutes=10))
    ]
    idf = background_of(background_texts)
    window = [
        t for t, _n in traffic.texts(conn, brand, start - timedelta(minutes=5), spike.detected_at)
    ]
    candidates = traffic.brand_posts(conn, brand, start - LEAD, start + REACH)
    found = burst_of(
        window,
        background_texts,
        idf,
        candidates,
        start,
        settings.similar_threshold,
        min(clock, start + REACH) if clock else None,
    )
    if found is None:
        return None
    members, signature, usual, end = found
    chosen = [candidates[i] for i in members]
    quiet = end is not None and clock is not None and end + QUIET <= clock
    keep = dict(sorted(signature.items(), key=lambda kv: -kv[1])[:300])
    words = top_terms(keep, 6)
    row = {
        "id": incident_id_for(alert_id),
        "brand": brand,
        "alert_id": alert_id,
        "title": " · ".join(words[:4]) or "similar posts",
        "terms": words,
        "signature": keep,
        "idf": {"docs": idf.docs, "df": dict(idf.df), "usual_per_minute": usual},
        "status": "closed" if quiet else "open",
        "merged_into": None,
        "first_seen": min(p["created_at"] for p in chosen),
        "last_seen": max(p["created_at"] for p in chosen),
        "created_at": now or utcnow(),
        "closed_at": now or utcnow() if quiet else None,
        "closed_by": "quiet" if quiet else None,
    }
    if store.add_incident(conn, row):
        store.attach(conn, row["id"], [(p["network"], p["post_id"]) for p in chosen], None)
    return row


@dataclass
class _Open:
    id: str
    brand: str
    signature: Vector
    idf: Idf
    size: int


class Matcher:
    """The open incidents, for the router: which one (if any) a new post belongs to."""

    def __init__(self, rows: list[dict[str, Any]], threshold: float, sizes: dict[str, int]) -> None:
        self.threshold = threshold
        self.by_brand: dict[str, list[_Open]] = {}
        for r in rows:
            idf = Idf(int(r["idf"].get("docs", 0)), Counter(r["idf"].get("df", {})))
            found = _Open(r["id"], r["brand"], dict(r["signature"]), idf, sizes.get(r["id"], 0))
            self.by_brand.setdefault(r["brand"].lower(), []).append(found)

    def __bool__(self) -> bool:
        return bool(self.by_brand)

    def match(self, brand: str | None, text: str) -> _Open | None:
        if not brand:
            return None
        best, best_sim = None, self.threshold
        for incident in self.by_brand.get(brand.lower(), ()):
            sim = cosine(vector(text, incident.idf), incident.signature)
            if sim >= best_sim:
                best, best_sim = incident, sim
        return best
