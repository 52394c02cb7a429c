"""The learning loop on the shared airline tweets: corrections → retrain → gate → promote, with
versions, rollback, hot reload in the classify stage and a retrain on a schedule. Rows are read
from ../shared/data at test time; the split is by a seeded shuffle, never copied."""

from __future__ import annotations

import csv
import io
import json
import random

import numpy as np
import pytest
from click.testing import CliRunner

from classify.active import review_order
from classify.classifier import Classifier
from classify.evaluate import default_predict
from classify.learned import ModelError, from_blobs
from classify.learning import MIN_CORRECTIONS, macro_f1, retrain
from classify.registry import ClassifierSource, in_force, rollback
from classify.schedule import RetrainSchedule, pending
from classify.stage import ClassifyStage
from socialcare.cli import main
from socialcare.errors import InputError
from socialcare.store import corrections
from socialcare.store import models as stored
from socialcare.store.db import open_store
from socialcare.stream.bus import Record
from socialcare.stream.schema import utcnow
from tests.factories import mention

SEED = 11


@pytest.fixture(scope="module")
def airline(shared_data) -> list[tuple[str, str]]:
    with (shared_data / "airline_tweets.csv").open(newline="", encoding="utf-8") as fh:
        rows = [(r["text"], r["sentiment"]) for r in csv.DictReader(fh) if r["sentiment"]]
    random.Random(SEED).shuffle(rows)
    return rows


@pytest.fixture(scope="module")
def learned(tmp_path_factory, airline):
    """A store with 1,000 imported corrections and the version they promoted."""
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('loop') / 'cases.db'}")
    corrections.import_rows(engine, "sentiment", airline[:1000], "import", "import:a", utcnow())
    result = retrain(engine, "sentiment")
    return engine, result


def _f1(model_predict, rows) -> float:
    truth = np.array([label for _, label in rows])
    predicted = np.array(model_predict([text for text, _ in rows]))
    return macro_f1(truth, predicted, sorted(set(truth.tolist())))


def test_a_thousand_corrections_are_promoted_and_beat_the_default_on_unseen_rows(learned, airline):
    engine, result = learned
    assert result["promoted"], result["reason"]
    assert result["n_corrections"] == 1000
    assert result["n_training"] == result["new_corrections"] == 1000
    assert result["macro_f1"] >= result["current_macro_f1"]  # judged on the same rows
    version = stored.in_force(engine, "sentiment")
    assert version.version == result["version"]
    assert version.meta["evaluation"]["confusion"]["labels"] == ["negative", "neutral", "positive"]
    assert (
        sum(map(sum, version.meta["evaluation"]["confusion"]["rows_truth_columns_predicted"]))
        == result["new_corrections"]
        == 1000  # the default never saw any of them: every correction judges it
    )
    unseen = airline[5000:7000]
    model = in_force(engine)["sentiment"]
    learned_f1 = _f1(model.predict, unseen)
    default_f1 = _f1(lambda texts: default_predict("sentiment", texts), unseen)
    assert learned_f1 > default_f1


def test_a_shuffled_batch_is_not_promoted_and_can_be_discarded(learned, airline):
    engine, first = learned
    batch = airline[1000:1600]
    labels = [label for _, label in batch]
    random.Random(3).shuffle(labels)
    shuffled = [(text, label) for (text, _), label in zip(batch, labels, strict=True)]
    corrections.import_rows(engine, "sentiment", shuffled, "bulk", "import:shuffled.csv", utcnow())
    result = retrain(engine, "sentiment")
    assert not result["promoted"]
    assert "noise" in result["reason"] and "import:shuffled.csv" in result["reason"]
    assert stored.in_force(engine, "sentiment").version == first["version"]  # unchanged

    assert corrections.discard(engine, "sentiment", "import:shuffled.csv", None) == 600
    assert pending(engine)["sentiment"][1] == 0
    with pytest.raises(InputError):
        corrections.discard(engine, "sentiment", None, None)


def test_too_few_corrections_keep_the_default(tmp_path, airline):
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    few = airline[: MIN_CORRECTIONS - 1]
    corrections.import_rows(engine, "sentiment", few, "import", "import:few", utcnow())
    result = retrain(engine, "sentiment")
    assert not result["promoted"] and result["version"] is None
    assert f"at least {MIN_CORRECTIONS}" in result["reason"]
    assert stored.in_force(engine, "sentiment") is None


def test_an_import_with_a_bad_label_adds_nothing(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    rows = [("late again", "negative"), ("fine", "so-so"), ("great", "positive")]
    with pytest.raises(InputError, match="row 2: 'so-so'"):
        corrections.import_rows(engine, "sentiment", rows, "import", "import:x", utcnow())
    assert corrections.count_since(engine, "sentiment", 0) == 0


def test_a_text_is_always_in_the_same_fold():
    text = "My bag is lost and nobody answers"
    fold = corrections.text_fold(text, 5)
    assert corrections.text_fold("  my BAG is lost   and nobody answers ", 5) == fold
    counts = np.bincount([corrections.text_fold(f"post number {i}", 5) for i in range(5000)])
    assert counts.min() > 900  # about a fifth each


def test_rollback_and_hot_reload_in_the_classify_stage(learned, tmp_path):
    engine, result = learned
    source = ClassifierSource(engine, check_s=0)
    stage = ClassifyStage(source)
    record = Record("mentions.raw", 0, 0, b"k", mention("p1", text="still no refund").to_json())

    def version_used() -> str:
        out = stage.process([record])
        return json.loads(out.messages[0].value)["classification"]["model_version"]

    assert f"sentiment:{result['version']}" in version_used()
    rollback(engine, "sentiment", "default", "ada", "testing the default")
    assert version_used() == "rules-1"  # no restart: the next batch uses the default
    rollback(engine, "sentiment", result["version"], "ada")
    assert f"sentiment:{result['version']}" in version_used()
    actions = [h["action"] for h in stored.history(engine, "sentiment")]
    assert actions[-2:] == ["rollback", "rollback"]


def test_a_stored_model_cannot_run_code(learned):
    engine, _ = learned
    row = stored.in_force(engine, "sentiment")
    pickled = io.BytesIO()
    np.savez(pickled, idf=np.array([object()], dtype=object), coef=np.zeros((3, 1)))
    with pytest.raises(ModelError, match="not a usable model"):
        from_blobs(row.meta, row.vocabulary, pickled.getvalue(), "sentiment")


def test_run_retrains_on_a_schedule(tmp_path, airline):
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    schedule = RetrainSchedule(engine, every=300, check_every_s=0)
    corrections.import_rows(engine, "sentiment", airline[:299], "desk", "import:a", utcnow())
    schedule.tick()
    assert not schedule.busy() and schedule.results == []  # 299 < 300: nothing due
    corrections.import_rows(engine, "sentiment", airline[299:600], "desk", "import:b", utcnow())
    schedule.tick()
    schedule.join(120)
    assert [r["task"] for r in schedule.results] == ["sentiment"]
    assert schedule.results[0]["promoted"], schedule.results[0]["reason"]
    assert schedule.due() == []  # the same corrections are not retrained on again


def test_the_schedule_runs_as_its_own_process_for_separate_stages(tmp_path, airline):
    """`socialcare models schedule` is `run`'s schedule for stages run as separate processes."""
    home = tmp_path / "home"
    engine = open_store(f"sqlite:///{home / 'cases.db'}")
    corrections.import_rows(engine, "sentiment", airline[:600], "desk", "import:a", utcnow())
    engine.dispose()
    cli = CliRunner()

    def schedule(*args: str) -> dict:
        result = cli.invoke(main, ["models", "schedule", "--once", *args, "--home", str(home)])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    off = schedule("--every", "0")
    assert off["retrained"] == [] and off["new_corrections"]["sentiment"] == 600
    assert schedule("--every", "601")["retrained"] == []  # 600 < 601: nothing due yet
    decided = schedule("--every", "600")
    assert [r["task"] for r in decided["retrained"]] == ["sentiment"]
    assert decided["retrained"][0]["promoted"], decided["retrained"][0]["reason"]
    again = schedule("--every", "600")  # the same corrections are not retrained on again
    assert again["retrained"] == [] and again["new_corrections"]["sentiment"] == 0
    bad = cli.invoke(main, ["models", "schedule", "--once", "--every", "-1", "--home", str(home)])
    assert bad.exit_code == 2 and "--every" in bad.output


def test_a_turned_down_candidate_is_not_tried_again_until_more_corrections_come(tmp_path, airline):
    """Each `--once` is a new process: the store, not the process, remembers that the gate
    turned the corrections down."""
    home = tmp_path / "home"
    engine = open_store(f"sqlite:///{home / 'cases.db'}")
    batch = airline[:600]
    labels = [label for _, label in batch]
    random.Random(3).shuffle(labels)
    shuffled = [(text, label) for (text, _), label in zip(batch, labels, strict=True)]
    corrections.import_rows(engine, "sentiment", shuffled, "bulk", "import:shuffled.csv", utcnow())
    cli = CliRunner()

    def once() -> list[dict]:
        args = ["models", "schedule", "--once", "--every", "300", "--home", str(home)]
        result = cli.invoke(main, args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["retrained"]

    first = once()
    assert [(r["task"], r["promoted"]) for r in first] == [("sentiment", False)]
    assert "noise" in first[0]["reason"]
    assert once() == []  # the same corrections again: not retried
    corrections.import_rows(engine, "sentiment", airline[600:900], "desk", "import:b", utcnow())
    assert [r["task"] for r in once()] == ["sentiment"]  # 300 new ones: tried again
    listed = cli.invoke(main, ["models", "attempts", "--home", str(home)])
    assert listed.exit_code == 0, listed.output
    attempts = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [a["seen_correction_id"] for a in attempts] == [900, 600]  # newest first
    assert attempts[1]["author"] == "schedule" and "noise" in attempts[1]["reason"]


def test_cli_import_retrain_eval_list_and_rollback(tmp_path, airline):
    home = tmp_path / "home"
    data, test = tmp_path / "corrections.csv", tmp_path / "test.csv"
    for path, rows in ((data, airline[:600]), (test, airline[3000:3400])):
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["tweet", "mood"])
            w.writerows(rows)
    cli = CliRunner()

    def run(*args: str):
        result = cli.invoke(main, [*args, "--home", str(home)])
        assert result.exit_code == 0, result.output
        return result

    def evaluate() -> dict:
        return json.loads(
            run(
                "eval", "--task", "sentiment", "--data", str(test),
                "--text-column", "tweet", "--label-column", "mood",
            ).stdout
        )  # fmt: skip

    imported = run(
        "corrections", "import", "--field", "sentiment", "--data", str(data),
        "--text-column", "tweet", "--label-column", "mood", "--author", "bulk",
    )  # fmt: skip
    assert "600 sentiment corrections imported" in imported.stderr
    decided = json.loads(run("models", "retrain", "--task", "sentiment").stdout)
    assert decided["promoted"] and decided["n_corrections"] == 600
    for key in ("version", "task", "macro_f1", "current_macro_f1", "n_corrections", "reason"):
        assert key in decided
    evaluated = evaluate()
    assert evaluated["model"] == f"in force: {decided['version']}"
    listed = [json.loads(line) for line in run("models", "list").stdout.splitlines()]
    assert [r["in_force"] for r in listed] == [True]
    shown = json.loads(run("models", "show", decided["version"]).stdout)
    assert shown["meta"]["evaluation"]["macro_f1"] == decided["macro_f1"]
    run("models", "rollback", "default", "--task", "sentiment", "--author", "ada")
    again = evaluate()
    assert again["model"] == "default"

    bad = tmp_path / "bad.csv"
    bad.write_text("tweet,mood\nlate again,furious\n", encoding="utf-8")
    refused = cli.invoke(
        main,
        ["corrections", "import", "--field", "sentiment", "--data", str(bad),
         "--text-column", "tweet", "--label-column", "mood", "--home", str(home)],
    )  # fmt: skip
    assert refused.exit_code != 0 and "nothing imported" in refused.output


def test_the_review_order_mixes_the_least_sure_with_the_newest():
    margins = [0.5, 0.1, 0.9, 0.2, 0.3, 0.05]  # candidates newest first
    assert review_order(6, margins, 6, explore=0.0) == [5, 1, 3, 4, 0, 2]
    assert review_order(6, margins, 4, explore=0.5) == [5, 0, 1, 2]
    assert review_order(6, None, 3) == [0, 1, 2]  # the default: the newest
    assert review_order(0, [], 5) == []


def test_uncertainty_puts_borderline_posts_first():
    clf = Classifier()
    sure, unsure = "Worst airline ever, lost my bag and nobody helps", "ok thanks i guess"
    margins = clf.sentiment_margins([sure, unsure])
    assert margins[1] < margins[0]
    assert clf.sentiment_margins([]) == []


def test_models_in_force_are_listed_without_weights(learned):
    engine, _ = learned
    rows = stored.history(engine)
    assert all("weights" not in r and "vocabulary" not in r for r in rows)
    assert [r["version"] for r in rows if r["in_force"]] == [
        stored.in_force(engine, "sentiment").version
    ]
