"""The learning loop measured: a learning curve of the model the loop trains, by number of
corrections, with corrections chosen at random or by uncertainty sampling (the desk's Review
page), and how long a retrain on 10,000 corrections takes on one core.

    .venv/bin/python benchmarks/learning.py [--folds 3] [--sizes 250,500,1000,2000,5000]
                                            [--retrain-rows 10000]      (also part of `make bench`)

Airline sentiment from ../shared/data, cross-validated: the rows are split into `--folds` folds;
for each fold the others are the pool an agent could label and the fold is the test set. At each
size the figure is the macro-F1 on the test fold of the loop's recipe (classify/learning.py:
words, character n-grams and the default's reading as features) fitted on the chosen rows,
averaged over folds, with the untrained default's macro-F1 on the same folds beside it.

- random: the first N rows of a shuffled pool;
- uncertainty: the Review page's order (classify/active.py) in batches of 250: the first batch
  the newest (no learned model yet), then each batch the least sure by the latest model (its
  margin between its two likeliest labels), with a share `--explore` (default 0.5) of the
  newest mixed in.

The retrain timing runs `socialcare models retrain` (noise test, out-of-fold judging, final fit)
as its own process, pinned to one core where the OS allows, on a fresh home with
`--retrain-rows` imported corrections; start-up included.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classify.active import EXPLORE, review_order  # noqa: E402
from classify.evaluate import default_predict  # noqa: E402
from classify.learning import LOOP_FEATURES, macro_f1  # noqa: E402
from classify.training import TextRegression, samples  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
LABELS = ["negative", "neutral", "positive"]
STEP = 250


def airline() -> tuple[list[str], np.ndarray]:
    with (SHARED / "airline_tweets.csv").open(newline="", encoding="utf-8") as fh:
        rows = [(r["text"], r["sentiment"]) for r in csv.DictReader(fh) if r["sentiment"]]
    random.Random(0).shuffle(rows)
    return [t for t, _ in rows], np.array([label for _, label in rows], dtype=object)


def fit(rows: list, labels: np.ndarray) -> TextRegression:
    return TextRegression(LOOP_FEATURES["sentiment"], prior=True).fit(rows, labels)


def margins(model: TextRegression, rows: list) -> np.ndarray:
    proba = np.sort(model.predict_proba(rows), axis=1)
    return proba[:, -1] - proba[:, -2]


def uncertainty_order(
    rows: list, labels: np.ndarray, pool: np.ndarray, sizes: list[int], explore: float
) -> dict[int, np.ndarray]:
    """The rows the Review page's order (classify/active.py) has had labeled at each size, in
    batches of `STEP`, the pool's order standing for newest first: the first batch the newest
    (no model yet), then each batch in the order the latest model gives."""
    chosen: list[int] = []
    left = pool.copy()
    out = {}
    while True:
        for size in sizes:
            if size == len(chosen):
                out[size] = np.array(chosen)
        if len(chosen) >= max(sizes) or len(left) == 0:
            return out
        take = min(STEP, max(sizes) - len(chosen))
        sure = None
        if chosen:
            sure = margins(fit([rows[i] for i in chosen], labels[chosen]), [rows[i] for i in left])
        picked = left[review_order(len(left), sure, take, explore)]
        chosen.extend(picked.tolist())
        left = np.setdiff1d(left, picked)  # sorted: the pool's order


def curve(folds: int, sizes: list[int], explore: float = EXPLORE) -> dict:
    texts, labels = airline()
    print(f"  features for {len(texts):,} tweets …", file=sys.stderr, flush=True)
    rows = samples(texts, LOOP_FEATURES["sentiment"], prior=True)
    fold_of = np.arange(len(texts)) % folds
    figures: dict[str, dict[int, list[float]]] = {"random": {}, "uncertainty": {}}
    defaults = []
    for k in range(folds):
        test, pool = np.flatnonzero(fold_of == k), np.flatnonzero(fold_of != k)
        truth = labels[test]
        test_rows = [rows[i] for i in test]
        defaults.append(
            macro_f1(
                truth, np.array(default_predict("sentiment", [texts[i] for i in test])), LABELS
            )
        )
        picks = {"random": {n: pool[:n] for n in sizes}}
        print(f"  fold {k + 1}/{folds}: uncertainty sampling …", file=sys.stderr, flush=True)
        picks["uncertainty"] = uncertainty_order(rows, labels, pool, sizes, explore)
        for how, by_size in picks.items():
            for n, chosen in by_size.items():
                model = fit([rows[i] for i in chosen], labels[chosen])
                score = macro_f1(truth, model.predict(test_rows), LABELS)
                figures[how].setdefault(n, []).append(score)
    return {
        "folds": folds,
        "explore": explore,
        "default_macro_f1": round(float(np.mean(defaults)), 4),
        "curve": [
            {
                "corrections": n,
                "random": round(float(np.mean(figures["random"][n])), 4),
                "uncertainty": round(float(np.mean(figures["uncertainty"][n])), 4),
            }
            for n in sizes
        ],
    }


def retrain_seconds(n: int) -> dict:
    """`socialcare models retrain` on `n` imported corrections, as its own process on one core,
    start-up included (the import before it is not timed)."""
    texts, labels = airline()
    cli = [sys.executable, "-m", "socialcare.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        data, home = Path(tmp) / "corrections.csv", Path(tmp) / "home"
        with data.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["text", "label"])
            w.writerows(zip(texts[:n], labels[:n].tolist(), strict=True))
        subprocess.run(
            [*cli, "corrections", "import", "--field", "sentiment", "--data", str(data),
             "--text-column", "text", "--label-column", "label", "--home", str(home)],
            check=True, capture_output=True,
        )  # fmt: skip
        one_core = (
            (lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}))
            if hasattr(os, "sched_setaffinity")
            else None
        )
        started = time.perf_counter()
        done = subprocess.run(
            [*cli, "models", "retrain", "--task", "sentiment", "--home", str(home)],
            check=True, capture_output=True, text=True, preexec_fn=one_core,
        )  # fmt: skip
        seconds = time.perf_counter() - started
    result = json.loads(done.stdout)
    return {"corrections": n, "seconds": round(seconds, 1), "promoted": result["promoted"]}


def bench(
    folds: int = 3,
    sizes: list[int] | None = None,
    retrain_rows: int = 10_000,
    explore: float = EXPLORE,
) -> dict:
    sizes = sizes or [250, 500, 1000, 2000, 5000]
    out = curve(folds, sizes, explore)
    print(f"  retrain on {retrain_rows:,} corrections …", file=sys.stderr, flush=True)
    out["retrain"] = retrain_seconds(retrain_rows)
    return out


def show(result: dict) -> None:
    print(
        f"\nlearning curve, airline sentiment, macro-F1 ({result['folds']}-fold CV; "
        f"untrained default {result['default_macro_f1']}):"
    )
    print(f"  {'corrections':>11}  {'random':>8}  {'uncertainty':>11}")
    for row in result["curve"]:
        print(f"  {row['corrections']:>11,}  {row['random']:>8.4f}  {row['uncertainty']:>11.4f}")
    r = result["retrain"]
    print(f"  retrain on {r['corrections']:,} corrections, one core: {r['seconds']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--sizes", default="250,500,1000,2000,5000")
    parser.add_argument("--retrain-rows", type=int, default=10_000)
    parser.add_argument("--explore", type=float, default=EXPLORE)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if any(n <= 0 or n % STEP for n in sizes):
        parser.error(f"--sizes are positive multiples of {STEP} (uncertainty sampling's batch)")
    result = bench(args.folds, sizes, args.retrain_rows, args.explore)
    show(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
