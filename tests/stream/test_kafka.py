"""The Kafka transport's client library is installed the fast way."""

from __future__ import annotations

import pytest
from kafka.record import util

from tests.factories import OneTopicCluster


def test_record_crcs_are_checked_in_c():
    # without the crc32c package kafka-python falls back to a pure-Python CRC-32C, which was
    # 17 % of a router's time on Kafka; pyproject asks for kafka-python[crc32c]
    assert util.crc32c_c is not None
    assert util.calc_crc32c(memoryview(b"123456789")) == 0xE3069283  # the standard check value


def test_the_remembering_partitioner_puts_every_key_where_the_default_one_does():
    from kafka.partitioner.default import DefaultPartitioner

    from socialcare.stream.kafka import KeyHashMemo

    memo, default = KeyHashMemo(limit=50), DefaultPartitioner()
    keys = [f"c{i:015x}".encode() for i in range(200)] + [b"", "ünï".encode(), b"\x00\xff"]
    for parts in (1, 3, 7):
        cluster = OneTopicCluster("care.events", parts)
        for key in keys * 2:  # the second time from memory (and past its limit: cleared)
            want = default.partition("care.events", key, key, b"v", b"v", cluster)
            assert memo.partition("care.events", key, key, b"v", b"v", cluster) == want
    assert len(memo._hashes) <= 50
    with pytest.raises(ValueError, match="not found"):
        memo.partition("nope", b"k", b"k", b"v", b"v", OneTopicCluster("care.events", 3))
    # a message without a key goes to some partition, as with the default
    assert memo.partition(
        "care.events", None, None, b"v", b"v", OneTopicCluster("care.events", 3)
    ) in {0, 1, 2}
