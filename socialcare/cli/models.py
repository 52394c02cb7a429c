"""`socialcare train` and `socialcare eval` (learned classifier models from labeled CSVs),
`socialcare models` (the learning loop: retrain from corrections behind a gate, versions in
the case store, rollback) and `socialcare corrections import|export`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from socialcare.cli.app import echo_json, format_option, main, stop_on_signals, with_runtime
from socialcare.runtime import Runtime


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
@click.option(
    "--prior/--no-prior",
    default=False,
    show_default=True,
    help="Also weigh the default's reading of each text (VADER, care cues): better with a few "
    "hundred rows, slower to score (VADER runs too).",
)
def train(task, data, text_column, label_column, out, folds, feature_set, prior) -> None:
    """Train a model for TASK from a labeled CSV and write it to --out."""
    from classify import training
    from classify.dataset import read_labeled

    rows = read_labeled(data, text_column, label_column)
    click.echo(
        f"training {task} on {len(rows.texts)} rows ({folds}-fold cross-validation first) …",
        err=True,
    )
    model = training.train(task, rows.texts, rows.labels, folds, feature_set, prior)
    model.save(out)
    click.echo(json.dumps({"out": str(out), **model.meta}))


@main.command("eval")
@_task_options
@click.option(
    "--model",
    type=click.Path(file_okay=False, path_type=Path),
    help="A model directory from `train`; without it, the model in force in HOME (see "
    "`socialcare models list`), else the untrained default.",
)
@with_runtime()
def eval_(rt: Runtime, task, data, text_column, label_column, model) -> None:
    """Evaluate a model (or the one in force, or the default) on a labeled CSV; prints one
    JSON object."""
    from classify.evaluate import evaluate

    in_force = None
    if model is None and rt.has_store():
        from classify.registry import in_force as models_in_force

        in_force = models_in_force(rt.engine).get(task)
    click.echo(json.dumps(evaluate(task, data, text_column, label_column, model, in_force)))


@main.group()
def models() -> None:
    """The classifier's versions: retrain from corrections, list, show, roll back."""


@models.command("retrain")
@click.option("--task", required=True, type=click.Choice(["sentiment", "complaint", "topic"]))
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A base labeled CSV trained on with the corrections (optional).",
)
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
@click.option("--author", default="retrain", show_default=True)
@click.option("-m", "--message", default="", help="Why (default: the figures).")
@format_option(("json", "table"), "json")
@with_runtime()
def models_retrain(
    rt: Runtime, task, data, text_column, label_column, author, message, fmt
) -> None:
    """Train a candidate from the corrections, judge it against the model in force on the same
    held-out corrections, and promote it only if it is at least as good. Exit 0 either way;
    `promoted` and `reason` say what happened."""
    from classify.dataset import read_labeled
    from classify.learning import retrain

    base = read_labeled(data, text_column, label_column) if data else None
    click.echo(f"retraining {task} …", err=True)
    result = retrain(rt.engine, task, author, base, message)
    if fmt == "json":
        echo_json(result)
        return
    for key, value in result.items():
        click.echo(f"{key:22} {value}")


@models.command("schedule")
@click.option(
    "--every",
    type=click.IntRange(0),
    help="New corrections of a task that start its retrain; 0: never "
    "[default: SOCIALCARE_RETRAIN_EVERY].",
)
@click.option(
    "--check-seconds",
    type=click.FloatRange(1),
    help="How often the corrections are counted [default: as in `run`, every 60 s].",
)
@click.option(
    "--once",
    is_flag=True,
    help="Count once, finish any retrain that starts, print, exit (for cron).",
)
@with_runtime()
def models_schedule(rt: Runtime, every, check_seconds, once) -> None:
    """Retrain on a schedule, as `run` does inside: a task whose new corrections reach --every
    is retrained behind the same gate as `models retrain`. For stages run as separate processes
    (the compose file's `retrain` service). Prints each retrain's result as a JSON line."""
    from classify.schedule import CHECK_EVERY_S, RetrainSchedule, pending

    every = rt.settings.retrain_every if every is None else every
    check_seconds = CHECK_EVERY_S if check_seconds is None else check_seconds
    schedule = RetrainSchedule(rt.engine, every, check_seconds)
    if once:
        waiting = {task: count for task, (_last, count) in pending(rt.engine).items()}
        schedule.tick()
        schedule.join()
        echo_json({"every": every, "new_corrections": waiting, "retrained": schedule.results})
        return
    stop = stop_on_signals()
    if every <= 0:
        click.echo("scheduled retraining is off (--every 0); waiting to be stopped", err=True)
        stop.wait()
        return
    click.echo(f"retraining a task once {every} new corrections of it are in", err=True)
    shown = 0
    stopping = False
    while not stopping:
        schedule.tick()
        stopping = stop.wait(check_seconds)
        if stopping:
            schedule.join()  # a retrain under way finishes (it is written in one transaction)
        for result in schedule.results[shown:]:
            echo_json(result)
        shown = len(schedule.results)


@models.command("attempts")
@click.option("--task", type=click.Choice(["sentiment", "complaint", "topic"]))
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@with_runtime()
def models_attempts(rt: Runtime, task, limit) -> None:
    """Every retrain's decision, promoted or not, newest first, one JSON object per line: who,
    when, the newest correction it saw, and why."""
    from socialcare.store.models import attempts

    for row in attempts(rt.require_store(), task, limit):
        echo_json(row)


@models.command("list")
@click.option("--task", type=click.Choice(["sentiment", "complaint", "topic"]))
@with_runtime()
def models_list(rt: Runtime, task) -> None:
    """Every stored version, oldest first, one JSON object per line (in_force marks the
    newest of each task; a task with none uses the untrained default)."""
    from socialcare.store.models import history

    for row in history(rt.require_store(), task):
        echo_json(row)


@models.command("show")
@click.argument("version")
@with_runtime()
def models_show(rt: Runtime, version) -> None:
    """One version: who, when, why, and its evaluation (figures, confusion matrix)."""
    from socialcare.store.models import by_version

    found = by_version(rt.require_store(), version)
    echo_json(
        {
            "task": found.task,
            "version": found.version,
            "action": found.action,
            "author": found.author,
            "message": found.message,
            "published_at": found.published_at,
            "meta": found.meta,
        }
    )


@models.command("rollback")
@click.argument("version")
@click.option("--task", required=True, type=click.Choice(["sentiment", "complaint", "topic"]))
@click.option("--author", required=True)
@click.option("-m", "--message", default="")
@with_runtime()
def models_rollback(rt: Runtime, version, task, author, message) -> None:
    """Put an earlier VERSION (or `default`, the untrained default) back in force; running
    classify workers pick it up within seconds."""
    from classify.registry import rollback

    rollback(rt.require_store(), task, version, author, message)
    click.echo(f"{task}: version {version} is in force again")
