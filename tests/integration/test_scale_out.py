"""Issue 3's acceptance: stages as separate processes — ingest, two classify workers in one
consumer group, a router — fed a few thousand mentions with bad inputs among them, one classify
worker SIGKILLed mid-stream and restarted. Every mention must end in exactly one case, nothing
lost, nothing doubled, and the dead letters must hold exactly the bad inputs.

The same assertions run on embedded+SQLite and on Kafka (Tansu) + PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ingest.sources.demo import DemoSource
from socialcare.store.db import open_store
from socialcare.store.tables import case_events, cases, posts
from socialcare.stream.bus import PIPELINE_TOPICS, TOPIC_RAW, OutMessage, dlq_topic, open_bus

CLI = [sys.executable, "-m", "socialcare.cli"]
BAD_LINES = {5: "{oops", 250: '{"schema": 1, "network": "x"}', 1200: "[]"}


def write_input(path: Path, conversations: int) -> list:
    mentions = DemoSource(conversations, seed=11).fetch(None, 10**9).mentions
    lines = [m.to_json().decode() for m in mentions]
    for line_no, bad in sorted(BAD_LINES.items()):
        lines.insert(line_no - 1, bad)
    path.write_text("\n".join(lines) + "\n")
    return mentions


class Stack:
    def __init__(self, state: list[str], env: dict[str, str]) -> None:
        self.state = state
        self.env = env
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [*CLI, *args, *self.state],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(params=["embedded+sqlite", "kafka+postgresql"])
def stack(request, tmp_path):
    env = {
        **os.environ,
        "SOCIALCARE_EMBEDDED_SESSION_MS": "2000",
        "SOCIALCARE_KAFKA_SESSION_TIMEOUT_MS": "6000",
    }
    home = tmp_path / "home"
    if request.param == "embedded+sqlite":
        state = ["--home", str(home)]
        bus_url, db_url = f"embedded://{home / 'bus.db'}", f"sqlite:///{home / 'cases.db'}"
    else:
        broker = request.getfixturevalue("broker")
        db_url = request.getfixturevalue("pg_url")
        bus_url = broker.url
        state = ["--home", str(home), "--bus", bus_url, "--db", db_url]
    s = Stack(state, env)
    s.bus_url, s.db_url = bus_url, db_url
    yield s
    s.stop_all()


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.timeout(600)
def test_separate_processes_survive_sigkill_exactly_once(stack, tmp_path):
    mentions = write_input(tmp_path / "in.jsonl", 1600)
    total = len(mentions)
    assert total > 3000

    engine = open_store(stack.db_url)  # migrations, so the router and we share a schema
    bus = open_bus(stack.bus_url)
    bus.ensure_topics(PIPELINE_TOPICS)
    poison = bus.producer()  # a message no stage can parse, straight onto the raw topic
    poison.send(OutMessage(TOPIC_RAW, "poison", b'{"schema": 1, "text": 42}'))
    poison.flush()

    def stored() -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(posts)).scalar()

    stack.start("route", "--batch-size", "50")
    doomed = stack.start("classify", "--worker", "--batch-size", "10")
    stack.start("classify", "--worker", "--batch-size", "10")
    ingest = stack.start("ingest", "--source", f"replay:{tmp_path / 'in.jsonl'}", "--until-idle")

    wait_for(lambda: stored() >= 300, 180, "the first routed posts")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    at_kill = stored()
    assert at_kill < total, "everything was routed before the kill; the test proved nothing"
    stack.start("classify", "--worker", "--batch-size", "10")

    assert ingest.wait(timeout=300) == 0, ingest.stderr.read()[-2000:]
    wait_for(lambda: stored() == total, 400, f"all {total} posts routed")
    time.sleep(2)  # anything doubled would show up now
    stack.stop_all()

    # every mention exactly once, in exactly one case (or, for brand posts, attached or waiting)
    with engine.connect() as conn:
        keys = conn.execute(select(posts.c.post_id, posts.c.case_id, posts.c.from_brand)).all()
        n_cases = conn.execute(select(func.count()).select_from(cases)).scalar()
        events = conn.execute(
            select(case_events.c.case_id, case_events.c.type, case_events.c.data)
        ).all()
    assert sorted(k.post_id for k in keys) == sorted(m.post_id for m in mentions)
    customer_posts = [k for k in keys if not k.from_brand]
    assert all(k.case_id is not None for k in customer_posts)
    assert n_cases == len({m.conversation_id for m in mentions if not m.from_brand})
    effects = Counter(
        (e.case_id, e.type, (e.data or {}).get("post_id"))
        for e in events
        if e.type in ("created", "post_added", "replied")
    )
    assert max(effects.values()) == 1

    # the dead letters are exactly the bad inputs: three replay lines and the poison message
    dead = bus.read_all(dlq_topic(TOPIC_RAW))
    lines = sorted(int(r.header("line")) for r in dead if r.header("line"))
    assert lines == sorted(BAD_LINES)
    poisoned = [r for r in dead if r.header("stage") == "classify"]
    assert [r.value for r in poisoned] == [b'{"schema": 1, "text": 42}']
    assert len(dead) == len(BAD_LINES) + 1
