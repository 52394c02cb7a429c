"""A test harness: run one stage on a list of messages through the real worker loop (embedded
log, real commits) and get back everything it wrote, dead letters included."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from socialcare.stream.bus import OutMessage, Record
from socialcare.stream.embedded import EmbeddedBus
from socialcare.stream.worker import Stage, Worker


def run_stage(
    stage: Stage, values: list[bytes], workdir: Path, key: str = "k", batch_size: int = 500
) -> dict[str, list[Record]]:
    """Feed `values` to the stage's main (last) input topic, run until idle, return topic →
    records."""
    bus = EmbeddedBus(workdir / "harness-bus.db")
    producer = bus.producer()
    for value in values:
        producer.send(OutMessage(stage.input_topics[-1], key, value))
    producer.flush()
    worker = Worker(stage, bus, batch_size=batch_size, poll_timeout_s=0)
    try:
        while worker.step(0) or worker.lag():
            pass
    finally:
        worker.close()
    out: dict[str, list[Record]] = defaultdict(list)
    for topic in bus.topics():
        if topic not in stage.input_topics:
            out[topic] = bus.read_all(topic)
    bus.close()
    return out
