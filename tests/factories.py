"""Small builders for mentions in tests, and the cluster metadata a Kafka partitioner reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from socialcare.stream.schema import Classification, Mention, Sentiment, Urgency, mention_from_dict

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def mention_dict(post_id: str, conv: str | None = None, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": 1,
        "network": "x",
        "post_id": post_id,
        "conversation_id": conv or post_id,
        "author": {"id": "u1", "handle": "customer1", "followers": 10},
        "text": "my flight was cancelled and nobody helps",
        "created_at": T0.isoformat(),
        "ingest": {"source": "test", "fetched_at": T0.isoformat()},
    }
    data.update(over)
    return data


def mention(post_id: str, conv: str | None = None, **over: Any) -> Mention:
    return mention_from_dict(mention_dict(post_id, conv, **over))


def classified(
    post_id: str,
    conv: str | None = None,
    *,
    sentiment: str = "negative",
    score: float = -0.5,
    urgency: str = "normal",
    topic: str = "other",
    spam: bool = False,
    minutes: float = 0,
    **over: Any,
) -> Mention:
    over.setdefault("created_at", (T0 + timedelta(minutes=minutes)).isoformat())
    m = mention(post_id, conv, **over)
    tag = Classification(
        sentiment=Sentiment(label=sentiment, score=score),
        urgency=Urgency(level=urgency, score=0.5, reasons=[]),
        topic=topic,
        spam=spam,
        model_version="test",
    )
    return m.replace(classification=tag)


class OneTopicCluster:
    """What a kafka-python partitioner asks ClusterMetadata: one topic of `partitions`."""

    def __init__(self, topic: str, partitions: int) -> None:
        self.topic, self.parts = topic, set(range(partitions))

    def topics(self) -> set[str]:
        return {self.topic}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(self.parts) if topic == self.topic else None

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        return self.partitions_for_topic(topic)
