"""Schema migrations, run on start-up by every process that opens the store.

Each migration has a version; `schema_version` records those applied. On PostgreSQL the run holds
a transaction-level advisory lock, so many processes starting at once apply each migration once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    func,
    inspect,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from socialcare.store import tables
from socialcare.store.tables import metadata, outbox
from socialcare.stream.terms import listening_terms

_version_meta = MetaData()
schema_version = Table(
    "schema_version",
    _version_meta,
    Column("version", Integer, primary_key=True),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), server_default=func.now()),
)

Migration = tuple[int, str, Callable[[Connection], None]]


def add_columns(table: Table, *names: str) -> Callable[[Connection], None]:
    """A migration adding `table`'s columns `names` (as tables.py defines them) where they are
    missing: a store created at this version by migration 1 has them already."""

    def apply(conn: Connection) -> None:
        have = {c["name"] for c in inspect(conn).get_columns(table.name)}
        for name in names:
            if name in have:
                continue
            column = table.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{name}" {kind}'))

    return apply


def create_tables(*new: Table) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        for table in new:
            table.create(conn, checkfirst=True)

    return apply


def _all(*steps: Callable[[Connection], None]) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        for step in steps:
            step(conn)

    return apply


def _backfill_listening(conn: Connection, batch: int = 2000) -> None:
    """Fill the score and terms of the customer posts stored before migration 6, from each
    post's stored message and text."""
    posts = tables.posts
    last: tuple[str, str] = ("", "")
    while True:
        rows = conn.execute(
            select(posts.c.network, posts.c.post_id, posts.c.text, posts.c.mention)
            .where(
                posts.c.from_brand.is_(False),
                posts.c.terms.is_(None),
                tuple_(posts.c.network, posts.c.post_id) > last,
            )
            .order_by(posts.c.network, posts.c.post_id)
            .limit(batch)
        ).all()
        if not rows:
            return
        for network, post_id, text_, mention in rows:
            try:
                tag = json.loads(mention).get("classification") or {}
                score = float(tag["sentiment"]["score"])
            except (ValueError, KeyError, TypeError, AttributeError):
                score = None
            conn.execute(
                update(posts)
                .where(posts.c.network == network, posts.c.post_id == post_id)
                .values(sentiment_score=score, terms=" ".join(listening_terms(text_)))
            )
        last = (rows[-1].network, rows[-1].post_id)


def _backfill_source(conn: Connection) -> None:
    """Corrections made before migration 7 were made on the desk."""
    c = tables.corrections
    conn.execute(update(c).where(c.c.source.is_(None)).values(source="desk"))


MIGRATIONS: list[Migration] = [
    (1, "cases, posts, case events, ingest cursors", lambda conn: metadata.create_all(conn)),
    (
        2,
        "outbox: desk replies posted through the network adapters",
        lambda conn: outbox.create(conn, checkfirst=True),
    ),
    (
        3,
        "event time (source watermarks, routed watermarks, escalation retraction) and desk "
        "access (server-side sessions, token expiry, sign-in throttling)",
        _all(
            add_columns(
                tables.source_cursors,
                "last_error_at",
                "watermark",
                "networks",
                "finite",
                "finished",
                "retired",
            ),
            add_columns(tables.cases, "sla_escalated_target", "escalated_from_queue"),
            add_columns(tables.api_tokens, "expires_at"),
            create_tables(tables.routed_watermarks, tables.desk_sessions, tables.login_failures),
        ),
    ),
    (
        4,
        "crisis: traffic per minute, spike state, alerts, incidents; posts' brand and incident",
        _all(
            add_columns(tables.posts, "brand", "incident_id"),
            add_columns(tables.cases, "incident_id"),
            create_tables(
                tables.traffic,
                tables.spike_state,
                tables.alerts,
                tables.incidents,
                tables.incident_exclusions,
            ),
            lambda conn: _indexes(conn, "ix_posts_brand_time", "ix_posts_incident"),
        ),
    ),
    (
        5,
        "the agent's day: presence, capacity, skills, assignment, saved replies, viewers, "
        "customer notes and linked identities",
        _all(
            add_columns(
                tables.users, "presence", "presence_at", "last_seen_at", "capacity", "skills"
            ),
            add_columns(tables.cases, "assignee", "assigned_at", "language"),
            create_tables(
                tables.saved_replies,
                tables.case_viewers,
                tables.assignment_state,
                tables.customer_notes,
                tables.customer_links,
            ),
            lambda conn: _indexes(conn, "ix_cases_assignee", "ix_customer_notes_who"),
        ),
    ),
    (
        6,
        "listening: each customer post's sentiment score and terms, and an index by post time",
        _all(
            add_columns(tables.posts, "sentiment_score", "terms"),
            lambda conn: _indexes(conn, "ix_posts_listening"),
            _backfill_listening,
        ),
    ),
    (
        7,
        "the learning loop: classifier model versions; where each correction came from",
        _all(
            add_columns(tables.corrections, "source"),
            create_tables(tables.models),
            _backfill_source,
        ),
    ),
    (
        8,
        "escalations decided by the router, waiting for the watchdog to tell the webhook",
        create_tables(tables.escalation_notices),
    ),
    (
        9,
        "the learning loop: every retrain's decision, promoted or not",
        create_tables(tables.retrain_attempts),
    ),
    (
        10,
        "the watchdog's looks and the desk's queue pages: open cases by network and due time, "
        "and by queue",
        lambda conn: _indexes(conn, "ix_cases_network_status_due", "ix_cases_status_queue"),
    ),
    (
        11,
        "lists of cases in the queue's order: a queue's by status, and the resolved ones",
        lambda conn: _queue_order_indexes(conn),
    ),
]


def _queue_order_indexes(conn: Connection) -> None:
    conn.execute(text("DROP INDEX IF EXISTS ix_cases_queue_status_priority"))  # a prefix of one
    _indexes(conn, "ix_cases_queue_order", "ix_cases_resolved_order")


def _indexes(conn: Connection, *names: str) -> None:
    """Create indexes tables.py defines, where missing (a store from before they existed)."""
    have = {
        i["name"]
        for t in ("posts", "cases", "customer_notes")
        if inspect(conn).has_table(t)
        for i in inspect(conn).get_indexes(t)
    }
    for table in metadata.tables.values():
        for index in table.indexes:
            if index.name in names and index.name not in have:
                index.create(conn)


_LOCK_ID = 0x50C1A1  # any constant shared by every socialcare process


def migrate(engine: Engine, attempts: int = 3) -> int:
    """Apply pending migrations; return the schema version in force. On SQLite, where there is
    no advisory lock, a process that loses a start-up race to another one tries again."""
    for attempt in range(attempts):
        try:
            return _migrate(engine)
        except (OperationalError, IntegrityError):
            if engine.dialect.name != "sqlite" or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _migrate(engine: Engine) -> int:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        _version_meta.create_all(conn)
        current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
        for version, description, apply in MIGRATIONS:
            if version > current:
                apply(conn)
                conn.execute(
                    schema_version.insert().values(version=version, description=description)
                )
                current = version
    return current
