"""`socialcare audit`: prove nothing was dropped. Every ingested mention must be in a case,
ignored with a stated reason, a brand post (a response), or a dead letter; every customer post
stored without a case must carry its reason. Anything else is listed. A source whose last fetch
failed, or a replay that stopped before its end, is listed too: what it never ingested cannot be
in a case, so the audit does not pass while one exists."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from socialcare.store.tables import ingest_seen, posts, source_cursors
from socialcare.stream.bus import CONSUMED_TOPICS, Bus, dlq_topic


def _dead_keys(bus: Bus) -> tuple[set[tuple[str, str]], int, int]:
    """Keys of dead-lettered mentions that still parse far enough to name one, plus counts of
    all dead letters and of those rejected at ingest (bad input lines, never ingested)."""
    keys: set[tuple[str, str]] = set()
    total = rejected = 0
    for topic in CONSUMED_TOPICS:
        for record in bus.read_all(dlq_topic(topic)):
            total += 1
            if record.header("stage") == "ingest":
                rejected += 1
                continue
            try:
                data = json.loads(record.value)
                keys.add((str(data["network"]), str(data["post_id"])))
            except (ValueError, KeyError, TypeError):
                pass  # unparseable: it was never ingested under a key either
    return keys, total, rejected


def source_problems(conn) -> list[dict[str, Any]]:
    """Sources that are failing (the last fetch raised or errored, nothing succeeded since) or
    stalled (a finite source, such as a replay, that has not reached its end)."""
    problems = []
    for row in conn.execute(select(source_cursors)):
        if row.retired:
            continue
        failing = row.last_error_at is not None and (
            row.last_success_at is None or row.last_error_at >= row.last_success_at
        )
        if failing:
            problems.append(
                {"source": row.source, "problem": "failing", "last_error": row.last_error}
            )
        elif row.finite and not row.finished:
            problems.append(
                {
                    "source": row.source,
                    "problem": "stalled: stopped before its end (run it again to resume)",
                    "last_error": row.last_error,
                }
            )
    return problems


def audit(engine: Engine, bus: Bus, lag: int | None = 0, limit: int = 100) -> dict[str, Any]:
    with engine.connect() as conn:
        sources = source_problems(conn)
        seen = {
            (n, p) for n, p in conn.execute(select(ingest_seen.c.network, ingest_seen.c.post_id))
        }
        stored = conn.execute(
            select(
                posts.c.network,
                posts.c.post_id,
                posts.c.case_id,
                posts.c.from_brand,
                posts.c.ignored_reason,
            )
        ).all()
    dead, dead_total, rejected = _dead_keys(bus)
    in_case = ignored = brand = 0
    unexplained_stored = []
    stored_keys = set()
    for net, pid, case_id, from_brand, reason in stored:
        stored_keys.add((net, pid))
        if case_id is not None:
            in_case += 1
        elif from_brand:
            brand += 1  # a response in a conversation no customer post opened (yet)
        elif reason:
            ignored += 1
        else:
            unexplained_stored.append(f"{net}:{pid}")
    missing = sorted(f"{n}:{p}" for n, p in seen - stored_keys - dead)
    return {
        "ingested": len(seen),
        "in_cases": in_case,
        "ignored_with_reason": ignored,
        "brand_posts_without_case": brand,
        "dead_letters": dead_total,
        "rejected_at_ingest": rejected,
        "in_flight": lag,  # messages not yet through classify and route (None: unknown)
        "unaccounted": len(missing) + len(unexplained_stored),
        "missing": missing[:limit],
        "stored_without_case_or_reason": unexplained_stored[:limit],
        "sources_failing_or_stalled": sources,
        "ok": not missing and not unexplained_stored and not lag and not sources,
    }
