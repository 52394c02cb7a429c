"""Which models are in force, from the case store (socialcare/store/models.py), and a classifier
that follows them: classify workers re-check the store every few seconds and pick up a newly
promoted (or rolled back) model without a restart, as routers do with rules.

Precedence: an explicit `--models DIR` (or SOCIALCARE_MODELS) is used as it is, unchanged while
the worker runs; otherwise the versions in force in the store; tasks with none use the untrained
default.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from classify.classifier import Classifier
from classify.learned import TASKS, TextModel, from_blobs, load_dir

if TYPE_CHECKING:  # the store (and SQLAlchemy) load only where one is used: `classify
    # --models DIR` on stdin never opens it
    from sqlalchemy import Engine

log = logging.getLogger(__name__)


def version_of(model: TextModel) -> str:
    """A model's version: its task, when it was trained, and a digest of its weights."""
    _, vocabulary, weights = model.to_blobs()
    digest = hashlib.sha256(vocabulary + weights).hexdigest()[:8]
    stamp = str(model.meta.get("trained_at", "")).replace("-", "").replace(":", "")[:15]
    return f"{model.task}-{stamp}-{digest}"


def publish(
    engine: Engine, model: TextModel, author: str, message: str, action: str = "publish"
) -> str:
    """Put a model in force for its task; returns its version."""
    from socialcare.store import models as stored

    version = model.meta.get("version") or version_of(model)
    model.meta["version"] = version
    meta, vocabulary, weights = model.to_blobs()
    stored.store(engine, model.task, version, meta, vocabulary, weights, author, message, action)
    return version


def rollback(engine: Engine, task: str, version: str, author: str, message: str = "") -> str:
    """Put an earlier version of a task (or "default") back in force, as a new history row."""
    from socialcare.store import models as stored

    if version == stored.DEFAULT:
        stored.store(
            engine,
            task,
            stored.DEFAULT,
            {"task": task},
            None,
            None,
            author,
            message or "back to the untrained default",
            "rollback",
        )
        return version
    old = stored.by_version(engine, version)
    if old.task != task:
        raise stored.NotFoundError(f"version {version!r} is a {old.task} model, not {task}")
    model = from_blobs(old.meta, old.vocabulary or b"", old.weights or b"", task, version)
    stored.store(
        engine,
        task,
        version,
        model.meta,
        old.vocabulary,
        old.weights,
        author,
        message or f"rollback to {version}",
        "rollback",
    )
    return version


def in_force(engine: Engine) -> dict[str, TextModel]:
    """The learned models in force, by task (a task whose newest row is the default: none)."""
    from socialcare.store import models as stored

    out = {}
    for task in TASKS:
        row = stored.in_force(engine, task)
        if row is None or row.is_default:
            continue
        out[task] = from_blobs(row.meta, row.vocabulary, row.weights, task, row.version)
    return out


class ClassifierSource:
    """A callable giving the classifier to use now; with a store, rebuilt when a model version
    changes (checked every `check_s`)."""

    def __init__(
        self, engine: Engine | None, models_dir: Path | None = None, check_s: float = 5.0
    ) -> None:
        self.engine = engine if models_dir is None else None
        self.check_s = check_s
        self._ids: dict[str, int] | None = None
        self._checked = float("-inf")
        self._classifier = Classifier(load_dir(models_dir))

    def refresh(self) -> None:
        self._checked = float("-inf")

    def __call__(self) -> Classifier:
        if self.engine is None:
            return self._classifier
        now = time.monotonic()
        if now - self._checked < self.check_s:
            return self._classifier
        self._checked = now
        from socialcare.store import models as stored

        try:
            ids = stored.newest_ids(self.engine)
            if ids != self._ids:
                self._classifier = Classifier(in_force(self.engine))
                if self._ids is not None:
                    log.info("classifier now %s", self._classifier.model_version)
                self._ids = ids
        except Exception as exc:  # a broken store or row: keep classifying with what works
            log.error(
                "could not load the models in force, keeping %s: %s",
                self._classifier.model_version,
                exc,
            )
        return self._classifier


def as_source(classifier: Classifier | Callable[[], Classifier] | None) -> Callable[[], Classifier]:
    if classifier is None:
        fixed = Classifier()
        return lambda: fixed
    if isinstance(classifier, Classifier):
        return lambda: classifier
    return classifier
