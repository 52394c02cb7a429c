"""Two classify workers in one consumer group on a real Kafka-protocol broker never stall: both
join, the group settles, every mention is classified and both exit at idle. `make test` runs a
couple of rounds; `make chaos` runs 20 (SOCIALCARE_CHAOS_KAFKA_ROUNDS). Before the group-join
fix one worker could wait for a partition forever (socialcare/stream/kafka_join_fix.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ingest.sources.demo import DemoSource
from socialcare.stream.broker import start_tansu
from socialcare.stream.bus import (
    PIPELINE_TOPICS,
    TOPIC_CLASSIFIED,
    TOPIC_RAW,
    TOPIC_URGENT,
    OutMessage,
    open_bus,
)
from socialcare.stream.watermarks import is_marker

CLI = [sys.executable, "-m", "socialcare.cli"]
ROUNDS = int(os.environ.get("SOCIALCARE_CHAOS_KAFKA_ROUNDS", "2"))


@pytest.mark.timeout(120 * ROUNDS + 60)
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_workers_in_one_group_settle_and_finish(tmp_path, round_):
    broker = start_tansu(tmp_path / "tansu")
    env = {**os.environ, "SOCIALCARE_KAFKA_SESSION_TIMEOUT_MS": "6000"}
    try:
        bus = open_bus(broker.url)
        bus.ensure_topics(PIPELINE_TOPICS)
        mentions = DemoSource(150, seed=round_).fetch(None, 10**6).mentions
        producer = bus.producer()
        for m in mentions:
            producer.send(OutMessage(TOPIC_RAW, m.conversation_id, m.to_json()))
        producer.flush()
        state = ["--bus", broker.url, "--home", str(tmp_path / "home")]
        workers = [
            subprocess.Popen(
                [*CLI, "classify", "--worker", "--until-idle", "--idle-seconds", "3", *state],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        started = time.monotonic()
        for worker in workers:
            try:
                worker.wait(timeout=90)
            except subprocess.TimeoutExpired:
                for w in workers:
                    w.kill()
                tail = worker.stderr.read()[-2000:] if worker.stderr else ""
                pytest.fail(f"round {round_}: a worker stalled for 90 s:\n{tail}")
            assert worker.returncode == 0
        out = [
            r
            for topic in (TOPIC_CLASSIFIED, TOPIC_URGENT)
            for r in bus.read_all(topic)
            if not is_marker(r)
        ]
        assert {r.key for r in out} == {m.conversation_id.encode() for m in mentions}
        assert time.monotonic() - started < 90
    finally:
        broker.stop()
