"""The alerter: spike detection and incidents, decided in event time (run by the watchdog).

Each tick judges, per traffic key, every minute the event-time clock has passed since the last
tick (route/spikes.py), in order, so a replay of history raises the alerts the live run raised.
A spike becomes an alert (its id comes from the key and minute, so two watchdogs raise it once),
opens an incident (route/incidents.py) and is posted once to the webhook, Slack-compatible: a
`text` line a person reads, and the alert's fields beside it. Incidents no post joined for
`alerts.incident_idle` close.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from route.incidents import QUIET, open_for, quiet_limit
from route.rules import RuleSet
from route.spikes import (
    Counts,
    SeasonalDetector,
    Series,
    Spike,
    bucket_of,
    bucket_start,
    buckets_to_judge,
    detect,
    history_ranges,
)
from socialcare.store import incidents as store
from socialcare.store import traffic

log = logging.getLogger(__name__)


def alert_id_for(key: str, bucket: int) -> str:
    return "a" + hashlib.sha256(f"{key}\x00{bucket}".encode()).hexdigest()[:11]


def tick(conn: Connection, rules: RuleSet, clock: datetime | None, now: datetime) -> list[dict]:
    """Judge every minute up to `clock`; returns the alerts raised (as stored)."""
    settings = rules.alerts
    if clock is None:
        return []
    up_to = bucket_of(clock) - 1  # only minutes that are over
    raised: list[dict] = []
    for key, judged in sorted(traffic.pending(conn, up_to).items()):
        spike_settings = settings.for_brand(traffic.brand_of(key))
        if spike_settings is not None:
            ranges = history_ranges(judged, up_to, spike_settings.history_days)
            counts = traffic.series(conn, key, ranges if judged >= 0 else None)
            series = Series({b: Counts(*v) for b, v in counts.items()})
            brand = traffic.brand_of(key)
            detector = SeasonalDetector(
                spike_settings,
                texts=lambda lo, hi, brand=brand: traffic.texts(
                    conn, brand, bucket_start(lo), bucket_start(hi + 1)
                ),
            )
            buckets = buckets_to_judge(series, judged, up_to)
            for spike in detect(detector, key, series, buckets, store.last_alert(conn, key)):
                alert = _raise(conn, spike, rules, now, clock)
                if alert is not None:
                    raised.append(alert)
            # the minutes no later look reads (it judges minutes after up_to) go
            traffic.forget(
                conn, key, history_ranges(up_to, up_to + 1, spike_settings.history_days)[0][0]
            )
        traffic.judged(conn, key, up_to)
    closed = store.close_idle(conn, clock - settings.incident_idle, now)
    closed += close_quiet(conn, clock, now)
    if closed:
        log.info("incidents closed (no longer bursting): %s", closed)
    return raised


def close_quiet(conn: Connection, clock: datetime, now: datetime) -> list[str]:
    """Close the open incidents whose matching posts have gone quiet by the event-time clock
    (route/incidents.py `quiet_limit`): later posts about the same thing are ordinary again."""
    closed = []
    for row in store.open_incidents(conn):
        if row["first_seen"] + QUIET > clock:
            continue
        usual = float((row["idf"] or {}).get("usual_per_minute", 0.0))
        recent = store.posts_since(conn, row["id"], clock - QUIET)
        if recent <= quiet_limit(usual):
            store.close(conn, row["id"], "quiet", now)
            closed.append(row["id"])
    return closed


def _raise(
    conn: Connection, spike: Spike, rules: RuleSet, now: datetime, clock: datetime
) -> dict | None:
    alert_id = alert_id_for(spike.key, spike.bucket)
    incident = open_for(conn, spike, alert_id, rules.alerts, now, clock)
    brand = traffic.brand_of(spike.key)
    samples = _samples(conn, brand, spike, incident)
    row: dict[str, Any] = {
        "id": alert_id,
        "key": spike.key,
        "brand": brand,
        "kind": spike.kind,
        "signal": spike.signal,
        "started_at": spike.started_at,
        "detected_at": spike.detected_at,
        "severity": spike.severity,
        "observed": spike.observed,
        "expected": spike.expected,
        "score": spike.score,
        "negative_share": spike.negative_share,
        "expected_negative_share": spike.expected_negative_share,
        "terms": incident["terms"] if incident else [],
        "samples": samples,
        "incident_id": incident["id"] if incident else None,
        "status": "active",
        "status_by": None,
        "created_at": now,
        "updated_at": now,
    }
    if not store.add_alert(conn, row):
        return None
    log.warning(
        "alert %s: %s spike for %s (%s): %d posts in 10 min, %.1f expected",
        alert_id,
        spike.kind,
        spike.key,
        spike.signal,
        spike.observed,
        spike.expected,
    )
    return row


def _samples(conn: Connection, brand: str, spike: Spike, incident: dict | None) -> list[dict]:
    """Three to five posts behind the alert: from its incident when there is one."""
    posts = traffic.brand_posts(conn, brand, spike.started_at, spike.detected_at)
    if incident is not None:
        posts = [p for p in posts if p["incident_id"] == incident["id"]] or posts
    step = max(1, len(posts) // 5)
    return [
        {"post_id": p["post_id"], "author": p["author_handle"], "text": p["text"][:280]}
        for p in posts[::step][:5]
    ]


def webhook_body(alert: dict) -> dict:
    """A Slack-compatible message: `text` for people, the alert's fields beside it."""
    terms = ", ".join(alert["terms"][:5]) or "no common terms"
    text = (
        f":rotating_light: {alert['kind']} spike for {alert['brand']} ({alert['signal']}): "
        f"{alert['observed']} posts in 10 min, {alert['expected']:.0f} expected; "
        f"since {alert['started_at']:%Y-%m-%d %H:%M} UTC. About: {terms}."
    )
    fields = {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in alert.items()
        if k not in ("created_at", "updated_at", "status_by")
    }
    return {"text": text, "source": "socialcare", "type": "alert", "alert": fields}
