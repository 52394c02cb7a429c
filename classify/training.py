"""`socialcare train`: fit a learned model with sklearn and export it as a classify.learned
TextModel (vocabulary + numbers; no pickle).

The pipeline is counts over a vocabulary learned from the training rows, TF-IDF (sublinear),
and a class-balanced logistic regression. Cross-validation refits the whole pipeline on each
fold, vocabulary included, so the reported macro-F1 never sees a test fold's words.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Sequence

import numpy as np
import sklearn
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from classify.features import DEFAULT_FEATURES, FEATURE_SETS, FEATURES_VERSION, Features
from classify.learned import FORMAT, TASKS, ModelError, TextModel
from classify.text import bounded

Row = tuple[list[str], ...]  # a text's feature strings, one list per part


class FeatureCounts(TransformerMixin, BaseEstimator):
    """Feature strings → counts over the vocabulary of the rows it was fit on (one vocabulary
    per part, columns numbered across parts). Unknown strings are dropped, as in scoring."""

    def __init__(self, min_df: int = 2) -> None:
        self.min_df = min_df

    def fit(self, rows: Sequence[Row], y: object = None) -> FeatureCounts:
        n_parts = len(rows[0]) if len(rows) else 1
        self.vocabularies_: list[dict[str, int]] = []
        start = 0
        for p in range(n_parts):
            df = Counter(itertools.chain.from_iterable(set(row[p]) for row in rows))
            kept = sorted(s for s, n in df.items() if n >= self.min_df)
            self.vocabularies_.append(dict(zip(kept, range(start, start + len(kept)), strict=True)))
            start += len(kept)
        self.width_ = start
        return self

    def transform(self, rows: Sequence[Row]) -> csr_matrix:
        indices: list[int] = []
        indptr = [0]
        for row in rows:
            for strings, vocabulary in zip(row, self.vocabularies_, strict=True):
                lookup = vocabulary.get
                indices.extend(i for i in map(lookup, strings) if i is not None)
            indptr.append(len(indices))
        data = np.ones(len(indices))
        matrix = csr_matrix((data, indices, indptr), shape=(len(rows), self.width_))
        matrix.sum_duplicates()
        return matrix


def build_pipeline(feature_set: str = "words") -> Pipeline:
    """C chosen by 5-fold CV on the airline and complaint data."""
    c = 4.0 if feature_set == "words+chars" else 2.0
    return Pipeline(
        [
            ("counts", FeatureCounts()),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ("model", LogisticRegression(C=c, max_iter=3000, class_weight="balanced")),
        ]
    )


def feature_rows(texts: Sequence[str], feature_set: str) -> list[Row]:
    batch = Features([bounded(t) for t in texts])
    return list(zip(*(batch.part(p) for p in FEATURE_SETS[feature_set]), strict=True))


def export(task: str, pipeline: Pipeline, meta: dict) -> TextModel:
    counts: FeatureCounts = pipeline.named_steps["counts"]
    regression: LogisticRegression = pipeline.named_steps["model"]
    return TextModel(
        task,
        {**meta, "labels": [str(c) for c in regression.classes_]},
        counts.vocabularies_,
        pipeline.named_steps["tfidf"].idf_.astype(np.float64),
        np.ascontiguousarray(regression.coef_.T, dtype=np.float64),
        regression.intercept_.astype(np.float64),
    )


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
    rows = feature_rows(texts, feature_set)
    smallest = min(labels.count(lbl) for lbl in set(labels))
    cv_f1 = None
    if folds >= 2 and smallest >= folds:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
        scores = cross_val_score(
            build_pipeline(feature_set), rows, labels, cv=splitter, scoring="f1_macro"
        )
        cv_f1 = float(np.mean(scores))
    pipeline = build_pipeline(feature_set).fit(rows, labels)
    meta = {
        "task": task,
        "features": FEATURES_VERSION,
        "feature_set": feature_set,
        "rows": len(rows),
        "cv_folds": folds if cv_f1 is not None else 0,
        "cv_macro_f1": cv_f1,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sklearn": sklearn.__version__,
        "format": FORMAT,
    }
    return export(task, pipeline, meta)
