"""What one long thread costs the all-in-one pipeline and the case page.

    python benchmarks/long_thread.py [--posts 20000] [--late-share 0.03] [--tree DIR]

On a bad day a brand posts "we are aware of an outage" and thousands of customers reply to it:
one conversation, and so one case, of thousands of posts. Three JSONL replays of `--posts`
customer posts each, routed by `socialcare run --source replay:FILE --until-idle --no-desk`
in its own process on a fresh home:

- spread: every post its own conversation (the yardstick);
- one thread: every post a reply in one conversation, in time order;
- one thread, some late: the same with `--late-share` of the posts arriving a few hundred
  posts later than their time (a source catching up after a rate limit).

Then the case page's reading of that one case: the opening post and the latest 100 posts and
events (what the page shows), and all of them (`?show=all`, and the API without `latest`).
`--tree` runs another checkout's code (an older commit in a `git worktree`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--late-share", type=float, default=0.03)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    tree = args.tree.resolve()
    print(f"{args.posts:,} customer posts per replay ({tree})")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, one_thread, late in (
            ("spread", False, 0.0),
            ("one thread", True, 0.0),
            (f"one thread, {args.late_share:.0%} late", True, args.late_share),
        ):
            path = work / f"{name.replace(' ', '_').replace(',', '')}.jsonl"
            write_replay(path, args.posts, one_thread, late)
            home = work / f"home-{path.stem}"
            seconds = route_replay(tree, path, home)
            print(f"  {name:<24} {seconds:6.2f} s  {args.posts / seconds:8,.0f} posts/s")
        case_page_reads(tree, work / "home-one_thread")


def write_replay(path: Path, n: int, one_thread: bool, late_share: float) -> None:
    """A brand's outage notice, then `n` customer posts a second or so apart, ending an hour
    ago: long enough for the case's SLA times to pass while the thread runs."""
    rng = random.Random(20)
    start = datetime.now(UTC) - timedelta(hours=1) - timedelta(seconds=2 * n)

    def post(pid: str, conv: str, author: str, brand: bool, at: datetime, text: str) -> dict:
        return {
            "schema": 1,
            "network": "x",
            "post_id": pid,
            "conversation_id": conv,
            "author": {"id": author, "handle": author},
            "text": text,
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "from_brand": brand,
            "brand": "AirlineX",
        }

    rows = [post("1", "1", "AirlineX", True, start, "We are aware of an outage at check-in.")]
    at = start
    for i in range(n):
        at += timedelta(seconds=rng.choice((0, 1, 2, 5)))
        conv = "1" if one_thread else f"c{i}"
        text = f"@AirlineX flight {i} cancelled and nobody answers, refund please"
        rows.append(post(f"p{i}", conv, f"customer{i}", False, at, text))
    for _ in range(int(n * late_share)):
        j = rng.randrange(1, len(rows))
        rows.insert(min(len(rows), j + rng.randrange(1, 300)), rows.pop(j))
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def route_replay(tree: Path, path: Path, home: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "socialcare.cli", "run", "--source", f"replay:{path}"]
    command += ["--until-idle", "--no-desk", "--home", str(home)]
    started = time.perf_counter()
    subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def case_page_reads(tree: Path, home: Path) -> None:
    sys.path.insert(0, str(tree))
    from route.casebook import case_id_for
    from socialcare.store.cases import get_case
    from socialcare.store.db import open_store

    engine = open_store(f"sqlite:///{home / 'cases.db'}")
    case_id = case_id_for("x", "1")

    def median_ms(*latest: int) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            get_case(engine, case_id, *latest)
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    print("  reading the thread's case from the store (median of 5):")
    try:
        print(f"    the page's view (opening + latest 100): {median_ms(100):6.1f} ms")
    except TypeError:
        print("    the page's view: (this checkout reads every post and event)")
    print(f"    every post and event:                   {median_ms():6.1f} ms")


if __name__ == "__main__":
    main()
