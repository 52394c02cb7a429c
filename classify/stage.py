"""The classify stage: `mentions.raw` → `mentions.classified`, one batch per poll. Critical
mentions go to `mentions.urgent` instead, which the router drains first: in a backlog, a safety
issue does not wait behind thousands of questions. Watermark markers are passed on to every
partition of both output topics, behind the mentions that came before them."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from classify.classifier import Classifier
from classify.registry import as_source
from classify.urgency import Reach
from socialcare.stream.bus import (
    TOPIC_CLASSIFIED,
    TOPIC_RAW,
    TOPIC_RAW_URGENT,
    TOPIC_URGENT,
    Bus,
    OutMessage,
    Record,
)
from socialcare.stream.deadletter import DeadLetter
from socialcare.stream.schema import Mention, SchemaError, mention_of
from socialcare.stream.watermarks import broadcast, is_marker, read_marker
from socialcare.stream.worker import Stage, StageOutput

OUTPUT_TOPICS = (TOPIC_URGENT, TOPIC_CLASSIFIED)


class ClassifyStage(Stage):
    name = "classify"
    input_topics: ClassVar[list[str]] = [TOPIC_RAW_URGENT, TOPIC_RAW]  # triaged lane first

    def __init__(self, classifier: Classifier | Callable[[], Classifier] | None = None) -> None:
        # a fixed classifier, or a callable giving the one in force now (classify/registry.py):
        # asked once per batch, so a promoted model takes over between batches
        self.classifier = as_source(classifier)
        self.outputs: dict[str, int] = {t: 1 for t in OUTPUT_TOPICS}
        self.fanout = len(self.input_topics) * len(OUTPUT_TOPICS)

    def bind(self, bus: Bus) -> None:
        self.outputs = {t: bus.partitions(t) for t in OUTPUT_TOPICS}
        lanes = sum(bus.partitions(t) for t in self.input_topics)
        self.fanout = lanes * sum(self.outputs.values())

    def process(self, records: list[Record]) -> StageOutput:
        out = StageOutput()
        # in record order: a mention, or the marker messages that follow it
        slots: list[Mention | list[OutMessage]] = []
        for record in records:
            try:
                if is_marker(record):
                    mark = read_marker(record).forwarded(record, self.fanout)
                    slots.append(broadcast(mark, self.outputs))
                else:
                    mention = mention_of(record.value, record.decoded)
                    slots.append(mention)
            except (SchemaError, ValueError) as exc:
                out.dead.append(DeadLetter.from_record(record, exc, self.name))
        mentions = [s for s in slots if isinstance(s, Mention)]
        tags = iter(
            self.classifier().classify(
                [m.text for m in mentions],
                [Reach(m.author.followers, m.author.verified) for m in mentions],
            )
            if mentions
            else []
        )
        for slot in slots:
            if not isinstance(slot, Mention):
                out.messages.extend(slot)
                continue
            tag = next(tags)
            classified = slot.replace(classification=tag)
            topic = TOPIC_URGENT if tag.urgency.level == "critical" else TOPIC_CLASSIFIED
            out.messages.append(
                OutMessage(topic, slot.conversation_id, classified.to_json(), decoded=classified)
            )
        return out
