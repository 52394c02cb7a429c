"""The classifier measured on the shared, labeled tweets (read at test time, never copied)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np

from classify.classifier import Classifier
from classify.evaluate import evaluate
from classify.learned import load_dir

CLI = [sys.executable, "-m", "socialcare.cli"]


def test_default_sentiment_reads_care_language(shared_data):
    report = evaluate("sentiment", shared_data / "airline_tweets.csv", "text", "sentiment")
    assert report["n"] == 10340
    assert report["macro_f1"] >= 0.60  # VADER alone: about 0.46
    assert set(report["f1"]) == {"negative", "neutral", "positive"}


def test_default_score_keeps_general_sentiment(shared_data):
    with (shared_data / "vader_tweets_groundtruth.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    scores = Classifier().sentiment.compound([r["text"] for r in rows])
    r = np.corrcoef(scores, [float(x["mean_rating"]) for x in rows])[0, 1]
    assert r >= 0.87


def test_train_then_eval_and_classify_with_the_model(shared_data, tmp_path):
    rows = list(csv.DictReader((shared_data / "complaints.csv").open(newline="")))
    train_csv, test_csv = tmp_path / "train.csv", tmp_path / "test.csv"
    for path, part in ((train_csv, rows[::2]), (test_csv, rows[1::2])):
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["domain", "complaint", "text"])
            w.writeheader()
            w.writerows(part)
    models = tmp_path / "models"
    trained = subprocess.run(
        [
            *CLI,
            "train",
            "--task",
            "complaint",
            "--data",
            str(train_csv),
            "--text-column",
            "text",
            "--label-column",
            "complaint",
            "--out",
            str(models / "complaint"),
            "--folds",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert json.loads(trained.stdout)["labels"] == ["0", "1"]
    out = subprocess.run(
        [
            *CLI,
            "eval",
            "--task",
            "complaint",
            "--data",
            str(test_csv),
            "--text-column",
            "text",
            "--label-column",
            "complaint",
            "--model",
            str(models / "complaint"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(out.stdout)
    default = evaluate("complaint", test_csv, "text", "complaint")
    assert report["n"] == len(rows[1::2])
    assert report["macro_f1"] > default["macro_f1"] and report["macro_f1"] >= 0.75
    clf = Classifier(load_dir(models))
    (tag,) = clf.classify(["@AcmeHelp my order never arrived and nobody answers my emails"])
    assert any(r.startswith("complaint (model)") for r in tag.urgency.reasons)


def test_eval_names_a_missing_column(shared_data):
    out = subprocess.run(
        [
            *CLI,
            "eval",
            "--task",
            "sentiment",
            "--data",
            str(shared_data / "complaints.csv"),
            "--text-column",
            "text",
            "--label-column",
            "sentiment",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "no column 'sentiment'; columns: domain, complaint, text" in out.stderr


def test_every_classification_built_is_one_the_schema_accepts(shared_data):
    """The classifier builds its Classification objects in code, unchecked (a Struct's
    constructor does not validate); each must read back through the schema as itself, or the
    router would dead-letter what the classifier wrote."""
    import msgspec

    from socialcare.stream.schema import Classification

    with (shared_data / "airline_tweets.csv").open(newline="") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    for tag in Classifier().classify(texts):
        assert msgspec.json.decode(tag.to_json(), type=Classification) == tag
