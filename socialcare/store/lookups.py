"""Look-ups the router makes for a batch: which posts are stored already, the cases of some
conversations, brand posts waiting for a case, customers' recent conversations, and the
timelines of cases. Each is a few IN-list queries, whatever the batch size. Before them, on
PostgreSQL, the batch's cases are locked (`lock_cases`), so that what they find stays true until
the batch commits."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Connection, select, text

from socialcare.store.batches import chunks, per_network
from socialcare.store.tables import cases, posts


def existing_posts(conn: Connection, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for net, ids in per_network(keys):
        rows = conn.execute(
            select(posts.c.post_id).where(posts.c.network == net, posts.c.post_id.in_(ids))
        ).scalars()
        found.update((net, pid) for pid in rows)
    return found


def lock_cases(conn: Connection, case_ids: list[str]) -> None:
    """On PostgreSQL, hold a transaction-level advisory lock on each case id until the batch
    commits; elsewhere nothing (SQLite has one writer at a time).

    A conversation's posts come on two lanes (`mentions.classified` and `mentions.urgent`),
    read by separate consumer groups, so two routers can hold posts of one conversation at once.
    Without the lock both could find no case and open one; the loser's insert failed on the
    case's key and its whole batch was rewound and routed again (up to 2,000 posts). With it the
    second waits for the first to commit, then reads its case. The locks are taken in one
    statement, in sorted order, before the batch writes anything: two routers wait on each
    other only in that order, so they cannot deadlock on them."""
    if conn.dialect.name != "postgresql" or not case_ids:
        return
    conn.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtextextended(id, 0))"
            " FROM unnest(CAST(:ids AS text[])) AS id"
        ),
        {"ids": sorted(set(case_ids))},
    )


def existing_cases(conn: Connection, convs: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    out: dict[tuple[str, str], dict] = {}
    for net, ids in per_network(convs):
        query = select(cases).where(cases.c.network == net, cases.c.conversation_id.in_(ids))
        for row in conn.execute(query):
            out[(net, row.conversation_id)] = dict(row._mapping)
    return out


def unattached_brand_posts(
    conn: Connection, convs: list[tuple[str, str]]
) -> dict[tuple[str, str], list[tuple[str, datetime, str]]]:
    out: dict[tuple[str, str], list[tuple[str, datetime, str]]] = defaultdict(list)
    for net, ids in per_network(convs):
        rows = conn.execute(
            select(
                posts.c.conversation_id, posts.c.post_id, posts.c.created_at, posts.c.author_handle
            ).where(
                posts.c.network == net,
                posts.c.conversation_id.in_(ids),
                posts.c.case_id.is_(None),
                posts.c.from_brand.is_(True),
            )
        )
        for conv, post_id, at, handle in rows:
            out[(net, conv)].append((post_id, at, handle))
    return out


def recent_conversations(
    conn: Connection, customers: list[tuple[str, str]], since: datetime
) -> dict[tuple[str, str], set[str]]:
    """(network, customer id) → conversations with a case opened since `since`."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for net, ids in per_network(customers):
        rows = conn.execute(
            select(cases.c.customer_id, cases.c.conversation_id).where(
                cases.c.network == net, cases.c.customer_id.in_(ids), cases.c.opened_at >= since
            )
        )
        for cid, conv in rows:
            out[(net, cid)].add(conv)
    return out


def timelines(conn: Connection, case_ids: list[str]) -> dict[str, list[tuple[datetime, bool, str]]]:
    """case id → every post of the case as (time, from brand, author handle)."""
    out: dict[str, list[tuple[datetime, bool, str]]] = defaultdict(list)
    for ids in chunks(case_ids):
        for case_id, at, brand, handle in conn.execute(
            select(
                posts.c.case_id, posts.c.created_at, posts.c.from_brand, posts.c.author_handle
            ).where(posts.c.case_id.in_(ids))
        ):
            out[case_id].append((at, brand, handle))
    return out


def incident_sizes(conn: Connection, incident_ids: list[str]) -> dict[str, int]:
    """Customer posts grouped into each incident so far."""
    from sqlalchemy import func

    if not incident_ids:
        return {}
    return dict(
        conn.execute(
            select(posts.c.incident_id, func.count())
            .where(posts.c.incident_id.in_(incident_ids), posts.c.from_brand.is_(False))
            .group_by(posts.c.incident_id)
        ).all()
    )
