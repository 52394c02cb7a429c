"""`DirectAppend` steps aside when kafka-python's internals are not what it relies on."""

from __future__ import annotations

from types import SimpleNamespace

from socialcare.stream.kafka_append import DirectAppend


def _producer(**internals):
    return SimpleNamespace(config={"max_request_size": 1_048_576}, _closed=False, **internals)


def test_without_the_accumulator_every_record_is_left_to_send():
    direct = DirectAppend(_producer(), key_hash=len)
    assert not direct.enabled
    assert direct.append("t", b"k", b"v") is None


def test_a_transactional_producer_is_left_to_send():
    transactional = SimpleNamespace(is_transactional=lambda: True)
    present = {"_accumulator": object(), "_sender": object(), "_metadata": object()}
    assert DirectAppend(_producer(**present), key_hash=len).enabled
    direct = DirectAppend(_producer(**present, _transaction_manager=transactional), key_hash=len)
    assert not direct.enabled


def test_unknown_topics_odd_types_and_large_records_are_left_to_send():
    appended = []
    accumulator = SimpleNamespace(
        append=lambda tp, ts, key, value, headers: appended.append((tp, key)) or ("f", 0, 0, 0)
    )
    metadata = SimpleNamespace(partitions_for_topic=lambda t: {0, 1, 2} if t == "known" else None)
    producer = _producer(_accumulator=accumulator, _sender=SimpleNamespace(), _metadata=metadata)
    direct = DirectAppend(producer, key_hash=len)
    assert direct.append("unknown", b"k", b"v") is None
    assert direct.append("known", bytearray(b"k"), b"v") is None
    assert direct.append("known", b"k", b"v" * 1_048_000) is None
    assert direct.append("known", b"kk", b"v") == "f"
    assert appended == [(("known", 2), b"kk")]  # len(b"kk") % 3 partitions
    producer._closed = True
    assert direct.append("known", b"kk", b"v") is None
