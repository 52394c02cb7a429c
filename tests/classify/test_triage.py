"""Triage at ingest: a possibly critical mention skips the classify backlog."""

from __future__ import annotations

import json

from classify.stage import ClassifyStage
from classify.triage import could_be_critical, raw_topic
from socialcare.stream.bus import TOPIC_RAW, TOPIC_RAW_URGENT, TOPIC_URGENT, OutMessage
from socialcare.stream.embedded import EmbeddedBus
from socialcare.stream.worker import Worker
from tests.factories import mention


def test_only_safety_or_two_serious_signals_take_the_lane():
    assert could_be_critical("there is smoke in the cabin, row 12")
    assert could_be_critical("my card was charged twice, fraud, calling my lawyer")
    assert not could_be_critical("my flight was cancelled")  # one signal: the normal lane
    assert not could_be_critical("thanks for the great service!")
    assert not could_be_critical("")
    assert could_be_critical("unauthorized charge on my card", followers=50_000)  # wide reach
    assert not could_be_critical("unauthorized charge on my card", followers=50)
    assert raw_topic(mention("1", text="SMOKE and fumes on board")) == TOPIC_RAW_URGENT
    assert raw_topic(mention("2", text="where is my bag")) == TOPIC_RAW


def test_the_classifier_drains_the_triaged_lane_before_the_backlog(tmp_path):
    bus = EmbeddedBus(tmp_path / "bus.db")
    producer = bus.producer()
    for i in range(300):
        m = mention(f"b{i}", text="where is my refund")
        producer.send(OutMessage(raw_topic(m), m.conversation_id, m.to_json()))
    fire = mention("fire", text="the charger caught fire, there is smoke everywhere")
    producer.send(OutMessage(raw_topic(fire), fire.conversation_id, fire.to_json()))
    producer.flush()
    worker = Worker(ClassifyStage(), bus, batch_size=50, poll_timeout_s=0)
    worker.step(0)  # one poll: the lane first
    urgent = bus.read_all(TOPIC_URGENT)
    assert [json.loads(r.value)["post_id"] for r in urgent] == ["fire"]
    while worker.step(0) or worker.lag():
        pass
    worker.close()
    assert len(bus.read_all("mentions.classified")) == 300
