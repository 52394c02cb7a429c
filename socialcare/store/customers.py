"""Customer profiles: per author per network, their cases (open and past), when they were first
seen, their sentiment over time, agents' notes about them, and the identities on other networks
an agent linked to them. Identities are linked only by an agent's explicit action, kept with who
and when; never by guessing from a handle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from socialcare.errors import InputError, NotFoundError
from socialcare.store.cases import case_json
from socialcare.store.claims import record_event
from socialcare.store.tables import cases, customer_links, customer_notes, posts


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def profile(engine: Engine, network: str, author_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        own = conn.execute(
            select(posts.c.created_at, posts.c.sentiment, posts.c.case_id, posts.c.author_handle)
            .where(
                posts.c.network == network,
                posts.c.author_id == author_id,
                posts.c.from_brand.is_(False),
            )
            .order_by(posts.c.created_at)
        ).all()
        their_cases = conn.execute(
            select(cases)
            .where(cases.c.network == network, cases.c.customer_id == author_id)
            .order_by(cases.c.opened_at.desc())
        ).all()
        if not own and not their_cases:
            raise NotFoundError(f"no customer {author_id!r} on {network}")
        notes = conn.execute(
            select(customer_notes.c.text, customer_notes.c.agent, customer_notes.c.at)
            .where(customer_notes.c.network == network, customer_notes.c.author_id == author_id)
            .order_by(customer_notes.c.at.desc())
        ).all()
        links = conn.execute(
            select(customer_links).where(
                customer_links.c.network == network, customer_links.c.author_id == author_id
            )
        ).all()
    return {
        "network": network,
        "author_id": author_id,
        "handle": own[-1].author_handle
        if own
        else (their_cases[0].customer_handle if their_cases else author_id),
        "first_seen": _iso(own[0].created_at) if own else None,
        "posts": len(own),
        "cases": [
            {
                k: v
                for k, v in case_json(dict(c._mapping)).items()
                if k
                in (
                    "id",
                    "status",
                    "queue",
                    "priority",
                    "summary",
                    "opened_at",
                    "sentiment",
                    "first_response_at",
                    "resolved_at",
                )
            }
            for c in their_cases
        ],
        "sentiment": [
            {"at": _iso(p.created_at), "label": p.sentiment, "case_id": p.case_id} for p in own
        ],
        "notes": [{"text": n.text, "agent": n.agent, "at": _iso(n.at)} for n in notes],
        "linked": [
            {
                "network": link_row.other_network,
                "author_id": link_row.other_author_id,
                "by": link_row.agent,
                "at": _iso(link_row.at),
            }
            for link_row in links
        ],
    }


def add_note(
    engine: Engine, network: str, author_id: str, agent: str, text: str, now: datetime
) -> None:
    text = (text or "").strip()
    if not text or len(text) > 5000:
        raise InputError("a note about a customer is 1-5000 characters")
    with engine.begin() as conn:
        conn.execute(
            insert(customer_notes).values(
                network=network, author_id=author_id, text=text, agent=agent, at=now
            )
        )


def link(engine: Engine, a: tuple[str, str], b: tuple[str, str], agent: str, now: datetime) -> None:
    """An agent says two identities (network, author id) are one customer. Both must be
    customers the store has seen; both directions are kept, with who and when, and a
    `customer_linked` event goes into the latest case of each, so the case history shows it."""
    if a == b:
        raise InputError("an identity cannot be linked to itself")
    with engine.begin() as conn:
        latest = {}
        for who in (a, b):
            latest[who] = conn.execute(
                select(cases.c.id)
                .where(cases.c.network == who[0], cases.c.customer_id == who[1])
                .order_by(cases.c.opened_at.desc())
                .limit(1)
            ).scalar()
            if latest[who] is None and not _has_posts(conn, *who):
                raise NotFoundError(f"no customer {who[1]!r} on {who[0]}")
        for one, other in ((a, b), (b, a)):
            exists = conn.execute(
                select(customer_links.c.agent).where(
                    customer_links.c.network == one[0],
                    customer_links.c.author_id == one[1],
                    customer_links.c.other_network == other[0],
                    customer_links.c.other_author_id == other[1],
                )
            ).first()
            if exists:
                continue
            conn.execute(
                insert(customer_links).values(
                    network=one[0],
                    author_id=one[1],
                    other_network=other[0],
                    other_author_id=other[1],
                    agent=agent,
                    at=now,
                )
            )
            if latest[one]:
                record_event(
                    conn,
                    latest[one],
                    "customer_linked",
                    agent,
                    now,
                    {"network": other[0], "author_id": other[1]},
                )


def _has_posts(conn: Connection, network: str, author_id: str) -> bool:
    found = conn.execute(
        select(posts.c.post_id)
        .where(posts.c.network == network, posts.c.author_id == author_id)
        .limit(1)
    ).first()
    return found is not None
