"""Learned text models that `socialcare train` builds and the classifier loads by path.

One model per task (sentiment, complaint, topic): word 1–2-gram and character 2–5-gram TF-IDF
features into a class-balanced logistic regression. A model directory holds `model.joblib` and
`meta.json` (task, labels, training size, cross-validated scores, library versions).

Loading a model unpickles it: only load model directories you (or your admins) trained.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from classify.text import bounded

TASKS = ("sentiment", "complaint", "topic")


class ModelError(ValueError):
    pass


def build_pipeline(c: float = 4.0) -> Pipeline:
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "words",
                            TfidfVectorizer(
                                ngram_range=(1, 2),
                                min_df=2,
                                sublinear_tf=True,
                                max_features=200_000,
                            ),
                        ),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb",
                                ngram_range=(2, 5),
                                min_df=2,
                                sublinear_tf=True,
                                max_features=300_000,
                            ),
                        ),
                    ]
                ),
            ),
            ("model", LogisticRegression(C=c, max_iter=3000, class_weight="balanced")),
        ]
    )


@dataclass
class TextModel:
    task: str
    pipeline: Pipeline
    meta: dict[str, Any]

    @property
    def labels(self) -> list[str]:
        return [str(x) for x in self.pipeline.classes_]

    def predict(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        return [str(x) for x in self.pipeline.predict([bounded(t) for t in texts])]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.pipeline.predict_proba([bounded(t) for t in texts])

    def save(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.pipeline, out / "model.joblib", compress=3)
        (out / "meta.json").write_text(json.dumps(self.meta, indent=2))


def train(task: str, texts: list[str], labels: list[str], folds: int = 5) -> TextModel:
    """Fit on all rows; report the mean macro-F1 of `folds`-fold cross-validation in meta."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    if task not in TASKS:
        raise ModelError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    if len(set(labels)) < 2:
        raise ModelError("training needs at least two different labels")
    x = [bounded(t) for t in texts]
    smallest = min(labels.count(lbl) for lbl in set(labels))
    cv_f1 = None
    if folds >= 2 and smallest >= folds:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
        cv_f1 = float(
            np.mean(cross_val_score(build_pipeline(), x, labels, cv=splitter, scoring="f1_macro"))
        )
    pipeline = build_pipeline().fit(x, labels)
    meta = {
        "task": task,
        "labels": [str(c) for c in pipeline.classes_],
        "rows": len(x),
        "cv_folds": folds if cv_f1 is not None else 0,
        "cv_macro_f1": cv_f1,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sklearn": sklearn.__version__,
        "format": 1,
    }
    return TextModel(task, pipeline, meta)


def load(path: Path, task: str | None = None) -> TextModel:
    meta_path, model_path = path / "meta.json", path / "model.joblib"
    if not meta_path.is_file() or not model_path.is_file():
        raise ModelError(
            f"{path} is not a model directory (needs meta.json and model.joblib; "
            "make one with `socialcare train --out DIR`)"
        )
    meta = json.loads(meta_path.read_text())
    if task is not None and meta.get("task") != task:
        raise ModelError(f"{path} holds a {meta.get('task')!r} model, not {task!r}")
    return TextModel(meta["task"], joblib.load(model_path), meta)


def load_dir(models: Path | None) -> dict[str, TextModel]:
    """`--models DIR`: one subdirectory per task; tasks without one use the default."""
    if models is None:
        return {}
    if not models.is_dir():
        raise ModelError(f"--models {models}: not a directory")
    return {t: load(models / t, t) for t in TASKS if (models / t / "meta.json").is_file()}
