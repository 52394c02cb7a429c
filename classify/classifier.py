"""The classifier: every scorer on a batch of mentions at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from classify.care_language import care_margin, cues
from classify.features import Features
from classify.learned import ModelError, TextModel
from classify.sentiment import CareSentiment
from classify.spam import SpamRules
from classify.tags import SentimentTag, UrgencyTag
from classify.text import bounded
from classify.topic import TopicRules
from classify.urgency import Reach, UrgencyRules
from socialcare.stream.schema import Classification, Sentiment, Urgency

MODEL_VERSION = "rules-1"


class Classifier:
    """Defaults that need no training data; learned models (by task) replace them where given:
    a sentiment model gives the label and a score of P(positive) − P(negative); a complaint
    model adds its probability to urgency; a topic model gives the topic."""

    def __init__(self, models: dict[str, TextModel] | None = None) -> None:
        self.models = models or {}
        # VADER only where it is used: no sentiment model, or `socialcare eval` of the default
        self._care_sentiment: CareSentiment | None = None
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
        versions = [f"{t}:{m.version}" for t, m in sorted(self.models.items())]
        self.model_version = "+".join([MODEL_VERSION, *versions])

    @property
    def sentiment(self) -> CareSentiment:
        if self._care_sentiment is None:
            self._care_sentiment = CareSentiment()
        return self._care_sentiment

    def classify(
        self, texts: Sequence[str], reaches: Sequence[Reach] | None = None
    ) -> list[Classification]:
        """Validated classifications, as a mention carries them."""
        return [
            Classification(
                sentiment=Sentiment(label=s.label, score=s.score),
                urgency=Urgency(level=u.level, score=u.score, reasons=u.reasons),
                topic=topic,
                spam=spam,
                spam_reasons=why,
                model_version=self.model_version,
            )
            for s, u, topic, (spam, why) in self._score(texts, reaches)
        ]

    def tag(
        self, texts: Sequence[str], reaches: Sequence[Reach] | None = None, explain: bool = False
    ) -> list[dict]:
        """The `socialcare classify` fields of each text, as plain JSON-ready dicts; with
        `explain`, the sentiment also says why (`reasons`) and spam gives its reasons."""
        scored = self._scored(texts, reaches)
        out = [
            {
                "sentiment": {"label": s.label, "score": s.score},
                "urgency": {"level": u.level, "score": u.score, "reasons": u.reasons},
                "topic": topic,
                "spam": spam,
            }
            for s, u, topic, (spam, _why) in scored.rows()
        ]
        if explain:
            for tags, why, (_spam, spam_why) in zip(
                out, self._sentiment_reasons(scored), scored.spams, strict=True
            ):
                tags["sentiment"]["reasons"] = why
                tags["spam_reasons"] = spam_why
        return out

    def _score(
        self, texts: Sequence[str], reaches: Sequence[Reach] | None
    ) -> Iterable[tuple[SentimentTag, UrgencyTag, str, tuple[bool, list[str]]]]:
        return self._scored(texts, reaches).rows()

    def _scored(self, texts: Sequence[str], reaches: Sequence[Reach] | None) -> _Scored:
        clean = [bounded(t) for t in texts]
        reaches = reaches if reaches is not None else [Reach()] * len(clean)
        batch = Features(clean)
        ws = batch.words()
        features = batch if self.models and clean else None
        sentiments = self._sentiments(clean, features)
        complaint = self._complaint(features)
        urgencies = self.urgency.predict_words(ws, sentiments, reaches, complaint)
        topics = (
            self.models["topic"].predict_features(features)
            if "topic" in self.models and features is not None
            else self.topic.predict_words(ws)
        )
        spams = self.spam.predict(clean, ws)
        return _Scored(clean, features, sentiments, urgencies, topics, spams)

    def sentiment_margins(self, texts: Sequence[str]) -> list[float]:
        """Per text, how sure the sentiment is (smaller: less sure), for uncertainty sampling:
        a learned model's top probability minus its second; the default's distance from a
        VADER score at which its care label would change (classify/care_language.py)."""
        clean = [bounded(t) for t in texts]
        if not clean:
            return []
        model = self.models.get("sentiment")
        if model is not None:
            proba = np.sort(model.predict_proba_features(Features(clean)), axis=1)
            return (proba[:, -1] - proba[:, -2]).round(4).tolist()
        scores = self.sentiment._compound(clean)
        return [
            round(care_margin(score, cues(text)), 4)
            for text, score in zip(clean, scores, strict=True)
        ]

    def _sentiment_reasons(self, scored: _Scored) -> list[list[str]]:
        model = self.models.get("sentiment")
        if model is None:
            return self.sentiment.reasons(scored.texts, scored.sentiments)
        if scored.features is None:
            return []
        return model.reasons(scored.features, [s.label for s in scored.sentiments])

    def _sentiments(self, texts: list[str], features: Features | None) -> list[SentimentTag]:
        model = self.models.get("sentiment")
        if model is None:
            return self.sentiment.predict(texts)
        if features is None:
            return []
        proba = model.predict_proba_features(features)
        labels = model.labels
        index = {label: i for i, label in enumerate(labels)}
        score = np.zeros(len(texts))
        if "positive" in index:
            score += proba[:, index["positive"]]
        if "negative" in index:
            score -= proba[:, index["negative"]]
        best = proba.argmax(axis=1)
        return [
            SentimentTag(labels[b], round(sc, 4))
            for b, sc in zip(best.tolist(), np.clip(score, -1.0, 1.0).tolist(), strict=True)
        ]

    def _complaint(self, features: Features | None) -> list[float] | None:
        """P(complaint) per text from a complaint model, whose positive label is 1/true/yes."""
        model = self.models.get("complaint")
        if model is None or features is None:
            return None
        positive = [
            i
            for i, lbl in enumerate(model.labels)
            if lbl.lower() in ("1", "true", "yes", "complaint")
        ]
        if not positive:
            raise ModelError(f"complaint model labels {model.labels}: none means 'complaint'")
        return model.predict_proba_features(features)[:, positive[0]].tolist()


@dataclass(slots=True)
class _Scored:
    """One batch's results, kept together so explanations can reuse the features."""

    texts: list[str]
    features: Features | None
    sentiments: list[SentimentTag]
    urgencies: list[UrgencyTag]
    topics: list[str]
    spams: list[tuple[bool, list[str]]]

    def rows(self) -> Iterable[tuple[SentimentTag, UrgencyTag, str, tuple[bool, list[str]]]]:
        return zip(self.sentiments, self.urgencies, self.topics, self.spams, strict=True)
