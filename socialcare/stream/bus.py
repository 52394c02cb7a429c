"""The transport interface every backend implements, and `open_bus` to pick one by URL.

Semantics (both backends): topics have a fixed number of partitions; a message's partition is
chosen from its key, so one conversation stays on one partition, in order; consumers in one group
share the partitions and commit the offset of the next message to read, per partition. Delivery is
at-least-once: a consumer that dies before committing reads the same messages again.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from socialcare.errors import ConfigError

TOPIC_RAW = "mentions.raw"
TOPIC_RAW_URGENT = "mentions.raw.urgent"  # triaged at ingest as possibly critical: classify's lane
TOPIC_CLASSIFIED = "mentions.classified"
TOPIC_URGENT = "mentions.urgent"  # classified as critical: the router's priority lane
TOPIC_EVENTS = "care.events"
# the topics the pipeline's own stages read (`care.events` is for readers outside it)
CONSUMED_TOPICS = (TOPIC_RAW_URGENT, TOPIC_RAW, TOPIC_URGENT, TOPIC_CLASSIFIED)
PIPELINE_TOPICS = (*CONSUMED_TOPICS, TOPIC_EVENTS)


@dataclass(frozen=True)
class TransportConfig:
    """What a transport needs to know besides its URL (from `socialcare.settings.Settings`)."""

    partitions: int = 4  # of each new topic; `.dlq` topics get one
    kafka_session_timeout_ms: int = 10_000
    kafka_replication: int = 1
    embedded_session_ms: int = 6000


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


@dataclass(frozen=True, slots=True, order=True)
class TopicPartition:
    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp_ms: int = 0
    #: the object `value` was encoded from, when the process that wrote the message handed it
    #: over (EmbeddedBus.share_decoded); else None and a stage parses `value`
    decoded: object = field(default=None, compare=False)

    @property
    def tp(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", "replace")
        return None


@dataclass(slots=True)
class OutMessage:
    topic: str
    key: str | None
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    partition: int | None = None  # None: chosen from the key (control messages name one)
    #: the object `value` is the encoding of, for a consumer in this process (optional)
    decoded: object = None


def partition_for(key: bytes | None, partitions: int) -> int:
    """Stable key → partition mapping (a keyless message goes to partition 0)."""
    if key is None:
        return 0
    return zlib.crc32(key) % partitions


class Producer(ABC):
    @abstractmethod
    def send(self, message: OutMessage) -> None:
        """Queue a message; it is durable only after `flush` returns."""

    @abstractmethod
    def flush(self) -> None:
        """Block until every queued message is durably written, or raise."""

    def close(self) -> None:  # pragma: no cover - optional
        """Release resources."""


class Consumer(ABC):
    @abstractmethod
    def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        """Return up to max_records from the partitions this member owns, in offset order."""

    @abstractmethod
    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Record, per partition, the offset of the next message to read."""

    @abstractmethod
    def seek_to_committed(self) -> None:
        """Rewind every owned partition to its committed offset (after a failed batch)."""

    @abstractmethod
    def lag(self) -> int:
        """Messages in this group's topics not yet committed, over all partitions."""

    def close(self) -> None:  # pragma: no cover - optional
        """Leave the group and release resources."""


class Bus(ABC):
    """A connection to one transport; makes producers and consumers."""

    config: TransportConfig
    #: whether a consumer's `lag()` is exact at any moment (the embedded log reads it from the
    #: log); Kafka's comes from the high watermark of the last fetch, so it is exact only once a
    #: fetch has come back since the last write: callers then wait a moment before trusting 0
    exact_lag = True

    @abstractmethod
    def ensure_topics(self, topics: Iterable[str], partitions: int | None = None) -> None:
        """Create missing topics (idempotent), with `partitions` or the configured count."""

    @abstractmethod
    def topics(self) -> list[str]:
        """The names of the topics that exist."""

    @abstractmethod
    def partitions(self, topic: str) -> int:
        """How many partitions a topic has (creating it if missing)."""

    @abstractmethod
    def producer(self) -> Producer: ...

    @abstractmethod
    def consumer(self, group: str, topics: list[str]) -> Consumer: ...

    def share_decoded(self) -> None:
        """Let consumers of this process take the objects its producers encoded, instead of
        parsing the bytes again (a backend that can: socialcare/stream/embedded.py). Called
        by the all-in-one pipeline; the log carries the bytes either way."""

    def checkpoint_in_background(self) -> None:
        """For a process that writes much of the log: a backend that keeps it in a SQLite file
        (socialcare/stream/embedded.py) copies the file's write-ahead log back by a thread, not
        in the batch that commits (socialcare/stream/wal.py). Kafka's broker does its own."""

    def group_lag(self, group: str, topics: list[str]) -> int | None:
        """A group's uncommitted messages, read without joining it; None where the backend
        cannot tell from outside the group."""
        return None

    @abstractmethod
    def read_all(self, topic: str, limit: int | None = None) -> list[Record]:
        """Every stored message of a topic, for tools (dead-letter listing, audits)."""

    def close(self) -> None:  # pragma: no cover - optional
        """Release resources."""


def open_bus(url: str, config: TransportConfig | None = None) -> Bus:
    """`embedded:///path/to/bus.db` (default) or `kafka://host:port[,host:port]`."""
    config = config or TransportConfig()
    if url.startswith("embedded://"):
        from socialcare.stream.embedded import EmbeddedBus

        return EmbeddedBus(url.removeprefix("embedded://"), config)
    if url.startswith("kafka://"):
        from socialcare.stream.kafka import KafkaBus

        return KafkaBus(url.removeprefix("kafka://").rstrip("/"), config)
    raise ConfigError(f"unknown bus URL {url!r}: expected embedded:///PATH or kafka://HOST:PORT")


def offsets_after(records: Iterable[Record]) -> dict[TopicPartition, int]:
    """Per partition, the offset to commit after processing `records`: last offset + 1."""
    out: dict[TopicPartition, int] = {}
    for rec in records:
        nxt = rec.offset + 1
        if out.get(rec.tp, -1) < nxt:
            out[rec.tp] = nxt
    return out
