"""The classify stage: `mentions.raw` → `mentions.classified`, one batch per poll. Critical
mentions go to `mentions.urgent` instead, which the router drains first: in a backlog, a safety
issue does not wait behind thousands of questions."""

from __future__ import annotations

from typing import ClassVar

from classify.classifier import Classifier
from classify.urgency import Reach
from socialcare.stream.bus import (
    TOPIC_CLASSIFIED,
    TOPIC_RAW,
    TOPIC_RAW_URGENT,
    TOPIC_URGENT,
    OutMessage,
    Record,
)
from socialcare.stream.deadletter import DeadLetter
from socialcare.stream.schema import SchemaError, parse_mention
from socialcare.stream.worker import Stage, StageOutput


class ClassifyStage(Stage):
    name = "classify"
    input_topics: ClassVar[list[str]] = [TOPIC_RAW_URGENT, TOPIC_RAW]  # triaged lane first

    def __init__(self, classifier: Classifier | None = None) -> None:
        self.classifier = classifier or Classifier()

    def process(self, records: list[Record]) -> StageOutput:
        out = StageOutput()
        good = []
        for record in records:
            try:
                good.append((record, parse_mention(record.value)))
            except SchemaError as exc:
                out.dead.append(DeadLetter.from_record(record, exc, self.name))
        if not good:
            return out
        mentions = [m for _, m in good]
        tags = self.classifier.classify(
            [m.text for m in mentions],
            [Reach(m.author.followers, m.author.verified) for m in mentions],
        )
        for (_record, mention), tag in zip(good, tags, strict=True):
            classified = mention.model_copy(update={"classification": tag})
            topic = TOPIC_URGENT if tag.urgency.level == "critical" else TOPIC_CLASSIFIED
            out.messages.append(OutMessage(topic, mention.conversation_id, classified.to_json()))
        return out
