"""Work per item in CPU instructions (valgrind): before and after, whatever the machine's load.

Wall-clock times on a shared machine moved by 2-3x between hours, so a 5 % change cannot be
seen in them. The number of instructions a run executes does not depend on the machine's
load: this script counts them (valgrind's callgrind tool, which runs the program about 50x
slower) for
- the two-model classify CLI (`socialcare classify --models DIR`, sentiment and complaint
  trained here from ../shared/data) on N lines of airline tweets, and with no input (start-up);
- the all-in-one pipeline (`socialcare run --source replay:… --until-idle --no-desk
  --no-watchdog`) on one copy of the twcs sample (benchmarks/twcs_copies.py), and on an empty
  replay (start-up); the watchdog ticks by wall time, so it is left out;
- the router stage alone (`RouteStage.process`, SQLite case store, default rules) on the
  classified mentions of N demo conversations, given as bytes to parse as a Kafka router gets
  them, in batches of 1,000, and on none (start-up);
- VADER alone (`polarity_scores`) on the same N texts, and on none: the yardstick,
and prints each run's count per item after start-up, beside VADER's. It does not say how fast a
machine runs them: memory stalls and fsync waits do not show in instruction counts.

    python benchmarks/instructions.py [--lines 10000] [--copies 1] [--conversations 2500]
                                      [--models DIR] [--tree DIR]

`--tree` measures another checkout (an older commit in a `git worktree`) with this script and
this environment: the commands run there, and `python -m` imports the code of the directory it
runs in.

Needs `valgrind` (Debian package); not part of `make bench`. Takes about 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from run import ROOT, airline_lines, classified_demo, shared_data, train_models, write_jsonl
from twcs_copies import write_copies

VADER = """
import sys
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
texts = [line.rstrip("\\n") for line in open(sys.argv[1], encoding="utf-8")]
analyzer = SentimentIntensityAnalyzer()
for text in texts:
    analyzer.polarity_scores(text)
"""

ROUTE = """
import os, sys, tempfile
sys.path.insert(0, os.getcwd())  # the tree measured (cwd), not the one installed
from route.rules import default_rules
from route.stage import RouteStage
from socialcare.store.db import open_store
from socialcare.stream.bus import Record
lines = open(sys.argv[1], "rb").read().splitlines()
rules = default_rules()
stage = RouteStage(open_store(f"sqlite:///{tempfile.mkdtemp()}/cases.db"), lambda: rules)
for i in range(0, len(lines), 1000):
    batch = lines[i : i + 1000]
    records = [Record("mentions.classified", 0, i + j, None, v, (), 0) for j, v in enumerate(batch)]
    assert not stage.process(records).dead
"""


def classified_mentions(path: Path, conversations: int) -> int:
    """The demo source's mentions, classified, one JSON per line; how many."""
    mentions = classified_demo(conversations)
    path.write_bytes(b"".join(m.to_json() + b"\n" for m in mentions))
    return len(mentions)


def instructions(cmd: list[str], stdin: Path | None, tree: Path) -> int:
    """Instructions the command executed (its children not counted), from callgrind."""
    with open(stdin or "/dev/null", "rb") as inp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
            stdin=inp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tree,  # `python -m` imports the tree measured, not another on sys.path
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{cmd[2:5]} failed under valgrind: {done.stderr[-500:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000, help="classify CLI and VADER texts")
    parser.add_argument("--copies", type=int, default=1, help="copies of the twcs sample")
    parser.add_argument(
        "--conversations", type=int, default=2500, help="demo conversations for the router"
    )
    parser.add_argument("--models", type=Path, help="a --models DIR (default: train both)")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to measure")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        lines = airline_lines(args.lines)
        jsonl, plain = write_jsonl(work / "texts.jsonl", lines), work / "texts.txt"
        plain.write_text("".join(" ".join(t.splitlines()) + "\n" for t in lines))
        posts = write_copies(shared_data() / "twcs_sample.csv", work / "twcs.csv", args.copies)
        empty = work / "empty.csv"
        empty.write_text((work / "twcs.csv").read_text().split("\n", 1)[0] + "\n")
        models = args.models
        if models is None:
            print("training the two models …", file=sys.stderr, flush=True)
            models = train_models(work / "models", ("sentiment", "complaint"))
        cli = [sys.executable, "-m", "socialcare.cli"]
        (work / "vader.py").write_text(VADER)
        (work / "route.py").write_text(ROUTE)
        routed = classified_mentions(work / "classified.jsonl", args.conversations)
        (work / "none.jsonl").write_bytes(b"")

        def run(home: str, source: Path) -> list[str]:
            return [*cli, "run", "--source", f"replay:{source}", "--until-idle", "--no-desk",
                    "--no-watchdog", "--home", str(work / home)]  # fmt: skip

        runs = {
            "classify start-up": ([*cli, "classify", "--models", str(models)], None),
            "classify": ([*cli, "classify", "--models", str(models)], jsonl),
            "all-in-one start-up": (run("h0", empty), None),
            "all-in-one": (run("h1", work / "twcs.csv"), None),
            "route start-up": (
                [sys.executable, str(work / "route.py"), str(work / "none.jsonl")],
                None,
            ),
            "route": (
                [sys.executable, str(work / "route.py"), str(work / "classified.jsonl")],
                None,
            ),
            "vader start-up": ([sys.executable, str(work / "vader.py"), "/dev/null"], None),
            "vader": ([sys.executable, str(work / "vader.py"), str(plain)], None),
        }
        print(f"counting {len(runs)} runs under valgrind …", file=sys.stderr, flush=True)
        with ThreadPoolExecutor(2) as pool:
            counts = dict(
                zip(
                    runs,
                    pool.map(lambda r: instructions(*r, args.tree), runs.values()),
                    strict=True,
                )
            )
    vader = (counts["vader"] - counts["vader start-up"]) / args.lines
    rows = [
        ("classify CLI, sentiment + complaint", "classify", args.lines, "line"),
        (f"all-in-one, twcs x{args.copies}, no watchdog", "all-in-one", posts, "post"),
        ("router stage alone, parsing (as on Kafka)", "route", routed, "post"),
        ("VADER alone", "vader", args.lines, "text"),
    ]
    print(f"\n{'run':40} {'start-up':>10} {'per item':>12} {'x VADER':>8}")
    result = {}
    for label, key, items, unit in rows:
        startup = counts[f"{key} start-up"]
        per = (counts[key] - startup) / items
        print(f"{label:40} {startup / 1e9:>8.2f} G {per / 1e3:>8.0f} k/{unit} {per / vader:>8.2f}")
        result[key] = {"startup": startup, "total": counts[key], "items": items, "per_item": per}
    print(json.dumps({"tree": str(args.tree), **result}))


if __name__ == "__main__":
    main()
