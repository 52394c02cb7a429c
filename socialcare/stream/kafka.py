"""The kafka transport (kafka-python) for Apache Kafka or any Kafka-protocol broker.

- Producer: idempotent, acks=all; `flush` waits for every send and raises if any failed, so the
  worker never commits input offsets for output that did not land.
- Consumer: one member of a consumer group, auto-commit off. Offsets are committed by the worker
  after the effect is durable; on a rebalance the partitions being revoked get their processed
  offsets committed first (the worker commits after every batch, so normally there is nothing
  left to commit then).
- Topics are created with a configurable partition count (and their `.dlq` twins).

Tunables come from `TransportConfig` (the settings SOCIALCARE_KAFKA_SESSION_TIMEOUT_MS,
SOCIALCARE_KAFKA_REPLICATION, SOCIALCARE_PARTITIONS), so every process of a deployment reads the
same values. A poll never blocks longer than its timeout; a consumer still waiting for its
partitions says so in the log every few seconds.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Mapping

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KTP
from kafka.admin import NewTopic
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError
from kafka.partitioner.default import DefaultPartitioner, murmur2
from kafka.structs import OffsetAndMetadata

from socialcare.errors import ConfigError, TransientError
from socialcare.stream.bus import (
    Bus,
    Consumer,
    OutMessage,
    Producer,
    Record,
    TopicPartition,
    TransportConfig,
    dlq_topic,
)
from socialcare.stream.kafka_append import DirectAppend
from socialcare.stream.kafka_join_fix import apply as _fix_group_join

log = logging.getLogger(__name__)
_fix_group_join()
WAITING_LOG_EVERY_S = 5.0


class KafkaBus(Bus):
    exact_lag = False  # from fetch high watermarks (Tansu answers ListOffsets wrongly)

    def __init__(self, bootstrap: str, config: TransportConfig | None = None) -> None:
        servers = [s.strip() for s in bootstrap.split(",") if s.strip()]
        if not servers or not all(_host_port(s) for s in servers):
            raise ConfigError(f"kafka bus needs kafka://HOST:PORT[,HOST:PORT], not {bootstrap!r}")
        self.bootstrap = servers
        self.config = config or TransportConfig()
        self._partitions: dict[str, int] = {}

    def ensure_topics(self, topics: Iterable[str], partitions: int | None = None) -> None:
        wanted = []
        replication = self.config.kafka_replication
        for topic in topics:
            wanted.append(NewTopic(topic, partitions or self.config.partitions, replication))
            wanted.append(NewTopic(dlq_topic(topic), 1, replication))
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="socialcare-admin")
        try:
            existing = set(admin.list_topics())
            missing = [t for t in wanted if t.name not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):  # another process won
                    admin.create_topics(missing)
        finally:
            admin.close()

    def topics(self) -> list[str]:
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="socialcare-admin")
        try:
            return sorted(admin.list_topics())
        finally:
            admin.close()

    def partitions(self, topic: str) -> int:
        if topic not in self._partitions:
            consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
            try:
                parts = consumer.partitions_for_topic(topic)
                if not parts:
                    consumer.close()
                    self.ensure_topics([topic])
                    consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
                    parts = consumer.partitions_for_topic(topic) or {0}
            finally:
                consumer.close()
            self._partitions[topic] = len(parts)
        return self._partitions[topic]

    def producer(self) -> KafkaBusProducer:
        return KafkaBusProducer(self.bootstrap)

    def consumer(self, group: str, topics: list[str]) -> KafkaBusConsumer:
        return KafkaBusConsumer(self.bootstrap, group, topics, self.config)

    def read_all(self, topic: str, limit: int | None = None) -> list[Record]:
        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            consumer_timeout_ms=1000,
        )
        try:
            parts = consumer.partitions_for_topic(topic) or set()
            tps = [KTP(topic, p) for p in sorted(parts)]
            if not tps:
                return []
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            out: list[Record] = []
            deadline = time.monotonic() + 30
            empty_polls = 0
            while empty_polls < 3 or not _caught_up(consumer, tps):
                if time.monotonic() > deadline:
                    raise TransientError(f"reading {topic}: no end in sight after 30 s")
                got = [r for batch in consumer.poll(timeout_ms=200).values() for r in batch]
                empty_polls = 0 if got else empty_polls + 1
                out.extend(_record(r) for r in got)
                if limit is not None and len(out) >= limit:
                    break
            out.sort(key=lambda r: (r.partition, r.offset))
            return out[:limit] if limit is not None else out
        finally:
            consumer.close()


def _host_port(server: str) -> bool:
    host, _, port = server.rpartition(":")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536


def _caught_up(consumer: KafkaConsumer, tps: list[KTP]) -> bool:
    """Every partition read up to its high watermark, as the last fetch response gave it.
    (ListOffsets is not used: Tansu 0.6 answers it wrongly; fetch high watermarks are right.)"""
    for tp in tps:
        high = consumer.highwater(tp)
        if high is None or consumer.position(tp) < high:
            return False
    return True


def _record(r) -> Record:
    headers = tuple((k, v if v is not None else b"") for k, v in (r.headers or []))
    return Record(r.topic, r.partition, r.offset, r.key, r.value, headers, r.timestamp)


class KeyHashMemo(DefaultPartitioner):
    """kafka-python's default partitioner (murmur2 of the key, as the Java client), with each
    key's hash remembered: kafka-python computes murmur2 in Python, and a router sends several
    events per case with the case id as key (the hash was 6 % of a Kafka router's time). The
    same partitions as the default, so keyed order holds across every producer of a topic."""

    def __init__(self, limit: int = 65_536) -> None:
        self.limit = limit
        self._hashes: dict[bytes, int] = {}

    def key_hash(self, key: bytes) -> int:
        hashed = self._hashes.get(key)
        if hashed is None:
            if len(self._hashes) >= self.limit:
                self._hashes.clear()
            hashed = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return hashed

    def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
        if serialized_key is None:
            return super().partition(topic, key, None, value, serialized_value, cluster)
        hashed = self.key_hash(serialized_key)
        all_partitions = cluster.partitions_for_topic(topic)
        if not all_partitions:
            raise ValueError(f"Topic {topic} not found in ClusterMetadata")
        return sorted(all_partitions)[hashed % len(all_partitions)]


class KafkaBusProducer(Producer):
    def __init__(self, bootstrap: list[str]) -> None:
        partitioner = KeyHashMemo()
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            # `flush` ends every worker batch, so lingering adds no latency: it only spares the
            # sender thread waking for each few records while the batch is being built
            linger_ms=50,
            batch_size=256 * 1024,
            partitioner=partitioner,
            retries=10,
        )
        self._direct = DirectAppend(self._producer, partitioner.key_hash)
        self._futures: list = []

    def send(self, message: OutMessage) -> None:
        key = message.key.encode() if message.key is not None else None
        try:
            if key is not None and not message.headers and message.partition is None:
                future = self._direct.append(message.topic, key, message.value)
                if future is not None:
                    self._futures.append(future)
                    return
            self._futures.append(
                self._producer.send(
                    message.topic,
                    key=key,
                    value=message.value,
                    headers=list(message.headers),
                    partition=message.partition,
                )
            )
        except KafkaError as exc:
            raise TransientError(f"kafka send failed: {exc}") from exc

    def flush(self) -> None:
        futures, self._futures = self._futures, []
        self._direct.forget_partitions()
        try:
            self._producer.flush(timeout=60)
            for future in futures:
                future.get(timeout=0)
        except KafkaError as exc:
            raise TransientError(f"kafka flush failed: {exc}") from exc

    def close(self) -> None:
        self._producer.close(timeout=10)


class _CommitOnRevoke(ConsumerRebalanceListener):
    def __init__(self, owner: KafkaBusConsumer) -> None:
        self.owner = owner

    def on_partitions_revoked(self, revoked):
        pending = {
            tp: off
            for tp, off in self.owner.processed.items()
            if KTP(tp.topic, tp.partition) in set(revoked)
        }
        if pending:
            self.owner.commit(pending)

    def on_partitions_assigned(self, assigned):
        log.info(
            "%s: assigned %s", self.owner.group, sorted((t.topic, t.partition) for t in assigned)
        )


class KafkaBusConsumer(Consumer):
    def __init__(
        self, bootstrap: list[str], group: str, topics: list[str], config: TransportConfig
    ) -> None:
        self.group = group
        self.topics = list(topics)
        session = config.kafka_session_timeout_ms
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=session,
            heartbeat_interval_ms=max(100, session // 3),
            max_poll_interval_ms=max(300_000, session),
        )
        self._consumer.subscribe(self.topics, listener=_CommitOnRevoke(self))
        self.processed: dict[TopicPartition, int] = {}  # delivered, not yet committed
        self._waiting_since = time.monotonic()
        self._waiting_logged = 0.0

    def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        if not self._consumer.assignment():
            self._say_waiting()
        else:
            self._waiting_since = 0.0
        try:
            batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        except KafkaError as exc:
            raise TransientError(f"kafka poll failed: {exc}") from exc
        records = [_record(r) for batch in batches.values() for r in batch]
        records.sort(key=lambda r: (r.topic, r.partition, r.offset))
        return records

    def _say_waiting(self) -> None:
        """A stage that has no partitions yet says so, every few seconds, with how long."""
        now = time.monotonic()
        if not self._waiting_since:
            self._waiting_since = now
        if now - self._waiting_logged >= WAITING_LOG_EVERY_S and now - self._waiting_since >= 1:
            self._waiting_logged = now
            log.info(
                "%s: waiting for partitions of %s (joining the group for %.0f s)",
                self.group,
                ", ".join(self.topics),
                now - self._waiting_since,
            )

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        if not offsets:
            return
        self.processed.update(offsets)
        try:
            self._consumer.commit(
                {
                    KTP(tp.topic, tp.partition): OffsetAndMetadata(off, "", -1)
                    for tp, off in offsets.items()
                }
            )
        except CommitFailedError as exc:
            # the group rebalanced under us: the new owner re-reads; effects are idempotent
            log.warning("%s: commit after rebalance dropped: %s", self.group, exc)
        except KafkaError as exc:
            raise TransientError(f"kafka commit failed: {exc}") from exc
        for tp in offsets:
            self.processed.pop(tp, None)

    def seek_to_committed(self) -> None:
        for tp in self._consumer.assignment():
            committed = self._consumer.committed(tp)
            if committed is None:
                self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, committed)

    def lag(self) -> int:
        """Uncommitted messages on the partitions this member owns, from the high watermarks of
        the last fetch (unknown before the first fetch: counted as 1, so never idle too early).
        Other members' partitions are theirs to report."""
        total = 0
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            if high is None:
                total += 1
                continue
            committed = self._consumer.committed(tp) or 0
            total += max(0, high - committed)
        if not self._consumer.assignment():
            return 1  # not yet in the group: nothing is known
        return total

    def close(self) -> None:
        self._consumer.close(autocommit=False)
