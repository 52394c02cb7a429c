"""Classifier model versions in the case store, per task, kept like rule sets: every version is
a row, the newest row of a task is in force, a rollback appends a copy of an older row, and a
row with version "default" and no weights puts the untrained default back. What the blobs mean
is classify/learned.py's business (JSON and npz, never pickle). Beside them, every retrain's
decision, promoted or not (`record_attempt`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select

from socialcare.errors import NotFoundError
from socialcare.store.tables import models, retrain_attempts
from socialcare.stream.schema import utcnow

DEFAULT = "default"


@dataclass(frozen=True)
class StoredModel:
    id: int
    task: str
    version: str
    action: str
    author: str
    message: str
    published_at: str
    meta: dict[str, Any]
    vocabulary: bytes | None
    weights: bytes | None

    @property
    def is_default(self) -> bool:
        return self.vocabulary is None or self.weights is None


def store(
    engine: Engine,
    task: str,
    version: str,
    meta: dict[str, Any],
    vocabulary: bytes | None,
    weights: bytes | None,
    author: str,
    message: str,
    action: str,
) -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(models)
            .values(
                task=task,
                version=version[:64],
                action=action,
                author=author[:128],
                message=message[:1000],
                published_at=utcnow(),
                meta=json.dumps(meta),
                vocabulary=vocabulary,
                weights=weights,
            )
            .returning(models.c.id)
        ).scalar_one()


def _row(r) -> StoredModel:
    return StoredModel(
        r.id,
        r.task,
        r.version,
        r.action,
        r.author,
        r.message,
        r.published_at.isoformat(),
        json.loads(r.meta),
        r.vocabulary,
        r.weights,
    )


def in_force(engine: Engine, task: str) -> StoredModel | None:
    """The newest row of the task, or None when nothing was ever stored (the default)."""
    with engine.connect() as conn:
        r = conn.execute(
            select(models).where(models.c.task == task).order_by(models.c.id.desc()).limit(1)
        ).first()
    return _row(r) if r else None


def newest_ids(engine: Engine) -> dict[str, int]:
    """Per task, the id of the row in force: cheap to poll for a change."""
    with engine.connect() as conn:
        return dict(
            conn.execute(select(models.c.task, func.max(models.c.id)).group_by(models.c.task)).all()
        )


def by_version(engine: Engine, version: str) -> StoredModel:
    with engine.connect() as conn:
        r = conn.execute(
            select(models).where(models.c.version == version).order_by(models.c.id.desc()).limit(1)
        ).first()
    if r is None:
        raise NotFoundError(f"no model version {version!r} (see `socialcare models list`)")
    return _row(r)


def history(engine: Engine, task: str | None = None) -> list[dict[str, Any]]:
    """Every stored version, oldest first, without the weights; `in_force` marks the newest of
    each task."""
    query = select(
        models.c.id,
        models.c.task,
        models.c.version,
        models.c.action,
        models.c.author,
        models.c.message,
        models.c.published_at,
        models.c.meta,
    ).order_by(models.c.id)
    if task:
        query = query.where(models.c.task == task)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    newest = {r.task: r.id for r in rows}
    return [
        {
            "id": r.id,
            "task": r.task,
            "version": r.version,
            "action": r.action,
            "author": r.author,
            "message": r.message,
            "published_at": r.published_at.isoformat(),
            "in_force": newest[r.task] == r.id,
            "figures": json.loads(r.meta).get("evaluation", {}),
        }
        for r in rows
    ]


def record_attempt(
    engine: Engine, task: str, author: str, seen_correction_id: int, result: dict[str, Any]
) -> None:
    """Keep what a retrain decided and the newest correction it saw."""
    with engine.begin() as conn:
        conn.execute(
            insert(retrain_attempts).values(
                task=task,
                at=utcnow(),
                author=author[:128],
                promoted=bool(result.get("promoted")),
                version=result.get("version"),
                seen_correction_id=seen_correction_id,
                reason=str(result.get("reason", ""))[:2000],
            )
        )


def seen_by_attempts(engine: Engine) -> dict[str, int]:
    """Per task, the newest correction any retrain has seen, promoted or not."""
    with engine.connect() as conn:
        query = select(
            retrain_attempts.c.task, func.max(retrain_attempts.c.seen_correction_id)
        ).group_by(retrain_attempts.c.task)
        return {task: int(seen) for task, seen in conn.execute(query).all()}


def attempts(engine: Engine, task: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest retrain decisions first."""
    query = select(retrain_attempts).order_by(retrain_attempts.c.id.desc()).limit(limit)
    if task:
        query = query.where(retrain_attempts.c.task == task)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "id": r.id,
            "task": r.task,
            "at": r.at.isoformat(),
            "author": r.author,
            "promoted": r.promoted,
            "version": r.version,
            "seen_correction_id": r.seen_correction_id,
            "reason": r.reason,
        }
        for r in rows
    ]
