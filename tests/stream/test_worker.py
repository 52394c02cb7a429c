"""The worker loop: poison records are isolated into the dead-letter topic with the reason,
transient failures retry without dead-lettering or committing."""

from __future__ import annotations

from typing import ClassVar

from socialcare.stream.bus import OutMessage, Record, TransportConfig
from socialcare.stream.embedded import EmbeddedBus
from socialcare.stream.testing import run_stage
from socialcare.stream.worker import Stage, StageOutput, TransientError, Worker


class Upper(Stage):
    name = "upper"
    input_topics: ClassVar[list[str]] = ["in"]

    def process(self, records: list[Record]) -> StageOutput:
        out = StageOutput()
        for r in records:
            if r.value == b"poison":
                raise ValueError("cannot upper-case poison")
            out.messages.append(OutMessage("out", "k", r.value.upper()))
        return out


def test_poison_record_goes_to_dlq_and_the_rest_is_processed(tmp_path):
    written = run_stage(Upper(), [b"a", b"poison", b"b"], tmp_path)
    assert [r.value for r in written["out"]] == [b"A", b"B"]
    (dead,) = written["in.dlq"]
    assert dead.value == b"poison"
    assert dead.header("error") == "cannot upper-case poison"
    assert dead.header("error_type") == "ValueError"
    assert dead.header("source_topic") == "in"
    assert dead.header("stage") == "upper"


class Flaky(Upper):
    name = "flaky"

    def __init__(self) -> None:
        self.failures = 2

    def process(self, records):
        if self.failures:
            self.failures -= 1
            raise TransientError("database down")
        return super().process(records)


def test_transient_failure_retries_without_loss_or_dead_letters(tmp_path):
    bus = EmbeddedBus(tmp_path / "bus.db")
    p = bus.producer()
    for v in (b"x", b"y"):
        p.send(OutMessage("in", "k", v))
    p.flush()
    stage = Flaky()
    worker = Worker(stage, bus, poll_timeout_s=0, max_backoff_s=0.01)
    for _ in range(5):
        worker.step(0)
    assert worker.stats.retries == 2
    assert [r.value for r in bus.read_all("out")] == [b"X", b"Y"]
    assert bus.read_all("in.dlq") == []
    assert worker.lag() == 0


def test_progress_counts_the_records_handled_not_the_watermark_markers(tmp_path):
    from datetime import UTC, datetime

    from socialcare.stream.watermarks import Watermark

    bus = EmbeddedBus(tmp_path / "bus.db", TransportConfig(partitions=1))
    p = bus.producer()
    mark = Watermark("demo", datetime(2026, 12, 3, tzinfo=UTC))
    for value in (b"a", b"b"):
        p.send(OutMessage("in", "k", value))
        p.send(mark.message("in", 0))
    p.send(OutMessage("in", "k", b"poison"))
    p.flush()
    worker = Worker(Upper(), bus, poll_timeout_s=0)
    while worker.step(0):
        pass
    # the poison record was handled (dead-lettered) and counts; the two markers do not
    assert (worker.stats.processed, worker.stats.markers, worker.stats.dead_letters) == (3, 2, 1)


def test_a_consumer_in_the_same_process_takes_the_object_once(tmp_path):
    """EmbeddedBus.share_decoded: the record carries the object its bytes came from, once;
    a re-read after a failed batch, or a bus that does not share, parses the bytes."""
    bus = EmbeddedBus(tmp_path / "bus.db", TransportConfig(partitions=1))
    bus.share_decoded()
    p, c = bus.producer(), bus.consumer("g", ["in"])
    obj = {"decoded": True}
    p.send(OutMessage("in", "k", b"{}", decoded=obj))
    p.send(OutMessage("in", "k", b"{}"))
    p.flush()
    first = c.poll(10, 0)
    assert [r.decoded for r in first] == [obj, None]
    c.seek_to_committed()
    assert [r.decoded for r in c.poll(10, 0)] == [None, None]
    other = EmbeddedBus(tmp_path / "bus.db").consumer("h", ["in"])
    assert [r.decoded for r in other.poll(10, 0)] == [None, None]


class Lanes(Stage):
    name = "lanes"
    input_topics: ClassVar[list[str]] = ["first", "second"]

    def __init__(self) -> None:
        self.batches: list[list[bytes]] = []

    def process(self, records: list[Record]) -> StageOutput:
        self.batches.append([r.value for r in records])
        return StageOutput()


def test_a_short_priority_lane_is_topped_up_from_the_next_lane_and_both_commit(tmp_path):
    """A few priority records (urgent mentions, watermark markers) no longer make a batch of
    their own: they come first, the main lane fills the rest, and each lane commits its part."""
    bus = EmbeddedBus(tmp_path / "bus.db")
    p = bus.producer()
    for i in range(2):
        p.send(OutMessage("first", "k", b"p%d" % i))
    for i in range(6):
        p.send(OutMessage("second", "k", b"m%d" % i))
    p.flush()
    stage = Lanes()
    worker = Worker(stage, bus, batch_size=5, poll_timeout_s=0)
    assert worker.step(0) == 5
    assert stage.batches == [[b"p0", b"p1", b"m0", b"m1", b"m2"]]
    assert worker.step(0) == 3 and stage.batches[1] == [b"m3", b"m4", b"m5"]
    assert worker.step(0) == 0 and worker.lag() == 0
    restarted = Worker(Lanes(), bus, batch_size=5, poll_timeout_s=0)
    assert restarted.step(0) == 0  # both lanes' offsets were committed
