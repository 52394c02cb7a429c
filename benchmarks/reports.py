"""How long each report takes on a store of many posts (SQLite): the listening reports (share of
voice, over time, sentiment, topics, networks, trends, the drill-down) and the response-time
reports, on a case store the router itself filled.

    .venv/bin/python benchmarks/reports.py [--posts 100000]     (also part of `make bench`)

The posts are real tweets from ../shared/data (airline, complaints, twcs) spread over 14 days
with a daily rhythm across six brands and four networks, classified by the default classifier
and routed by the default rules. Each report is timed as the median of 3 runs after one
warm-up run (the first run reads the store file into the page cache).
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classify.classifier import Classifier  # noqa: E402
from route.casebook import CaseBook  # noqa: E402
from route.rules import default_rules  # noqa: E402
from socialcare.store import listening  # noqa: E402
from socialcare.store.db import open_store  # noqa: E402
from socialcare.store.listening import Scope  # noqa: E402
from socialcare.store.reports import run_report  # noqa: E402
from socialcare.stream.schema import mention_from_dict  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
BRANDS = {
    "AirCo": 0.3,
    "ShopCo": 0.2,
    "BankCo": 0.15,
    "TelCo": 0.15,
    "RideCo": 0.12,
    "FoodCo": 0.08,
}
NETWORKS = ("x", "x", "mastodon", "bluesky", "reddit")
START = datetime(2026, 3, 2, tzinfo=UTC)
DAYS = 14


def _texts() -> list[str]:
    out = []
    for name, column in (
        ("airline_tweets.csv", "text"),
        ("complaints.csv", "text"),
        ("twcs_sample.csv", "text"),
    ):
        with (SHARED / name).open(encoding="utf-8") as fh:
            out.extend(row[column] for row in csv.DictReader(fh))
    return out


def _times(n: int, rng: random.Random) -> list[datetime]:
    """`n` posting times over DAYS days, busier by day than by night."""
    out: list[datetime] = []
    while len(out) < n:
        t = START + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        hour = t.hour + t.minute / 60
        weight = 0.15 + 0.85 * max(0.0, math.sin(math.pi * (hour - 6) / 17))
        if rng.random() < weight:
            out.append(t)
    return sorted(out)


def fill(engine, n: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    texts = _texts()
    names, weights = list(BRANDS), list(BRANDS.values())
    classifier = Classifier()
    rules = default_rules()
    times = _times(n, rng)
    for start in range(0, n, 2000):
        chunk = times[start : start + 2000]
        brands = rng.choices(names, weights, k=len(chunk))
        bodies = [f"@{b} {rng.choice(texts)}" for b in brands]
        tags = classifier.classify(bodies)
        mentions = [
            mention_from_dict(
                {
                    "schema": 1,
                    "network": rng.choice(NETWORKS),
                    "post_id": f"p{start + i}",
                    "conversation_id": f"p{start + i}",
                    "author": {"id": f"a{rng.randrange(n // 3)}", "handle": f"user{i}"},
                    "text": bodies[i],
                    "created_at": at.isoformat(),
                    "brand": brands[i],
                    "ingest": {"source": "bench", "fetched_at": at.isoformat()},
                }
            ).replace(classification=tags[i])
            for i, at in enumerate(chunk)
        ]
        with engine.begin() as conn:
            CaseBook(conn, rules, chunk[-1] + timedelta(minutes=1)).apply(mentions)
        print(f"  stored {start + len(chunk):,} posts", file=sys.stderr, end="\r", flush=True)
    print(file=sys.stderr)


def _timed(fn) -> tuple[float, int]:
    fn()  # warm-up
    runs = []
    size = 0
    for _ in range(3):
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
        size = len(result) if isinstance(result, list) else int(result)
    return statistics.median(runs), size


def bench(n: int = 100_000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_store(f"sqlite:///{Path(tmp) / 'cases.db'}")
        t = time.perf_counter()
        fill(engine, n)
        filled_s = time.perf_counter() - t
        last_day = Scope(since=START + timedelta(days=DAYS - 1), until=START + timedelta(days=DAYS))
        all_time = Scope()
        window = Scope(
            since=START + timedelta(days=DAYS - 1),
            until=START + timedelta(days=DAYS),
            brand="AirCo",
        )
        week = Scope(
            since=START + timedelta(days=DAYS - 7),
            until=START + timedelta(days=DAYS),
            brand="AirCo",
        )
        top = listening.trends(engine, window)
        term = top[0]["term"] if top else "flight"
        cases = [
            ("voice, all time", lambda: listening.voice(engine, all_time)),
            ("voice by day, all time", lambda: listening.voice(engine, all_time, "day")),
            ("voice, last day", lambda: listening.voice(engine, last_day)),
            ("sentiment by hour, all time", lambda: listening.sentiment(engine, all_time, "hour")),
            ("topics, all time", lambda: listening.topics(engine, all_time)),
            ("networks by day, all time", lambda: listening.networks(engine, all_time, "day")),
            ("trends, AirCo, 1 day vs 7", lambda: listening.trends(engine, window)),
            ("trends, AirCo, 7 days vs 7", lambda: listening.trends(engine, week)),
            (
                f"drill-down count, term {term!r}, 1 day",
                lambda: listening.count_mentions(
                    engine, Scope(**{**window.__dict__, "term": term})
                ),
            ),
            (
                "drill-down page (100), AirCo, all time",
                lambda: listening.mentions(engine, Scope(brand="AirCo"), 100),
            ),
            ("response by queue, all time", lambda: run_report(engine, "response", "queue")[0]),
            ("volume per day, all time", lambda: run_report(engine, "volume")[0]),
        ]
        rows = []
        for name, fn in cases:
            seconds, size = _timed(fn)
            rows.append({"report": name, "seconds": round(seconds, 4), "rows": size})
            print(f"  {name:44} {seconds * 1000:8.0f} ms  ({size} rows)", file=sys.stderr)
        engine.dispose()
    return {"posts": n, "fill_seconds": round(filled_s, 1), "reports": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    args = parser.parse_args()
    result = bench(args.posts)
    print(f"\nreports on {result['posts']:,} stored posts (SQLite):")
    for r in result["reports"]:
        print(f"  {r['report']:44} {r['seconds'] * 1000:8.0f} ms  {r['rows']:>6} rows")
    slowest = max(r["seconds"] for r in result["reports"])
    print(f"slowest: {slowest * 1000:.0f} ms")


if __name__ == "__main__":
    main()
