"""`socialcare train` and `socialcare eval`: learned classifier models from labeled CSVs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from socialcare.cli.app import main


def _task_options(f):
    f = click.option("--label-column", required=True, help="Column holding the label.")(f)
    f = click.option("--text-column", required=True, help="Column holding the post text.")(f)
    f = click.option(
        "--data",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="A labeled CSV.",
    )(f)
    return click.option(
        "--task", required=True, type=click.Choice(["sentiment", "complaint", "topic"])
    )(f)


@main.command()
@_task_options
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Model directory to write (e.g. models/sentiment).",
)
@click.option(
    "--folds",
    default=5,
    show_default=True,
    type=click.IntRange(0, 20),
    help="Cross-validation folds reported in meta.json (0: none).",
)
@click.option(
    "--features",
    "feature_set",
    type=click.Choice(["words", "words+chars"]),
    help="Feature set [default: words+chars for complaint, words otherwise]; "
    "words+chars is more accurate on small varied data and about 2x slower to score.",
)
def train(task, data, text_column, label_column, out, folds, feature_set) -> None:
    """Train a model for TASK from a labeled CSV and write it to --out."""
    from classify import training
    from classify.dataset import read_labeled

    rows = read_labeled(data, text_column, label_column)
    click.echo(
        f"training {task} on {len(rows.texts)} rows ({folds}-fold cross-validation first) …",
        err=True,
    )
    model = training.train(task, rows.texts, rows.labels, folds, feature_set)
    model.save(out)
    click.echo(json.dumps({"out": str(out), **model.meta}))


@main.command("eval")
@_task_options
@click.option(
    "--model",
    type=click.Path(file_okay=False, path_type=Path),
    help="A model directory from `train`; without it, the untrained default.",
)
def eval_(task, data, text_column, label_column, model) -> None:
    """Evaluate a model (or the default) on a labeled CSV; prints one JSON object."""
    from classify.evaluate import evaluate

    click.echo(json.dumps(evaluate(task, data, text_column, label_column, model)))
