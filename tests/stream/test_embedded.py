"""The embedded log keeps Kafka's semantics: keyed partitions, ordered offsets, consumer groups
sharing partitions, committed offsets that survive a restart, and fencing of stale members."""

from __future__ import annotations

import pytest

from socialcare.stream.bus import (
    OutMessage,
    TopicPartition,
    TransportConfig,
    offsets_after,
    open_bus,
    partition_for,
)
from socialcare.stream.embedded import EmbeddedBus


def _send(bus: EmbeddedBus, topic: str, items: list[tuple[str, str]]) -> None:
    producer = bus.producer()
    for key, value in items:
        producer.send(OutMessage(topic, key, value.encode()))
    producer.flush()
    producer.close()


def _drain(consumer, commit: bool = True) -> list:
    got = []
    while batch := consumer.poll(100, 0):
        got.extend(batch)
        if commit:
            consumer.commit(offsets_after(batch))
    return got


def test_one_key_keeps_order_on_one_partition(tmp_path):
    bus = EmbeddedBus(tmp_path / "bus.db")
    bus.ensure_topics(["t"], partitions=4)
    _send(bus, "t", [(f"conv{i % 5}", f"{i}") for i in range(100)])
    records = _drain(bus.consumer("g", ["t"]))
    assert len(records) == 100
    by_key: dict[bytes, list[int]] = {}
    for r in records:
        assert r.partition == partition_for(r.key, 4)
        by_key.setdefault(r.key, []).append(int(r.value))
    for values in by_key.values():
        assert values == sorted(values)


def test_committed_offsets_survive_reopen_and_uncommitted_are_redelivered(tmp_path):
    path = tmp_path / "bus.db"
    bus = EmbeddedBus(path)
    _send(bus, "t", [("k", str(i)) for i in range(10)])
    first = bus.consumer("g", ["t"])
    batch = first.poll(4, 0)
    first.commit(offsets_after(batch))
    first.poll(100, 0)  # read but never committed: a crash here
    first.close()
    again = EmbeddedBus(path).consumer("g", ["t"])
    rest = _drain(again)
    assert [int(r.value) for r in rest] == list(range(4, 10))
    assert again.lag() == 0


def test_groups_are_independent(tmp_path):
    bus = EmbeddedBus(tmp_path / "bus.db")
    _send(bus, "t", [("k", "a"), ("k", "b")])
    assert len(_drain(bus.consumer("g1", ["t"]))) == 2
    assert len(_drain(bus.consumer("g2", ["t"]))) == 2


def test_two_members_share_partitions_without_overlap(tmp_path):
    bus = EmbeddedBus(tmp_path / "bus.db")
    bus.ensure_topics(["t"], partitions=4)
    a = bus.consumer("g", ["t"])
    a.poll(1, 0)
    assert len(a.assignment) == 4
    b = bus.consumer("g", ["t"])
    b.poll(1, 0)  # joins; a still holds everything, so b waits
    a._rebalance(force=True)  # a sees two members and gives back its excess
    b._rebalance(force=True)
    assert len(a.assignment) == 2 and len(b.assignment) == 2
    assert not set(a.assignment) & set(b.assignment)
    _send(bus, "t", [(f"k{i}", str(i)) for i in range(40)])
    got = _drain(a) + _drain(b)
    assert sorted(int(r.value) for r in got) == list(range(40))


def test_dead_member_partitions_move_and_stale_commits_are_fenced(tmp_path):
    bus = EmbeddedBus(tmp_path / "bus.db", TransportConfig(embedded_session_ms=50))
    bus.ensure_topics(["t"], partitions=1)
    _send(bus, "t", [("k", str(i)) for i in range(5)])
    dead = bus.consumer("g", ["t"])
    batch = dead.poll(5, 0)
    assert len(batch) == 5  # then it hangs: no heartbeat, no commit
    import time

    time.sleep(0.1)
    alive = bus.consumer("g", ["t"])
    again = alive.poll(5, 0)
    assert [r.value for r in again] == [r.value for r in batch]  # redelivered, nothing lost
    alive.commit(offsets_after(again))
    dead.commit({TopicPartition("t", 0): 1})  # the stale member wakes up: fenced
    assert alive.lag() == 0


def test_seek_to_committed_rewinds_a_failed_batch(tmp_path):
    bus = EmbeddedBus(tmp_path / "bus.db")
    _send(bus, "t", [("k", "a"), ("k", "b")])
    c = bus.consumer("g", ["t"])
    assert len(c.poll(10, 0)) == 2
    assert c.poll(10, 0) == []
    c.seek_to_committed()
    assert len(c.poll(10, 0)) == 2


def test_headers_and_binary_values_round_trip(tmp_path):
    bus = EmbeddedBus(tmp_path / "bus.db")
    producer = bus.producer()
    producer.send(OutMessage("t", None, b"\xff\x00raw", [("error", "bad ✓".encode())]))
    producer.flush()
    (rec,) = bus.read_all("t")
    assert rec.value == b"\xff\x00raw"
    assert rec.header("error") == "bad ✓"


def test_open_bus_rejects_unknown_urls(tmp_path):
    with pytest.raises(ValueError, match="unknown bus URL"):
        open_bus("redis://x")
    assert isinstance(open_bus(f"embedded://{tmp_path / 'b.db'}"), EmbeddedBus)


def test_prune_deletes_only_what_every_reader_has_committed_past(tmp_path):
    import time

    bus = EmbeddedBus(tmp_path / "bus.db")
    bus.ensure_topics(["in", "out", "in.dlq", "idle"], partitions=1)
    _send(bus, "in", [("k", str(i)) for i in range(10)])
    for topic in ("out", "in.dlq", "idle"):
        _send(bus, topic, [("k", str(i)) for i in range(3)])
    reader = bus.consumer("g", ["in"])
    batch = reader.poll(6, 0)
    reader.commit(offsets_after(batch))  # 0..5 done, 6..9 not yet
    slow = bus.consumer("slow", ["in"])
    slow.commit(offsets_after(slow.poll(8, 0)))  # a second group, further on: the first binds
    reader.close()
    slow.close()

    long_ago = int(time.time() * 1000) - 60_000
    assert bus.prune(long_ago, ["in", "idle"], ["out"]) == 0  # nothing is that old
    now = int(time.time() * 1000) + 1
    assert bus.prune(now, ["in", "idle"], ["out"], chunk=2) == 6 + 3  # in chunks of two
    assert [int(r.value) for r in bus.read_all("in")] == [6, 7, 8, 9]  # not consumed yet: kept
    assert bus.read_all("out") == []  # outbound: by age alone
    assert len(bus.read_all("idle")) == 3  # no group has read it: kept
    assert len(bus.read_all("in.dlq")) == 3  # not named: kept

    _send(bus, "in", [("k", "10")])
    assert [r.offset for r in bus.read_all("in")] == [6, 7, 8, 9, 10]  # offsets go on
    again = bus.consumer("g", ["in"])
    assert [int(r.value) for r in _drain(again)] == [6, 7, 8, 9, 10]
    fresh = bus.consumer("new", ["in"])  # from the earliest kept, across the gap
    assert [r.offset for r in _drain(fresh)] == [6, 7, 8, 9, 10]


def test_prune_deletes_a_prefix_of_each_partition_up_to_its_first_young_message(tmp_path):
    import time

    bus = EmbeddedBus(tmp_path / "bus.db")
    bus.ensure_topics(["out"], partitions=1)
    _send(bus, "out", [("k", str(i)) for i in range(5)])
    time.sleep(0.02)
    cutoff = int(time.time() * 1000)
    time.sleep(0.02)
    _send(bus, "out", [("k", str(i)) for i in range(5, 8)])
    assert bus.prune(cutoff, [], ["out"], chunk=3) == 5  # 3 + 2, and the third chunk is young
    assert [r.offset for r in bus.read_all("out")] == [5, 6, 7]
    assert bus.prune(cutoff, [], ["out"], chunk=3) == 0
