"""The embedded transport: a durable log in one SQLite file, with Kafka's semantics.

Topics with partitions, per-partition offsets, consumer groups whose members share partitions
through leases that expire (so a killed worker's partitions pass to a live one), and committed
offsets per group. Several processes can share one file: SQLite's WAL mode lets readers run
beside one writer, and every write is a short IMMEDIATE transaction.

It uses the standard library's sqlite3 rather than SQLAlchemy: this is a log, not the case
store, and the hot path is a handful of fixed statements.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from socialcare.stream.bus import (
    Bus,
    Consumer,
    OutMessage,
    Producer,
    Record,
    TopicPartition,
    TransportConfig,
    partition_for,
)
from socialcare.stream.sqlite_files import prepare
from socialcare.stream.wal import BackgroundCheckpoints, backstop

PRUNE_CHUNK = 5_000  # messages deleted per transaction by a prune

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics(name TEXT PRIMARY KEY, partitions INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_end(
  topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY(topic, partition));
CREATE TABLE IF NOT EXISTS messages(
  topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
  key BLOB, value BLOB NOT NULL, headers TEXT, ts_ms INTEGER NOT NULL,
  PRIMARY KEY(topic, partition, offset)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets(
  grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY(grp, topic, partition));
CREATE TABLE IF NOT EXISTS members(
  grp TEXT NOT NULL, member TEXT NOT NULL, expires_ms INTEGER NOT NULL, PRIMARY KEY(grp, member));
CREATE TABLE IF NOT EXISTS leases(
  grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
  member TEXT NOT NULL, expires_ms INTEGER NOT NULL, PRIMARY KEY(grp, topic, partition));
"""


def _now_ms() -> int:
    return int(time.time() * 1000)


def _connect(path: str, checkpoints: BackgroundCheckpoints | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    prepare(conn)  # as the case store's: WAL, synchronous=FULL (a flushed message survives power
    # loss too), 16 kB pages (socialcare/stream/sqlite_files.py)
    if checkpoints is not None:  # this process copies the log back by a thread
        backstop(conn)
    return conn


class _Tx:
    """`with _Tx(conn):` runs a BEGIN IMMEDIATE … COMMIT, rolling back on error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def _encode_headers(headers: Iterable[tuple[str, bytes]]) -> str | None:
    items = [[k, v.decode("latin-1")] for k, v in headers]
    return json.dumps(items) if items else None


def _decode_headers(text: str | None) -> tuple[tuple[str, bytes], ...]:
    if not text:
        return ()
    return tuple((k, v.encode("latin-1")) for k, v in json.loads(text))


class Handoff:
    """Decoded messages passed from a producer to a consumer of the same process: the all-in-one
    pipeline writes every message to the log as bytes, as always, and its next stage takes the
    object those bytes were encoded from instead of parsing them again. Keyed by (topic,
    partition, offset), so a consumer gets exactly the object of the record it read; taken once
    (a re-read after a failed batch, or another process, parses the bytes). Bounded: past
    `limit` waiting objects it forgets them all, which costs only the parse it would have saved."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._waiting: dict[tuple[str, int, int], object] = {}
        self.taken = 0  # objects a consumer took instead of parsing

    def put(self, topic: str, partition: int, offset: int, decoded: object) -> None:
        if len(self._waiting) >= self.limit:
            self._waiting.clear()
        self._waiting[(topic, partition, offset)] = decoded

    def take(self, topic: str, partition: int, offset: int) -> object:
        found = self._waiting.pop((topic, partition, offset), None)
        if found is not None:
            self.taken += 1
        return found


class EmbeddedBus(Bus):
    def __init__(self, path: str | os.PathLike[str], config: TransportConfig | None = None) -> None:
        self.path = str(path)
        self.config = config or TransportConfig()
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = _connect(self.path)
        self._conn.executescript(_SCHEMA)
        self.handoff: Handoff | None = None
        self.checkpoints: BackgroundCheckpoints | None = None

    def checkpoint_in_background(self) -> None:
        """Producers and consumers made from now on leave checkpoints to a thread."""
        if self.checkpoints is None:
            self.checkpoints = BackgroundCheckpoints(self.path)

    def share_decoded(self) -> None:
        """Producers and consumers made from now on pass decoded messages in this process
        (`Handoff`). Only for a process that consumes what it produces (the all-in-one
        pipeline); a producer whose messages nobody here reads would fill it for nothing."""
        self.handoff = Handoff()

    def ensure_topics(self, topics: Iterable[str], partitions: int | None = None) -> None:
        with _Tx(self._conn) as c:
            for topic in topics:
                _create_topic(c, topic, partitions or self.config.partitions)

    def topics(self) -> list[str]:
        return [name for (name,) in self._conn.execute("SELECT name FROM topics ORDER BY name")]

    def partitions(self, topic: str) -> int:
        with _Tx(self._conn) as c:
            return _create_topic(c, topic, _default_partitions(topic, self.config))

    def producer(self) -> EmbeddedProducer:
        return EmbeddedProducer(self.path, self.config, self.handoff, self.checkpoints)

    def consumer(self, group: str, topics: list[str]) -> EmbeddedConsumer:
        return EmbeddedConsumer(
            self.path, group, topics, self.config, self.handoff, self.checkpoints
        )

    def group_lag(self, group: str, topics: list[str]) -> int | None:
        consumer = EmbeddedConsumer(self.path, group, topics, self.config)  # lag() only reads
        try:
            return consumer.lag()
        finally:
            consumer._conn.close()

    def read_all(self, topic: str, limit: int | None = None) -> list[Record]:
        rows = self._conn.execute(
            "SELECT topic, partition, offset, key, value, headers, ts_ms FROM messages "
            "WHERE topic=? ORDER BY partition, offset LIMIT ?",
            (topic, -1 if limit is None else limit),
        ).fetchall()
        return [_record(r) for r in rows]

    def prune(
        self,
        older_than_ms: int,
        consumed: Iterable[str],
        outbound: Iterable[str],
        chunk: int = PRUNE_CHUNK,
    ) -> int:
        """Delete messages written before `older_than_ms` (epoch ms) that nothing needs: in the
        `consumed` topics only those below every committed offset of every group that reads
        the partition (a partition no group has read keeps all), in the `outbound` topics by
        time alone, as a broker's retention does. Other topics (dead letters) keep everything.
        As a broker deletes whole segments, a partition loses a prefix: up to its first message
        that is young enough (or not yet read), so its offsets stay without holes and go on from
        where they were. Deletes `chunk` messages per transaction, so the log's writers wait at
        most one chunk. Returns how many were deleted."""
        ranges: list[tuple[str, int, int | None]] = []  # topic, partition, first offset kept
        for topic in consumed:
            ranges += self._conn.execute(
                "SELECT topic, partition, min(next_offset) FROM group_offsets WHERE topic=? "
                "GROUP BY partition",
                (topic,),
            ).fetchall()
        for topic in outbound:
            ranges += self._conn.execute(
                "SELECT topic, partition, NULL FROM log_end WHERE topic=?", (topic,)
            ).fetchall()
        deleted = 0
        for topic, partition, bound in ranges:
            while True:  # a chunk at a time, from the partition's start, up to the first kept
                with _Tx(self._conn) as c:
                    old, last = 0, None
                    for offset, ts_ms in c.execute(  # stepped lazily: stops at the first young
                        "SELECT offset, ts_ms FROM messages WHERE topic=? AND partition=? "
                        "AND offset<coalesce(?, offset + 1) ORDER BY offset LIMIT ?",
                        (topic, partition, bound, chunk),
                    ):
                        if ts_ms >= older_than_ms:
                            break
                        old, last = old + 1, offset
                    if old:
                        c.execute(
                            "DELETE FROM messages WHERE topic=? AND partition=? AND offset<=?",
                            (topic, partition, last),
                        )
                deleted += old
                if old < chunk:
                    break
        return deleted

    def close(self) -> None:
        if self.checkpoints is not None:
            self.checkpoints.close()
        self._conn.close()


def _default_partitions(topic: str, config: TransportConfig) -> int:
    return 1 if topic.endswith(".dlq") else config.partitions


def _create_topic(c: sqlite3.Connection, topic: str, partitions: int) -> int:
    row = c.execute("SELECT partitions FROM topics WHERE name=?", (topic,)).fetchone()
    if row:
        return int(row[0])
    c.execute("INSERT INTO topics(name, partitions) VALUES(?, ?)", (topic, partitions))
    c.executemany(
        "INSERT OR IGNORE INTO log_end(topic, partition, next_offset) VALUES(?, ?, 0)",
        [(topic, p) for p in range(partitions)],
    )
    return partitions


def _record(row: tuple, decoded: object = None) -> Record:
    topic, partition, offset, key, value, headers, ts_ms = row
    return Record(topic, partition, offset, key, value, _decode_headers(headers), ts_ms, decoded)


class EmbeddedProducer(Producer):
    def __init__(
        self,
        path: str,
        config: TransportConfig,
        handoff: Handoff | None = None,
        checkpoints: BackgroundCheckpoints | None = None,
    ) -> None:
        self._conn = _connect(path, checkpoints)
        self.config = config
        self.handoff = handoff
        self._pending: list[OutMessage] = []
        self._partitions: dict[str, int] = {}

    def send(self, message: OutMessage) -> None:
        self._pending.append(message)

    def flush(self) -> None:
        if not self._pending:
            return
        now = _now_ms()
        with _Tx(self._conn) as c:
            by_tp: dict[tuple[str, int], list[OutMessage]] = defaultdict(list)
            for msg in self._pending:
                parts = self._partitions.get(msg.topic)
                if parts is None:
                    default = _default_partitions(msg.topic, self.config)
                    parts = self._partitions[msg.topic] = _create_topic(c, msg.topic, default)
                if msg.partition is not None:
                    if not 0 <= msg.partition < parts:
                        raise ValueError(f"{msg.topic} has no partition {msg.partition}")
                    partition = msg.partition
                else:
                    partition = partition_for(
                        msg.key.encode() if msg.key is not None else None, parts
                    )
                by_tp[(msg.topic, partition)].append(msg)
            rows = []
            decoded: list[tuple[str, int, int, object]] = []
            for (topic, partition), msgs in by_tp.items():
                (start,) = c.execute(
                    "SELECT next_offset FROM log_end WHERE topic=? AND partition=?",
                    (topic, partition),
                ).fetchone()
                for i, msg in enumerate(msgs):
                    key = msg.key.encode() if msg.key is not None else None
                    if msg.decoded is not None:
                        decoded.append((topic, partition, start + i, msg.decoded))
                    rows.append(
                        (
                            topic,
                            partition,
                            start + i,
                            key,
                            msg.value,
                            _encode_headers(msg.headers),
                            now,
                        )
                    )
                c.execute(
                    "UPDATE log_end SET next_offset=? WHERE topic=? AND partition=?",
                    (start + len(msgs), topic, partition),
                )
            c.executemany("INSERT INTO messages VALUES(?, ?, ?, ?, ?, ?, ?)", rows)
        if self.handoff is not None:  # only once the messages are in the log
            for topic, partition, offset, obj in decoded:
                self.handoff.put(topic, partition, offset, obj)
        self._pending.clear()

    def close(self) -> None:
        self._conn.close()


class EmbeddedConsumer(Consumer):
    """One member of a consumer group. Partitions are held as leases renewed on every poll."""

    def __init__(
        self,
        path: str,
        group: str,
        topics: list[str],
        config: TransportConfig,
        handoff: Handoff | None = None,
        checkpoints: BackgroundCheckpoints | None = None,
    ) -> None:
        self._conn = _connect(path, checkpoints)
        self.config = config
        self.handoff = handoff
        self.session_ms = config.embedded_session_ms
        self.heartbeat_ms = max(100, self.session_ms // 4)
        self.group = group
        self.topics = list(topics)
        self.member = uuid.uuid4().hex
        self._owned: list[TopicPartition] = []
        self._position: dict[TopicPartition, int] = {}
        self._last_heartbeat = 0
        self._rr = 0

    # -- group membership -------------------------------------------------------------------
    def _rebalance(self, force: bool = False) -> None:
        now = _now_ms()
        if not force and now - self._last_heartbeat < self.heartbeat_ms:
            return
        expires = now + self.session_ms
        g = self.group
        with _Tx(self._conn) as c:
            c.execute("INSERT OR REPLACE INTO members VALUES(?, ?, ?)", (g, self.member, expires))
            c.execute("DELETE FROM members WHERE grp=? AND expires_ms<?", (g, now))
            c.execute("DELETE FROM leases WHERE grp=? AND expires_ms<?", (g, now))
            live = c.execute("SELECT COUNT(*) FROM members WHERE grp=?", (g,)).fetchone()[0]
            everything: list[TopicPartition] = []
            for topic in self.topics:
                row = c.execute("SELECT partitions FROM topics WHERE name=?", (topic,)).fetchone()
                parts = int(row[0]) if row else _create_topic(c, topic, self.config.partitions)
                everything += [TopicPartition(topic, p) for p in range(parts)]
            share = math.ceil(len(everything) / max(1, live))
            owners = {
                TopicPartition(t, p): m
                for t, p, m in c.execute(
                    "SELECT topic, partition, member FROM leases WHERE grp=?", (g,)
                )
            }
            mine = sorted(tp for tp in everything if owners.get(tp) == self.member)
            for tp in mine[share:]:  # give back what is over the fair share
                c.execute(
                    "DELETE FROM leases WHERE grp=? AND topic=? AND partition=? AND member=?",
                    (g, tp.topic, tp.partition, self.member),
                )
            mine = mine[:share]
            for tp in everything:
                if len(mine) >= share:
                    break
                if tp not in owners:
                    mine.append(tp)
            for tp in mine:
                c.execute(
                    "INSERT OR REPLACE INTO leases VALUES(?, ?, ?, ?, ?)",
                    (g, tp.topic, tp.partition, self.member, expires),
                )
            committed = self._committed(c, mine)
        for tp in mine:
            if tp not in self._position:
                self._position[tp] = committed.get(tp, 0)
        for tp in list(self._position):
            if tp not in mine:
                del self._position[tp]
        self._owned = sorted(mine)
        self._last_heartbeat = now

    def _committed(
        self, c: sqlite3.Connection, tps: Iterable[TopicPartition]
    ) -> dict[TopicPartition, int]:
        out = {}
        for tp in tps:
            row = c.execute(
                "SELECT next_offset FROM group_offsets WHERE grp=? AND topic=? AND partition=?",
                (self.group, tp.topic, tp.partition),
            ).fetchone()
            out[tp] = int(row[0]) if row else 0
        return out

    @property
    def assignment(self) -> list[TopicPartition]:
        return list(self._owned)

    # -- consuming --------------------------------------------------------------------------
    def poll(self, max_records: int, timeout_s: float) -> list[Record]:
        deadline = time.monotonic() + timeout_s
        while True:
            self._rebalance()
            records = self._fetch(max_records)
            if records or time.monotonic() >= deadline:
                return records
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))

    def _fetch(self, max_records: int) -> list[Record]:
        out: list[Record] = []
        owned = self._owned
        if not owned:
            return out
        start = self._rr % len(owned)
        self._rr += 1
        for tp in owned[start:] + owned[:start]:
            room = max_records - len(out)
            if room <= 0:
                break
            rows = self._conn.execute(
                "SELECT topic, partition, offset, key, value, headers, ts_ms FROM messages "
                "WHERE topic=? AND partition=? AND offset>=? ORDER BY offset LIMIT ?",
                (tp.topic, tp.partition, self._position[tp], room),
            ).fetchall()
            if rows:
                if self.handoff is None:
                    out.extend(_record(r) for r in rows)
                else:
                    take = self.handoff.take
                    out.extend(_record(r, take(r[0], r[1], r[2])) for r in rows)
                self._position[tp] = rows[-1][2] + 1
        return out

    def seek_to_committed(self) -> None:
        committed = self._committed(self._conn, self._owned)
        self._position.update(committed)

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        if not offsets:
            return
        with _Tx(self._conn) as c:
            for tp, offset in offsets.items():
                owner = c.execute(
                    "SELECT member FROM leases WHERE grp=? AND topic=? AND partition=?",
                    (self.group, tp.topic, tp.partition),
                ).fetchone()
                if owner is not None and owner[0] != self.member:
                    continue  # fenced: the partition moved on; its new owner re-reads (idempotent)
                c.execute(
                    "INSERT INTO group_offsets VALUES(?, ?, ?, ?) ON CONFLICT(grp, topic, partition)"
                    " DO UPDATE SET next_offset=excluded.next_offset",
                    (self.group, tp.topic, tp.partition, offset),
                )

    def lag(self) -> int:
        total = 0
        for topic in self.topics:
            rows = self._conn.execute(
                "SELECT e.next_offset - COALESCE(o.next_offset, 0) FROM log_end e "
                "LEFT JOIN group_offsets o ON o.grp=? AND o.topic=e.topic AND o.partition=e.partition"
                " WHERE e.topic=?",
                (self.group, topic),
            ).fetchall()
            total += sum(max(0, r[0]) for r in rows)
        return total

    def close(self) -> None:
        try:
            with _Tx(self._conn) as c:
                c.execute("DELETE FROM leases WHERE grp=? AND member=?", (self.group, self.member))
                c.execute("DELETE FROM members WHERE grp=? AND member=?", (self.group, self.member))
        finally:
            self._conn.close()
