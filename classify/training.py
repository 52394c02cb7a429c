"""`socialcare train`: fit a learned model with sklearn and export it as a classify.learned
TextModel (vocabulary + numbers; no pickle).

The model is counts over a vocabulary learned from the training rows, TF-IDF (sublinear), and
a class-balanced logistic regression, optionally with the default's reading of each text as
extra columns (classify/prior.py). Cross-validation refits the whole model on each fold,
vocabulary included, so the reported macro-F1 never sees a test fold's words.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Sequence

import numpy as np
import sklearn
from scipy.sparse import csr_matrix, hstack
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from classify.features import DEFAULT_FEATURES, FEATURE_SETS, FEATURES_VERSION, Features
from classify.learned import FORMAT, TASKS, ModelError, TextModel
from classify.prior import NAMES as PRIOR_NAMES
from classify.prior import SCALE as PRIOR_SCALE
from classify.text import bounded

Row = tuple[list[str], ...]  # a text's feature strings, one list per part
Sample = tuple[Row, np.ndarray | None]  # and its prior row (classify/prior.py), if used


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


class TextRegression(ClassifierMixin, BaseEstimator):
    """Counts over a learned vocabulary, sublinear TF-IDF, then a class-balanced logistic
    regression; with `prior`, the default's reading of each text (classify/prior.py) as dense
    columns after the words. Samples are (feature strings per part, prior row or None)."""

    def __init__(self, feature_set: str = "words", prior: bool = False, min_df: int = 2) -> None:
        self.feature_set = feature_set
        self.prior = prior
        self.min_df = min_df

    def _c(self) -> float:
        """C chosen by 5-fold CV on the airline and complaint data (and with the prior, on
        learning curves of 250 to 2,000 airline rows)."""
        if self.prior:
            return 4.0
        return 4.0 if self.feature_set == "words+chars" else 2.0

    def _matrix(self, samples: Sequence[Sample], fit: bool) -> csr_matrix:
        rows = [s[0] for s in samples]
        if fit:
            self.counts_ = FeatureCounts(self.min_df).fit(rows)
            self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(self.counts_.transform(rows))
        x = self.tfidf_.transform(self.counts_.transform(rows))
        if self.prior:
            dense = np.vstack([s[1] for s in samples]) * PRIOR_SCALE
            x = hstack([x, csr_matrix(dense)]).tocsr()
        return x

    def fit(self, samples: Sequence[Sample], y: Sequence[str]) -> TextRegression:
        x = self._matrix(samples, fit=True)
        # tol 1e-3: half the iterations of the default 1e-4 at the same held-out macro-F1
        # (airline sentiment, 8,000 rows, words+chars+prior: 241 against 431 iterations)
        self.model_ = LogisticRegression(
            C=self._c(), max_iter=3000, class_weight="balanced", tol=1e-3
        )
        self.model_.fit(x, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, samples: Sequence[Sample]) -> np.ndarray:
        return self.model_.predict_proba(self._matrix(samples, fit=False))

    def predict(self, samples: Sequence[Sample]) -> np.ndarray:
        return self.model_.predict(self._matrix(samples, fit=False))


def build_pipeline(feature_set: str = "words", prior: bool = False) -> TextRegression:
    return TextRegression(feature_set, prior)


def samples(texts: Sequence[str], feature_set: str, prior: bool = False) -> list[Sample]:
    """What TextRegression reads: each text's feature strings, and its prior row if asked."""
    batch = Features([bounded(t) for t in texts])
    rows = list(zip(*(batch.part(p) for p in FEATURE_SETS[feature_set]), strict=True))
    dense = batch.prior() if prior else None
    return [(row, dense[i] if dense is not None else None) for i, row in enumerate(rows)]


def feature_rows(texts: Sequence[str], feature_set: str) -> list[Sample]:
    return samples(texts, feature_set)


def export(task: str, fitted: TextRegression, meta: dict) -> TextModel:
    regression: LogisticRegression = fitted.model_
    width = fitted.counts_.width_
    coef = np.ascontiguousarray(regression.coef_.T, dtype=np.float64)
    prior_coef = None
    if fitted.prior:
        prior_coef = np.ascontiguousarray(coef[width:])
        coef = np.ascontiguousarray(coef[:width])
        meta = {**meta, "prior": {"names": list(PRIOR_NAMES), "scale": PRIOR_SCALE}}
    return TextModel(
        task,
        {**meta, "labels": [str(c) for c in regression.classes_]},
        fitted.counts_.vocabularies_,
        fitted.tfidf_.idf_.astype(np.float64),
        coef,
        regression.intercept_.astype(np.float64),
        prior_coef,
    )


def train(
    task: str,
    texts: list[str],
    labels: list[str],
    folds: int = 5,
    feature_set: str | None = None,
    prior: bool = False,
) -> TextModel:
    """Fit on all rows; report the mean macro-F1 of `folds`-fold cross-validation in meta."""
    if task not in TASKS:
        raise ModelError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    if len(set(labels)) < 2:
        raise ModelError("training needs at least two different labels")
    feature_set = feature_set or DEFAULT_FEATURES[task]
    if feature_set not in FEATURE_SETS:
        raise ModelError(f"unknown feature set {feature_set!r}; known: {', '.join(FEATURE_SETS)}")
    return train_samples(
        task, samples(texts, feature_set, prior), labels, folds, feature_set, prior
    )


def train_samples(
    task: str,
    rows: list[Sample],
    labels: list[str],
    folds: int,
    feature_set: str,
    prior: bool,
) -> TextModel:
    """`train` on rows `samples` already made (so a caller that fits several times on the same
    texts reads them once)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    smallest = min(labels.count(lbl) for lbl in set(labels))
    cv_f1 = None
    if folds >= 2 and smallest >= folds:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
        scores = cross_val_score(
            build_pipeline(feature_set, prior), rows, labels, cv=splitter, scoring="f1_macro"
        )
        cv_f1 = float(np.mean(scores))
    fitted = build_pipeline(feature_set, prior).fit(rows, labels)
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
    return export(task, fitted, meta)
