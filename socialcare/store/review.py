"""The cases an agent could label for the classifier: recent, not spam, not yet corrected for
the field. Which of them to show first (the model's least sure) is classify's business
(Classifier.sentiment_margins); the desk's Review page puts the two together."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, exists, select

from socialcare.store.tables import cases, corrections


def uncorrected(engine: Engine, field: str = "sentiment", limit: int = 500) -> list[dict[str, Any]]:
    """The newest `limit` cases whose `field` no one has corrected yet, newest first."""
    c = cases.c
    corrected = exists().where(corrections.c.case_id == c.id, corrections.c.field == field)
    query = (
        select(c.id, c.summary, c.sentiment, c.queue, c.network, c.opened_at, c.status)
        .where(c.spam.is_(False), ~corrected)
        .order_by(c.opened_at.desc(), c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
