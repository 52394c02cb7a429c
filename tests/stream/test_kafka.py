"""The Kafka transport's client library is installed the fast way."""

from __future__ import annotations

import pytest
from kafka.record import util


def test_record_crcs_are_checked_in_c():
    # without the crc32c package kafka-python falls back to a pure-Python CRC-32C, which was
    # 17 % of a router's time on Kafka; pyproject asks for kafka-python[crc32c]
    assert util.crc32c_c is not None
    assert util.calc_crc32c(memoryview(b"123456789")) == 0xE3069283  # the standard check value


class _Cluster:
    """The two things a partitioner asks kafka-python's ClusterMetadata."""

    def __init__(self, partitions: int) -> None:
        self.parts = set(range(partitions))

    def topics(self) -> set[str]:
        return {"care.events"}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(self.parts) if topic == "care.events" else None

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return set(self.parts)


def test_the_remembering_partitioner_puts_every_key_where_the_default_one_does():
    from kafka.partitioner.default import DefaultPartitioner

    from socialcare.stream.kafka import KeyHashMemo

    memo, default = KeyHashMemo(limit=50), DefaultPartitioner()
    keys = [f"c{i:015x}".encode() for i in range(200)] + [b"", "ünï".encode(), b"\x00\xff"]
    for parts in (1, 3, 7):
        cluster = _Cluster(parts)
        for key in keys * 2:  # the second time from memory (and past its limit: cleared)
            want = default.partition("care.events", key, key, b"v", b"v", cluster)
            assert memo.partition("care.events", key, key, b"v", b"v", cluster) == want
    assert len(memo._hashes) <= 50
    with pytest.raises(ValueError, match="not found"):
        memo.partition("nope", b"k", b"k", b"v", b"v", _Cluster(3))
    # a message without a key goes to some partition, as with the default
    assert memo.partition("care.events", None, None, b"v", b"v", _Cluster(3)) in {0, 1, 2}
