"""Learned text models that `socialcare train` builds and the classifier loads by path.

One model per task (sentiment, complaint, topic): a hashed feature set of classify/features.py
("words", or "words+chars" for complaints by default), TF-IDF weighted (sublinear), into a
class-balanced logistic regression. Each feature set is computed once per batch, however many
models read it. A model directory holds
`model.joblib` (the TF-IDF weights and the regression) and `meta.json` (task, labels, feature
version, training size, cross-validated scores, library versions).

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
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from classify.features import DEFAULT_FEATURES, FEATURE_SETS, FEATURES_VERSION, Features
from classify.text import bounded

TASKS = ("sentiment", "complaint", "topic")
FORMAT = 2


class ModelError(ValueError):
    pass


def build_head(feature_set: str = "words") -> Pipeline:
    """What a model learns on top of the shared features (C chosen by 5-fold CV on the
    airline and complaint data)."""
    c = 4.0 if feature_set == "words+chars" else 2.0
    return Pipeline(
        [
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ("model", LogisticRegression(C=c, max_iter=3000, class_weight="balanced")),
        ]
    )


@dataclass
class TextModel:
    task: str
    head: Pipeline
    meta: dict[str, Any]

    @property
    def labels(self) -> list[str]:
        return [str(x) for x in self.head.classes_]

    @property
    def feature_set(self) -> str:
        return str(self.meta.get("feature_set", "words"))

    def predict_proba_features(self, features: Features) -> np.ndarray:
        return self.head.predict_proba(features.get(self.feature_set))

    def predict_features(self, features: Features) -> list[str]:
        proba = self.predict_proba_features(features)
        classes = self.labels
        return [classes[i] for i in proba.argmax(axis=1)]

    def predict(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        return self.predict_features(Features([bounded(t) for t in texts]))

    def save(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.head, out / "model.joblib", compress=3)
        (out / "meta.json").write_text(json.dumps(self.meta, indent=2))


def train(
    task: str,
    texts: list[str],
    labels: list[str],
    folds: int = 5,
    feature_set: str | None = None,
) -> TextModel:
    """Fit on all rows; report the mean macro-F1 of `folds`-fold cross-validation in meta."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    if task not in TASKS:
        raise ModelError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    if len(set(labels)) < 2:
        raise ModelError("training needs at least two different labels")
    feature_set = feature_set or DEFAULT_FEATURES[task]
    if feature_set not in FEATURE_SETS:
        raise ModelError(f"unknown feature set {feature_set!r}; known: {', '.join(FEATURE_SETS)}")
    x = [bounded(t) for t in texts]
    smallest = min(labels.count(lbl) for lbl in set(labels))
    cv_f1 = None
    features = Features(x).get(feature_set)
    if folds >= 2 and smallest >= folds:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
        scores = cross_val_score(
            build_head(feature_set), features, labels, cv=splitter, scoring="f1_macro"
        )
        cv_f1 = float(np.mean(scores))
    head = build_head(feature_set).fit(features, labels)
    meta = {
        "task": task,
        "labels": [str(c) for c in head.classes_],
        "features": FEATURES_VERSION,
        "feature_set": feature_set,
        "rows": len(x),
        "cv_folds": folds if cv_f1 is not None else 0,
        "cv_macro_f1": cv_f1,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sklearn": sklearn.__version__,
        "format": FORMAT,
    }
    return TextModel(task, head, meta)


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
    if meta.get("format") != FORMAT or meta.get("features") != FEATURES_VERSION:
        raise ModelError(
            f"{path} was trained by an older socialcare (format {meta.get('format')}, "
            f"features {meta.get('features')!r}); train it again with `socialcare train`"
        )
    return TextModel(meta["task"], joblib.load(model_path), meta)


def load_dir(models: Path | None) -> dict[str, TextModel]:
    """`--models DIR`: one subdirectory per task; tasks without one use the default."""
    if models is None:
        return {}
    if not models.is_dir():
        raise ModelError(f"--models {models}: not a directory")
    return {t: load(models / t, t) for t in TASKS if (models / t / "meta.json").is_file()}
