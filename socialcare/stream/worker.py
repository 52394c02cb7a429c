"""The one worker loop every consuming stage runs in.

Checkpoint order, the only place it is written down:

1. poll a batch from the input topics;
2. the stage does its job and makes its effect durable (the router commits its case-store
   transaction inside `Stage.process`);
3. the worker sends the stage's output messages and dead letters, then flushes the producer;
4. only then are the input offsets committed.

A crash anywhere before 4 re-delivers the batch; every effect is keyed (network + post id), so the
replay changes nothing. A message that fails on its own goes to `<topic>.dlq` with the error and
the worker moves on; a `TransientError` (database down, broker unreachable) rewinds the batch and
backs off instead, so nothing is dead-lettered for a fault that is not the message's.

`run_loop` is the one loop every long-running shape uses: a stage worker, the ingest worker and
the all-in-one pipeline call it with their own `step` and idleness test.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from socialcare.errors import StorageError, TransientError, as_storage_error
from socialcare.stream.bus import Bus, Consumer, OutMessage, Record, offsets_after
from socialcare.stream.deadletter import DeadLetter
from socialcare.stream.watermarks import is_marker

log = logging.getLogger(__name__)


def settle_heap() -> None:
    """For a long-running stage process, once set up: what is loaded by then (lexicons, models,
    rules, libraries) leaves the garbage collector's view, and young collections run every
    50,000 allocations instead of 700. Measured with `make bench`: without this, full
    collections over a large heap paused a worker for hundreds of milliseconds, which was most
    of the latency tail at 1,000 mentions/s (p99 0.78 s → 0.17 s in a 60 s run)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)


__all__ = ["Stage", "StageOutput", "TransientError", "Worker", "run_loop", "settle_heap"]


def run_loop(
    step: Callable[[], int],
    stop: threading.Event,
    idle: Callable[[], bool] | None = None,
    pause_s: float = 0.05,
    on_progress: Callable[[], None] | None = None,
    report_every_s: float = 5.0,
) -> None:
    """Call `step` until `stop` is set; with `idle`, also stop once a step did nothing and
    `idle()` says everything is done. Rests `pause_s` after a step that did nothing, and calls
    `on_progress` every `report_every_s` and once at the end."""
    settle_heap()
    last_report = time.monotonic()
    while not stop.is_set():
        did = step()
        if on_progress is not None and time.monotonic() - last_report >= report_every_s:
            on_progress()
            last_report = time.monotonic()
        if did:
            continue
        if idle is not None and idle():
            break
        stop.wait(pause_s)
    if on_progress is not None:
        on_progress()


@dataclass(slots=True)
class StageOutput:
    messages: list[OutMessage] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)

    def extend(self, other: StageOutput) -> None:
        self.messages.extend(other.messages)
        self.dead.extend(other.dead)


class Stage(ABC):
    """One job: records in, durable effect and/or output messages out."""

    name: str
    #: in priority order: the worker always drains an earlier topic before reading a later one
    input_topics: list[str]

    @classmethod
    def group_for(cls, topic: str) -> str:
        """The consumer group of one input topic: the stage's name for its main (last) topic,
        `name:topic` for a priority lane before it."""
        return cls.name if topic == cls.input_topics[-1] else f"{cls.name}:{topic}"

    @classmethod
    def groups(cls) -> list[tuple[str, str]]:
        """(consumer group, topic) of every input lane, in priority order."""
        return [(cls.group_for(t), t) for t in cls.input_topics]

    def bind(self, bus: Bus) -> None:
        """Called once by the worker before the first batch, with the bus it reads (a stage
        that fans markers out needs the partition counts)."""

    @abstractmethod
    def process(self, records: list[Record]) -> StageOutput:
        """Handle a batch. Raise TransientError to retry it; any other exception isolates the
        failing records, which go to the dead-letter topic."""


@dataclass
class WorkerStats:
    processed: int = 0  # the records a stage handled, watermark markers not counted
    markers: int = 0  # watermark markers passed on (socialcare/stream/watermarks.py)
    dead_letters: int = 0
    retries: int = 0


class Worker:
    def __init__(
        self,
        stage: Stage,
        bus: Bus,
        batch_size: int = 500,
        poll_timeout_s: float = 0.1,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.stage = stage
        self.bus = bus
        self.batch_size = batch_size
        self.poll_timeout_s = poll_timeout_s
        self.max_backoff_s = max_backoff_s
        stage.bind(bus)
        # one consumer per input topic, highest priority first
        self.lanes = [bus.consumer(stage.group_for(t), [t]) for t in stage.input_topics]
        self.producer = bus.producer()
        self.stats = WorkerStats()
        self._backoff = 0.0
        self._last_work = time.monotonic()

    def step(self, timeout_s: float | None = None) -> int:
        """One poll → process → flush → commit cycle. Returns how many records it handled.
        Priority lanes are polled first, without waiting; only the main topic waits."""
        taken = self._poll(self.poll_timeout_s if timeout_s is None else timeout_s)
        if not taken:
            return 0
        records = [r for _lane, got in taken for r in got]
        try:
            output = self._process(records)
            for message in output.messages:
                self.producer.send(message)
            for dead in output.dead:
                self.producer.send(dead.to_message())
            self.producer.flush()
            for lane, got in taken:  # a crash between two commits re-delivers the later lane
                lane.commit(offsets_after(got))
        except TransientError as exc:
            self._retry_later(exc)
            return 0
        except StorageError:
            raise
        except Exception as exc:  # a failed flush or commit: the batch is redelivered on restart
            if storage := as_storage_error(exc, self.stage.name):
                raise storage from exc
            raise
        self._backoff = 0.0
        self._last_work = time.monotonic()
        # progress counts mentions: the markers every ingest batch fans out to each partition
        # outnumbered them many times over once a live source was quiet
        markers = sum(1 for r in records if r.headers and is_marker(r))
        self.stats.processed += len(records) - markers
        self.stats.markers += markers
        self.stats.dead_letters += len(output.dead)
        return len(records)

    def _poll(self, timeout_s: float) -> list[tuple[Consumer, list[Record]]]:
        """The batch: everything the priority lanes hold (up to the batch size), then the rest
        from the next lanes, so the few priority records after every ingest batch (urgent
        mentions, watermark markers) do not cut batches short. Each lane's records stay in
        their order and come after every record of a higher lane: the batch is processed as
        the same records would be in one batch per lane, one after the other."""
        taken: list[tuple[Consumer, list[Record]]] = []
        room = self.batch_size
        for lane in self.lanes:
            wait = timeout_s if lane is self.lanes[-1] and not taken else 0
            got = lane.poll(room, wait)
            if not got:
                continue
            taken.append((lane, got))
            room -= len(got)
            if room <= 0:
                break
        return taken

    def _retry_later(self, exc: BaseException) -> None:
        self.stats.retries += 1
        self._backoff = min(self.max_backoff_s, max(0.1, self._backoff * 2))
        log.warning(
            "%s: transient failure, retrying in %.1fs: %s", self.stage.name, self._backoff, exc
        )
        self.producer = self.bus.producer()  # drop anything queued for the failed batch
        for lane in self.lanes:
            lane.seek_to_committed()
        time.sleep(self._backoff)

    def _process(self, records: list[Record]) -> StageOutput:
        try:
            return self.stage.process(records)
        except (TransientError, StorageError):
            raise
        except Exception as exc:
            if storage := as_storage_error(exc, self.stage.name):
                raise storage from exc
            if len(records) == 1:
                log.warning(
                    "%s: dead-lettering %s@%s: %s",
                    self.stage.name,
                    records[0].topic,
                    records[0].offset,
                    exc,
                )
                return StageOutput(dead=[DeadLetter.from_record(records[0], exc, self.stage.name)])
            merged = StageOutput()  # isolate the poison record: retry one by one
            for record in records:
                merged.extend(self._process([record]))
            return merged

    def lag(self) -> int:
        return sum(lane.lag() for lane in self.lanes)

    def idle_for(self, idle_s: float) -> bool:
        """Nothing came for `idle_s` seconds and no message is left uncommitted."""
        return time.monotonic() - self._last_work >= idle_s and self.lag() == 0

    def run(self, stop: threading.Event, until_idle: bool = False, idle_s: float = 2.0) -> None:
        """Loop until `stop` is set (or, with until_idle, once nothing came for idle_s seconds
        and no message is left uncommitted)."""
        run_loop(
            self.step, stop, (lambda: self.idle_for(idle_s)) if until_idle else None, pause_s=0
        )

    def close(self) -> None:
        for lane in self.lanes:
            lane.close()
        self.producer.close()
