"""The ingest worker: pull from each source, drop what was ingested before, write the rest to
`mentions.raw` keyed by conversation, dead-letter bad input with its reason, then (only after
the bus flush) store the cursor and the ingested keys."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from classify.triage import raw_topic
from ingest.sources.base import Source
from socialcare.store.ingest_state import IngestState
from socialcare.stream.bus import TOPIC_RAW, Bus, OutMessage
from socialcare.stream.deadletter import DeadLetter

log = logging.getLogger(__name__)


@dataclass
class SourceProgress:
    cursor: str | None = None
    loaded: bool = False
    exhausted: bool = False
    mentions: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    next_poll: float = 0.0  # monotonic time before which an endless source is not polled


@dataclass
class IngestWorker:
    sources: list[Source]
    bus: Bus
    state: IngestState
    batch_size: int = 500
    progress: dict[str, SourceProgress] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.producer = self.bus.producer()
        for source in self.sources:
            self.progress[source.name] = SourceProgress()

    @property
    def exhausted(self) -> bool:
        """Every source has said it has nothing more for now."""
        return all(p.exhausted for p in self.progress.values())

    def step(self) -> int:
        """One fetch from every source that is not finished. Returns mentions written."""
        written = 0
        for source in self.sources:
            prog = self.progress[source.name]
            if prog.exhausted and source.finite:
                continue
            written += self._pull(source, prog)
        return written

    def _pull(self, source: Source, prog: SourceProgress) -> int:
        if not prog.loaded:
            prog.cursor = self.state.cursor(source.name)
            prog.loaded = True
        now = time.monotonic()
        if now < prog.next_poll:
            return 0
        batch = source.fetch(prog.cursor, self.batch_size)
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
            self.producer.send(OutMessage(topic, mention.conversation_id, mention.to_json()))
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
        self.producer.flush()
        self.state.commit(
            source.name,
            batch.cursor,
            new_keys,
            len(batch.bad),
            batch.error,
            batch.rate_limited_until,
        )
        prog.cursor = batch.cursor
        prog.exhausted = batch.exhausted
        if not source.finite and batch.exhausted:  # an endless source: poll again later
            prog.next_poll = now + source.poll_interval_s
        prog.mentions += len(new_keys)
        prog.duplicates += len(batch.mentions) - len(new_keys)
        prog.dead_letters += len(batch.bad)
        return len(new_keys) + len(batch.bad)

    def close(self) -> None:
        self.producer.close()
        for source in self.sources:
            source.close()
