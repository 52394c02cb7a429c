"""The embedded log's retention: `run` prunes by itself, at most every so often."""

from __future__ import annotations

import time
from datetime import timedelta

from socialcare.stream.bus import CONSUMED_TOPICS, TOPIC_EVENTS, OutMessage, offsets_after
from socialcare.stream.embedded import EmbeddedBus
from socialcare.stream.retention import LogRetention


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _write(bus: EmbeddedBus, topic: str, n: int) -> None:
    producer = bus.producer()
    for i in range(n):
        producer.send(OutMessage(topic, f"k{i}", b"v"))
    producer.flush()
    producer.close()


def test_retention_prunes_on_its_first_tick_and_then_once_per_interval(tmp_path):
    bus = EmbeddedBus(tmp_path / "bus.db")
    bus.ensure_topics([*CONSUMED_TOPICS, TOPIC_EVENTS], partitions=1)
    raw = CONSUMED_TOPICS[0]
    _write(bus, raw, 4)
    _write(bus, TOPIC_EVENTS, 3)
    reader = bus.consumer("g", [raw])
    reader.commit(offsets_after(reader.poll(3, 0)))  # the fourth is not read yet
    reader.close()
    time.sleep(0.02)

    clock = _Clock()
    retention = LogRetention(bus, timedelta(milliseconds=10), every_s=60, clock=clock)
    assert retention.tick() == 3 + 3  # the read ones, and the outbound ones by age
    assert [r.offset for r in bus.read_all(raw)] == [3]
    _write(bus, TOPIC_EVENTS, 2)
    time.sleep(0.02)
    clock.now += 59
    assert retention.tick() == 0  # not yet due: nothing looked at
    assert len(bus.read_all(TOPIC_EVENTS)) == 2
    clock.now += 1
    assert retention.tick() == 2
    assert bus.read_all(TOPIC_EVENTS) == []
