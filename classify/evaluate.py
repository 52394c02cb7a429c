"""`socialcare eval`: accuracy, macro-F1 and per-label F1 of a model, or of the untrained
default, on a labeled CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score

from classify.dataset import read_labeled
from classify.learned import TASKS, ModelError, TextModel, load


def default_predict(task: str, texts: list[str]) -> list[str]:
    """The untrained default: VADER + care language for sentiment; a post the care label calls
    negative counts as a complaint ("1", else "0"); the keyword taxonomy for topic."""
    from classify.classifier import Classifier

    clf = Classifier()
    if task == "topic":
        return clf.topic.predict(texts)
    labels = [s.label for s in clf.sentiment.predict(texts)]
    if task == "complaint":
        return ["1" if label == "negative" else "0" for label in labels]
    return labels


def evaluate(
    task: str,
    data: Path,
    text_column: str,
    label_column: str,
    model: Path | None = None,
    in_force: TextModel | None = None,
) -> dict[str, Any]:
    """Figures of the model directory `model`, else of `in_force` (the stored version in
    force), else of the untrained default."""
    if task not in TASKS:
        raise ModelError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    rows = read_labeled(data, text_column, label_column)
    if model is not None:
        predicted = load(model, task).predict(rows.texts)
        name = str(model)
    elif in_force is not None:
        predicted = in_force.predict(rows.texts)
        name = f"in force: {in_force.version}"
    else:
        predicted = default_predict(task, rows.texts)
        name = "default"
    labels = sorted(set(rows.labels) | set(predicted))
    per_label = f1_score(rows.labels, predicted, labels=labels, average=None, zero_division=0)
    return {
        "task": task,
        "model": name,
        "n": len(rows.texts),
        "skipped_unlabeled": rows.skipped,
        "accuracy": round(float(accuracy_score(rows.labels, predicted)), 4),
        "macro_f1": round(
            float(
                f1_score(
                    rows.labels,
                    predicted,
                    labels=sorted(set(rows.labels)),
                    average="macro",
                    zero_division=0,
                )
            ),
            4,
        ),
        "f1": {label: round(float(v), 4) for label, v in zip(labels, per_label, strict=True)},
    }
