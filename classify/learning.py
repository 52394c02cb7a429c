"""The learning loop: agents' corrections → a candidate model → a gate → promoted or not.

`retrain(engine, task)` judges a candidate against the model in force on **the corrections the
model in force has never seen**: every correction, against the untrained default; those that
came in after it was trained, against a learned version. The candidate is judged on the same
rows by out-of-fold predictions: the corrections are split into `JUDGE_FOLDS` folds by a hash of
their text (store/corrections.py `text_fold`, so a duplicate never sits on both sides), and each
fold is predicted by the candidate's recipe fitted on every other fold (plus an optional base
labeled set). Both models are thus judged on the same rows, which neither was trained on. When
the gate passes, the candidate put in force is the same recipe fitted on all the corrections.

It is put in force only if all of these hold:

1. there are at least `MIN_CORRECTIONS` usable corrections, and at least `MIN_BATCH` the model
   in force has not seen (below that, the learning curve says a learned model is not reliably
   better than the default, and there is too little to judge on);
2. the corrections added since the version in force carry signal: a model trained on part of
   them predicts the rest better than chance (a permutation test, p < `P_MAX`), so a batch of
   shuffled or random labels is refused even when older good corrections would hide it;
3. the candidate is better than chance on the judged rows (the same permutation test);
4. its macro-F1 on the judged rows is at least the current model's, less a margin: none
   against the untrained default (a learned model must be at least as good as the default to
   replace it), `TOLERANCE` (0.01) against an earlier learned version: the paired difference
   of two such models wobbles by about that much, and a 0.01 dip must not keep more data out
   of force. A batch that would make the model clearly worse (shuffled labels mixed into good
   ones) costs far more than that, and is refused.

A sentiment or complaint candidate starts from what the default knows (classify/prior.py) and
reads words and character n-grams (`LOOP_FEATURES`: the most accurate recipe on a few hundred
to a few thousand rows, at about twice the scoring cost of words alone).
Everything the decision used is in the printed result and, when promoted, in the stored
version's meta (figures, confusion matrix, rows, p-values). Every decision, promoted or not, is
kept with the newest correction it saw (store/models.py `record_attempt`), so a retrain on a
schedule does not try corrections the gate already turned down again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine

from classify.dataset import Labeled
from classify.evaluate import default_predict
from classify.learned import TASKS, ModelError, TextModel
from classify.registry import in_force, publish
from classify.schedule import TASK_FIELD
from classify.training import build_pipeline, samples, train_samples
from socialcare.store import corrections
from socialcare.store import models as stored
from socialcare.stream.schema import utcnow

MIN_CORRECTIONS = 200
MIN_BATCH = 50  # fewer new corrections than this are too few to judge on
P_MAX = 0.01
TOLERANCE = 0.01
PERMUTATIONS = 2000
JUDGE_FOLDS = 5
BIG = 4000  # from this many corrections on, 3 folds are enough (and keep a retrain < 60 s)
BATCH_SAMPLE = 2000  # the noise test reads at most this many of the new corrections
PRIOR_TASKS = ("sentiment", "complaint")
LOOP_FEATURES = {"sentiment": "words+chars", "complaint": "words+chars", "topic": "words"}


def task_label(task: str, value: str) -> str:
    """A correction's label as the task reads it: urgency critical or high is a complaint."""
    if task == "complaint":
        return "1" if value in ("critical", "high") else "0"
    return value


def macro_f1(truth: np.ndarray, predicted: np.ndarray, labels: Sequence[str]) -> float:
    """Macro-F1 over `labels` (the labels in the truth), as sklearn's f1_score computes it."""
    scores = []
    for label in labels:
        tp = float(np.sum((predicted == label) & (truth == label)))
        fp = float(np.sum((predicted == label) & (truth != label)))
        fn = float(np.sum((predicted != label) & (truth == label)))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def permutation_p(truth: np.ndarray, predicted: np.ndarray, seed: int = 0) -> float:
    """How often labels shuffled at random score a macro-F1 at least as high against the same
    predictions: the chance that the agreement is luck."""
    labels = sorted(set(truth.tolist()))
    observed = macro_f1(truth, predicted, labels)
    rng = np.random.default_rng(seed)
    hits = sum(
        macro_f1(rng.permutation(truth), predicted, labels) >= observed for _ in range(PERMUTATIONS)
    )
    return (hits + 1) / (PERMUTATIONS + 1)


def out_of_fold(
    task: str,
    rows: list,
    labels: np.ndarray,
    folds: np.ndarray,
    extra_rows: list | None = None,
    extra_labels: np.ndarray | None = None,
) -> np.ndarray:
    """Each row's prediction by the task's recipe fitted without the row's fold (`folds`: a
    fold number per row), with `extra_rows` always in the fit: what a model trained on the rest
    makes of rows it has never seen."""
    extra_rows = extra_rows or []
    extra = np.asarray(extra_labels if extra_labels is not None else [], dtype=object)
    out = np.empty(len(rows), dtype=object)
    for fold in np.unique(folds):
        fit_idx, test_idx = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        fit_labels = np.concatenate([labels[fit_idx], extra])
        if len(set(fit_labels.tolist())) < 2:  # nothing to learn from: the majority label
            out[test_idx] = fit_labels[0] if len(fit_labels) else labels[0]
            continue
        model = build_pipeline(LOOP_FEATURES[task], task in PRIOR_TASKS).fit(
            [rows[i] for i in fit_idx] + extra_rows, fit_labels
        )
        out[test_idx] = model.predict([rows[i] for i in test_idx])
    return out


def judge_folds(n: int) -> int:
    return JUDGE_FOLDS if n < BIG else 3


def fold_ids(texts: Sequence[str], folds: int) -> np.ndarray:
    return np.array([corrections.text_fold(t, folds) for t in texts])


def batch_p(task: str, texts: list[str], labels: np.ndarray) -> float | None:
    """The permutation p-value of 3-fold predictions within a batch, or None when the batch
    is too small or too one-sided to test."""
    counts = {lbl: int(np.sum(labels == lbl)) for lbl in set(labels.tolist())}
    if len(texts) < MIN_BATCH or len(counts) < 2 or min(counts.values()) < 3:
        return None
    if len(texts) > BATCH_SAMPLE:  # plenty to tell noise from signal, at a bounded cost
        keep = np.random.default_rng(0).choice(len(texts), BATCH_SAMPLE, replace=False)
        texts, labels = [texts[i] for i in keep], labels[keep]
    rows = samples(texts, LOOP_FEATURES[task], task in PRIOR_TASKS)
    return permutation_p(labels, out_of_fold(task, rows, labels, fold_ids(texts, 3)))


@dataclass
class Judged:
    macro_f1: float
    accuracy: float
    f1: dict[str, float]
    confusion: dict[str, Any]


def judge(truth: np.ndarray, predicted: np.ndarray) -> Judged:
    labels = sorted(set(truth.tolist()) | set(predicted.tolist()))
    matrix = [[int(np.sum((truth == a) & (predicted == b))) for b in labels] for a in labels]
    return Judged(
        round(macro_f1(truth, predicted, sorted(set(truth.tolist()))), 4),
        round(float(np.mean(truth == predicted)), 4),
        {lbl: round(macro_f1(truth, predicted, [lbl]), 4) for lbl in labels},
        {"labels": labels, "rows_truth_columns_predicted": matrix},
    )


def retrain(
    engine: Engine,
    task: str,
    author: str = "retrain",
    base: Labeled | None = None,
    message: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Train, judge and maybe promote a candidate for `task`; returns what was decided."""
    if task not in TASKS:
        raise ModelError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    started = time.monotonic()
    now = now or utcnow()
    rows = corrections.training_rows(engine, TASK_FIELD[task])
    current_row = stored.in_force(engine, task)
    current: TextModel | None = in_force(engine).get(task)
    since = int((current_row.meta if current_row else {}).get("last_correction_id", 0))
    new = [i for i, r in enumerate(rows) if r["id"] > since]  # unseen by the model in force
    result: dict[str, Any] = {
        "task": task,
        "version": None,
        "macro_f1": None,
        "current_version": current.version if current else "default",
        "current_macro_f1": None,
        "n_corrections": len(rows),
        "n_training": len(rows) + (len(base.texts) if base else 0),
        "new_corrections": len(new),
        "promoted": False,
        "reason": "",
    }

    def done(reason: str) -> dict[str, Any]:
        result["reason"] = reason
        result["seconds"] = round(time.monotonic() - started, 1)
        seen = max((r["id"] for r in rows), default=since)
        stored.record_attempt(engine, task, author, seen, result)
        return result

    if len(rows) < MIN_CORRECTIONS:
        return done(f"needs at least {MIN_CORRECTIONS} corrections; has {len(rows)}")
    if len(new) < MIN_BATCH:
        return done(
            f"only {len(new)} corrections since {result['current_version']}; at least "
            f"{MIN_BATCH} are needed to judge a candidate on"
        )
    texts = [r["text"] for r in rows]
    labels = np.array([task_label(task, r["label"]) for r in rows], dtype=object)
    p_batch = batch_p(task, [texts[i] for i in new], labels[new])
    result["new_corrections_p"] = p_batch
    if p_batch is not None and p_batch > P_MAX:
        origins = corrections.by_source(engine, TASK_FIELD[task], since)
        result["new_corrections_from"] = origins
        named = ", ".join(f"{n} from {who}" for who, n in sorted(origins.items()))
        return done(
            f"the {len(new)} corrections since {result['current_version']} look like noise: a "
            f"model trained on part of them predicts the rest no better than chance "
            f"(p = {p_batch:.3f}); they are {named}: check them, and remove a wrong batch with "
            f"`socialcare corrections discard --field {TASK_FIELD[task]} --source S`"
        )
    base_labels = np.array(list(base.labels) if base else [], dtype=object)
    if len(set(labels.tolist()) | set(base_labels.tolist())) < 2:
        return done("the corrections have only one label")
    feature_set, prior = LOOP_FEATURES[task], task in PRIOR_TASKS
    fit_rows = samples(texts, feature_set, prior)
    base_rows = samples(list(base.texts), feature_set, prior) if base else []
    oof = out_of_fold(
        task, fit_rows, labels, fold_ids(texts, judge_folds(len(rows))), base_rows, base_labels
    )
    truth, predicted = labels[new].astype(str), oof[new].astype(str)
    judged_texts = [texts[i] for i in new]
    before = np.array(
        current.predict(judged_texts) if current else default_predict(task, judged_texts)
    )
    mine, theirs = judge(truth, predicted), judge(truth, before)
    p_judged = permutation_p(truth, predicted)
    result.update(macro_f1=mine.macro_f1, current_macro_f1=theirs.macro_f1, judged_p=p_judged)
    if p_judged > P_MAX:
        return done(
            f"the candidate is no better than chance on the {len(new)} corrections it was "
            f"judged on (p = {p_judged:.3f})"
        )
    margin = 0.0 if current is None else TOLERANCE
    if mine.macro_f1 < theirs.macro_f1 - margin:
        allowed = f" by more than {margin}" if margin else ""
        return done(
            f"the candidate's macro-F1 {mine.macro_f1:.4f} is below the model in force's "
            f"{theirs.macro_f1:.4f}{allowed} on the same {len(new)} corrections neither was trained on"
        )
    # the gate passed: the same recipe, fitted on every correction
    candidate = train_samples(
        task,
        fit_rows + base_rows,
        labels.tolist() + base_labels.tolist(),
        0,
        feature_set,
        prior,
    )
    candidate.meta.update(
        corrections=len(rows),
        training_rows=len(fit_rows) + len(base_rows),
        base_rows=len(base.texts) if base else 0,
        last_correction_id=max(r["id"] for r in rows),
        evaluation={
            "judged_rows": len(new),
            "judged_by": f"{judge_folds(len(rows))}-fold out-of-fold predictions",
            "macro_f1": mine.macro_f1,
            "accuracy": mine.accuracy,
            "f1": mine.f1,
            "confusion": mine.confusion,
            "p_value": p_judged,
            "new_corrections_p": p_batch,
            "replaced": result["current_version"],
            "replaced_macro_f1": theirs.macro_f1,
            "replaced_confusion": theirs.confusion,
        },
    )
    why = message or (
        f"retrained on {len(rows)} corrections: macro-F1 {mine.macro_f1:.4f} vs "
        f"{theirs.macro_f1:.4f} in force"
    )
    result["version"] = publish(engine, candidate, author, why, "retrain")
    result["promoted"] = True
    return done(why)
