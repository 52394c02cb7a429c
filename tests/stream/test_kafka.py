"""The Kafka transport's client library is installed the fast way."""

from __future__ import annotations

from kafka.record import util


def test_record_crcs_are_checked_in_c():
    # without the crc32c package kafka-python falls back to a pure-Python CRC-32C, which was
    # 17 % of a router's time on Kafka; pyproject asks for kafka-python[crc32c]
    assert util.crc32c_c is not None
    assert util.calc_crc32c(memoryview(b"123456789")) == 0xE3069283  # the standard check value
