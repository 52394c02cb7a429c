"""Opening the case store: one engine per process, tables created on start-up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from socialcare.errors import ConfigError
from socialcare.store.migrations import migrate
from socialcare.stream.sqlite_files import prepare
from socialcare.stream.wal import BackgroundCheckpoints, backstop


def normalize_url(url: str | URL) -> URL:
    """A case store URL as SQLAlchemy's URL object (never re-parsed from text, so a path with
    `%`, `?` or `#` stays a path). `postgresql://` and `postgres://` mean psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"not a database URL: {str(url)[:100]!r}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def open_store(url: str | URL) -> Engine:
    """`sqlite:///PATH` (default) or `postgresql://...`; applies pending migrations."""
    parsed = url = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLite connections are cheap: enough for the desk's worker threads not to queue
        engine = create_engine(
            url,
            connect_args={"timeout": 30},
            pool_size=20,
            max_overflow=20,
            json_serializer=json_text,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # a desk's worker threads (40) share 10 kept connections and 10 more at a peak: two
        # desks and the pipeline stay inside PostgreSQL's default 100 connections
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, json_serializer=json_text
        )
    migrate(engine)
    return engine


def json_text(value: Any) -> str:
    """A JSON column's text: orjson's (the router writes a few JSON values per case, and the
    stdlib's encoder was 3-4 % of the all-in-one pipeline's time); what orjson refuses
    (integers past 64 bits) gets the stdlib's, which also gives the error for what neither
    writes."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    prepare(dbapi_conn)  # as the embedded log's (socialcare/stream/sqlite_files.py)


def checkpoint_in_background(engine: Engine) -> BackgroundCheckpoints | None:
    """For the case store's main writer: a SQLite store's log is copied into its file by a thread
    (socialcare/stream/wal.py), and `engine`'s connections from now on checkpoint only as a
    backstop. None for PostgreSQL, which checkpoints by itself."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    event.listen(engine, "connect", lambda dbapi_conn, _record: backstop(dbapi_conn))
    engine.dispose()  # the connections pooled so far reconnect with the backstop
    return BackgroundCheckpoints(url.database)
