"""The classifier: every scorer on a batch of mentions at once."""

from __future__ import annotations

from collections.abc import Sequence

from classify.sentiment import CareSentiment
from classify.spam import SpamRules
from classify.text import bounded
from classify.topic import TopicRules
from classify.urgency import Reach, UrgencyRules
from stream.schema import Classification

MODEL_VERSION = "rules-1"


class Classifier:
    def __init__(self) -> None:
        self.sentiment = CareSentiment()
        self.urgency = UrgencyRules()
        self.topic = TopicRules()
        self.spam = SpamRules()
        self.model_version = MODEL_VERSION

    def classify(
        self, texts: Sequence[str], reaches: Sequence[Reach] | None = None
    ) -> list[Classification]:
        clean = [bounded(t) for t in texts]
        reaches = reaches if reaches is not None else [Reach()] * len(clean)
        sentiments = self.sentiment.predict(clean)
        urgencies = self.urgency.predict(clean, sentiments, reaches)
        topics = self.topic.predict(clean)
        spams = self.spam.predict(clean)
        return [
            Classification(
                sentiment=s,
                urgency=u,
                topic=t,
                spam=sp,
                spam_reasons=why,
                model_version=self.model_version,
            )
            for s, u, t, (sp, why) in zip(sentiments, urgencies, topics, spams, strict=True)
        ]
