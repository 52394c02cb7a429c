"""The classifier: every scorer on a batch of mentions at once."""

from __future__ import annotations

from collections.abc import Sequence

from classify.learned import ModelError, TextModel
from classify.sentiment import CareSentiment
from classify.spam import SpamRules
from classify.text import bounded
from classify.topic import TopicRules
from classify.urgency import Reach, UrgencyRules
from stream.schema import Classification, Sentiment

MODEL_VERSION = "rules-1"


class Classifier:
    """Defaults that need no training data; learned models (by task) replace them where given:
    a sentiment model gives the label and a score of P(positive) − P(negative); a complaint
    model adds its probability to urgency; a topic model gives the topic."""

    def __init__(self, models: dict[str, TextModel] | None = None) -> None:
        self.models = models or {}
        self.sentiment = CareSentiment()
        self.urgency = UrgencyRules()
        self.topic = TopicRules()
        self.spam = SpamRules()
        sentiment_model = self.models.get("sentiment")
        if sentiment_model and not set(sentiment_model.labels) <= {
            "negative",
            "neutral",
            "positive",
        }:
            raise ModelError(
                "a sentiment model must predict negative / neutral / positive, "
                f"not {sentiment_model.labels}"
            )
        versions = [f"{t}:{m.meta.get('trained_at', '?')}" for t, m in sorted(self.models.items())]
        self.model_version = "+".join([MODEL_VERSION, *versions])

    def classify(
        self, texts: Sequence[str], reaches: Sequence[Reach] | None = None
    ) -> list[Classification]:
        clean = [bounded(t) for t in texts]
        reaches = reaches if reaches is not None else [Reach()] * len(clean)
        sentiments = self._sentiments(clean)
        complaint = self._complaint(clean)
        urgencies = self.urgency.predict(clean, sentiments, reaches, complaint)
        topics = (
            self.models["topic"].predict(clean)
            if "topic" in self.models
            else (self.topic.predict(clean))
        )
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

    def _sentiments(self, texts: list[str]) -> list[Sentiment]:
        model = self.models.get("sentiment")
        if model is None:
            return self.sentiment.predict(texts)
        proba = model.predict_proba(texts) if texts else []
        index = {label: i for i, label in enumerate(model.labels)}
        out = []
        for row in proba:
            label = model.labels[int(row.argmax())]
            score = row[index["positive"]] if "positive" in index else 0.0
            score -= row[index["negative"]] if "negative" in index else 0.0
            out.append(Sentiment(label=label, score=round(float(score), 4)))
        return out

    def _complaint(self, texts: list[str]) -> list[float] | None:
        """P(complaint) per text from a complaint model, whose positive label is 1/true/yes."""
        model = self.models.get("complaint")
        if model is None or not texts:
            return None
        positive = [
            i
            for i, lbl in enumerate(model.labels)
            if lbl.lower() in ("1", "true", "yes", "complaint")
        ]
        if not positive:
            raise ModelError(f"complaint model labels {model.labels}: none means 'complaint'")
        return [float(p) for p in model.predict_proba(texts)[:, positive[0]]]
