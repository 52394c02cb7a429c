"""The ingest worker: pull from each source, drop what was ingested before, write the rest to
`mentions.raw` keyed by conversation, dead-letter bad input with its reason, put the source's
watermark behind them on every raw partition, then (only after the bus flush) store the cursor,
the watermark and the ingested keys.

A source that fails (an exception from `fetch`, a bug, a file that is not what it claims) does
not stop the others: the failure is recorded on the source (`ingest --status`, `audit`), the
source rests with backoff, and a finite source that keeps failing counts as done for
`--until-idle`, so `run` ends and `audit` reports it instead of hanging or halting.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from classify.triage import raw_topic
from ingest.sources.base import Fetched, Source
from socialcare.errors import StorageError, as_storage_error
from socialcare.store.ingest_state import IngestState, SourceOutcome
from socialcare.stream.bus import TOPIC_RAW, TOPIC_RAW_URGENT, Bus, OutMessage
from socialcare.stream.deadletter import DeadLetter
from socialcare.stream.watermarks import Watermark, broadcast

log = logging.getLogger(__name__)
MARK_EVERY_S = 1.0  # at most one watermark marker a second per source, and one at its end
MAX_BACKOFF_S = 300.0


@dataclass
class SourceProgress:
    cursor: str | None = None
    loaded: bool = False
    exhausted: bool = False
    mentions: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    next_poll: float = 0.0  # monotonic time before which the source is not polled
    marked: datetime | None = None  # the last watermark put on the bus
    marked_at: float = 0.0
    failures: int = 0  # fetches in a row that raised
    failed: str | None = None  # the last failure, while it lasts


@dataclass
class IngestWorker:
    sources: list[Source]
    bus: Bus
    state: IngestState
    batch_size: int = 500
    progress: dict[str, SourceProgress] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.producer = self.bus.producer()
        self._raw_partitions = {t: self.bus.partitions(t) for t in (TOPIC_RAW_URGENT, TOPIC_RAW)}
        for source in self.sources:
            self.progress[source.name] = SourceProgress()

    @property
    def exhausted(self) -> bool:
        """Every source has said it has nothing more for now (or keeps failing)."""
        return all(p.exhausted for p in self.progress.values())

    def step(self) -> int:
        """One fetch from every source that is not finished. Returns items written."""
        written = 0
        for source in self.sources:
            prog = self.progress[source.name]
            if prog.exhausted and source.finite:
                continue
            written += self._pull(source, prog)
        return written

    def _pull(self, source: Source, prog: SourceProgress) -> int:
        if not prog.loaded:
            prog.cursor, prog.marked = self.state.position(source.name)
            prog.loaded = True
        now = time.monotonic()
        if now < prog.next_poll:
            return 0
        try:
            batch = source.fetch(prog.cursor, self.batch_size)
        except Exception as exc:  # a source's failure must not halt ingest
            if storage := as_storage_error(exc, f"ingest {source.name}"):
                raise storage from exc
            return self._failed(source, prog, exc)
        written = self._write(source, prog, batch)
        prog.failures, prog.failed = 0, None
        return written

    def _write(self, source: Source, prog: SourceProgress, batch: Fetched) -> int:
        keys_in_order: list[tuple[str, str]] = []
        by_key = {}
        for mention in batch.mentions:
            key = (mention.network, mention.post_id)
            if key not in by_key:
                by_key[key] = mention
                keys_in_order.append(key)
        fresh = self.state.unseen(keys_in_order) if keys_in_order else set()
        new_keys = [k for k in keys_in_order if k in fresh]
        for key in new_keys:
            mention = by_key[key]
            topic = raw_topic(mention)  # a possibly critical post skips the backlog
            self.producer.send(
                OutMessage(topic, mention.conversation_id, mention.to_json(), decoded=mention)
            )
        for bad in batch.bad:
            context = {"stage": "ingest", "source": source.name}
            if bad.line is not None:
                context["line"] = str(bad.line)
            self.producer.send(
                DeadLetter(
                    TOPIC_RAW, bad.original, bad.error, "invalid_input", None, context
                ).to_message()
            )
            log.warning("%s line %s: %s", source.name, bad.line, bad.error)
        finished = source.finite and batch.exhausted
        marked = self._mark(source, prog, batch.watermark, finished)
        self.producer.flush()
        self.state.commit(
            source.name,
            batch.cursor,
            new_keys,
            len(batch.bad),
            SourceOutcome(
                error=batch.error,
                rate_limited_until=batch.rate_limited_until,
                watermark=marked,
                networks=",".join(sorted(source.networks)) if source.networks else "*",
                finite=source.finite,
                finished=finished,
            ),
        )
        prog.cursor = batch.cursor
        prog.exhausted = batch.exhausted
        if not source.finite and batch.exhausted:  # an endless source: poll again later
            prog.next_poll = time.monotonic() + source.poll_interval_s
        prog.mentions += len(new_keys)
        prog.duplicates += len(batch.mentions) - len(new_keys)
        prog.dead_letters += len(batch.bad)
        return len(new_keys) + len(batch.bad)

    def _mark(
        self, source: Source, prog: SourceProgress, at: datetime | None, finished: bool
    ) -> datetime | None:
        """Queue a watermark marker behind this batch on every raw partition, when the
        watermark moved on (at most once a second, and always at a finite source's end)."""
        if at is None or (prog.marked is not None and at <= prog.marked):
            return prog.marked
        if not finished and time.monotonic() - prog.marked_at < MARK_EVERY_S:
            return prog.marked
        networks = ",".join(sorted(source.networks)) if source.networks else "*"
        for message in broadcast(Watermark(source.name, at, networks), self._raw_partitions):
            self.producer.send(message)
        prog.marked, prog.marked_at = at, time.monotonic()
        return at

    def _failed(self, source: Source, prog: SourceProgress, exc: Exception) -> int:
        prog.failures += 1
        prog.failed = f"{type(exc).__name__}: {exc}"[:500]
        wait = min(MAX_BACKOFF_S, 2.0 ** min(prog.failures, 16))
        prog.next_poll = time.monotonic() + wait
        if source.finite:  # a file that fails to read fails again: `--until-idle` ends, and
            prog.exhausted = True  # `audit` reports the source as failing until a rerun reads it
        log.error(
            "%s failed (%d in a row), trying again in %.0f s: %s",
            source.name,
            prog.failures,
            wait,
            prog.failed,
            exc_info=prog.failures == 1,
        )
        try:
            self.state.record_failure(source.name, prog.failed, source.finite)
        except StorageError:
            raise
        except Exception as store_exc:  # the failure of the failure report: logged, not fatal
            log.error("could not record the failure of %s: %s", source.name, store_exc)
        return 0

    def close(self) -> None:
        self.producer.close()
        for source in self.sources:
            source.close()
