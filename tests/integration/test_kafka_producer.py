"""The Kafka producer's direct append (`socialcare/stream/kafka_append.py`) against a real
broker: a keyed record lands where kafka-python's default partitioner puts it, with its key and
value, and everything the shortcut does not cover still goes through `KafkaProducer.send`."""

from __future__ import annotations

import uuid

import pytest
from kafka.partitioner.default import DefaultPartitioner

from socialcare.errors import TransientError
from socialcare.stream.bus import OutMessage, TransportConfig
from socialcare.stream.kafka import KafkaBus
from tests.factories import OneTopicCluster


def test_keyed_records_land_on_the_default_partitioners_partition_and_the_rest_take_send(broker):
    bus = KafkaBus(broker.bootstrap, TransportConfig(kafka_session_timeout_ms=6000))
    topic = f"direct-{uuid.uuid4().hex[:8]}"
    bus.ensure_topics([topic], partitions=3)
    producer = bus.producer()
    public_sends = []
    send = producer._producer.send
    producer._producer.send = lambda *a, **kw: public_sends.append(kw) or send(*a, **kw)
    keyed = [(f"case-{i}", f"event {i} ü".encode()) for i in range(300)]
    try:
        for key, value in keyed:
            producer.send(OutMessage(topic, key, value))
        producer.send(OutMessage(topic, "with-headers", b"h", headers=[("trace", b"1")]))
        producer.send(OutMessage(topic, "chosen", b"p", partition=2))
        producer.send(OutMessage(topic, None, b"no key"))
        producer.flush()
    finally:
        producer.close()
    # the first keyed record waits for the topic's metadata through send; the rest go direct
    assert len(public_sends) <= 4
    assert {kw["key"] for kw in public_sends[-3:]} == {b"with-headers", b"chosen", None}

    records = bus.read_all(topic)
    assert len(records) == 303
    default, cluster = DefaultPartitioner(), OneTopicCluster(topic, 3)
    by_key = {r.key: r for r in records if r.key is not None}
    for key, value in keyed:
        record = by_key[key.encode()]
        assert record.value == value
        assert record.partition == default.partition(
            topic, key.encode(), key.encode(), value, value, cluster
        )
    assert list(by_key[b"with-headers"].headers) == [("trace", b"1")]
    assert by_key[b"chosen"].partition == 2
    # each partition keeps the keyed records in the order they were sent
    for partition in range(3):
        sent = [v for k, v in keyed if by_key[k.encode()].partition == partition]
        got = [r.value for r in sorted(records, key=lambda r: r.offset) if r.partition == partition]
        assert [v for v in got if v in set(sent)] == sent


def test_a_record_too_large_for_a_request_is_refused_with_the_reason(broker):
    bus = KafkaBus(broker.bootstrap, TransportConfig(kafka_session_timeout_ms=6000))
    topic = f"big-{uuid.uuid4().hex[:8]}"
    bus.ensure_topics([topic], partitions=1)
    producer = bus.producer()
    limit = producer._producer.config["max_request_size"]
    try:
        producer.send(OutMessage(topic, "k", b"warm-up"))  # the topic's metadata is known now
        with pytest.raises(TransientError, match="larger than the maximum request size"):
            producer.send(OutMessage(topic, "k", b"x" * limit))
        producer.send(OutMessage(topic, "k", b"y" * (limit - 600)))  # near the limit: via send
        producer.flush()
    finally:
        producer.close()
    assert [len(r.value) for r in bus.read_all(topic)] == [7, limit - 600]
