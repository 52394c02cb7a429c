"""One router alone on Kafka, catching up a backlog: mentions/s and its CPU time.

    python benchmarks/kafka_router.py [--conversations 20000] [--batch-size N] [--tree DIR]

Starts a local Tansu broker, fills `mentions.classified` with the demo source's mentions
classified here (about 2 per conversation), then starts `socialcare route` as its own process
on a fresh SQLite case store and times it from its first stored post to its last (the group
join before is not counted), printing the rate and the router's CPU seconds (start-up
included). `make bench`'s Kafka rows run the classify worker beside the router; this isolates
the router, the end-to-end rows' bottleneck. `--tree` runs the router of another checkout (an
older commit in a `git worktree`): `python -m` imports the code of the directory it runs in.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run import classified_demo  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from socialcare.settings import Settings  # noqa: E402
from socialcare.store.db import open_store  # noqa: E402
from socialcare.stream.broker import start_tansu  # noqa: E402
from socialcare.stream.bus import PIPELINE_TOPICS, TOPIC_CLASSIFIED, OutMessage, open_bus  # noqa: E402


def classified_backlog(bus, conversations: int) -> int:
    mentions = classified_demo(conversations)
    producer = bus.producer()
    for m in mentions:
        producer.send(OutMessage(TOPIC_CLASSIFIED, m.conversation_id, m.to_json()))
    producer.flush()
    return len(mentions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, help="the router's (default: its own default)")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose router runs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kafka-router-"))
    broker = start_tansu(work / "tansu")
    try:
        bus = open_bus(broker.url)
        bus.ensure_topics(PIPELINE_TOPICS)
        posts = classified_backlog(bus, args.conversations)
        home = work / "home"
        cmd = [sys.executable, "-m", "socialcare.cli", "route", "--bus", broker.url]
        if args.batch_size:
            cmd += ["--batch-size", str(args.batch_size)]
        router = subprocess.Popen(
            [*cmd, "--home", str(home)],
            cwd=args.tree,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        store, stored, first = None, 0, None
        deadline = time.monotonic() + 600
        while stored < posts and time.monotonic() < deadline and router.poll() is None:
            time.sleep(0.05)
            if store is None and not (home / "cases.db").exists():
                continue  # the router creates the store
            try:  # and may be migrating it still
                if store is None:
                    store = open_store(Settings.resolve(home).db_url)
                with store.connect() as conn:
                    stored = conn.execute(text("SELECT count(*) FROM posts")).scalar() or 0
            except OperationalError:
                continue
            if stored and first is None:
                first = (time.monotonic(), stored)
        done = time.monotonic()
        router.send_signal(signal.SIGINT)
        _, _, usage = os.wait4(router.pid, 0)
        if stored < posts or first is None:
            raise SystemExit(f"the router stored {stored} of {posts} posts")
        rate = (stored - first[1]) / (done - first[0])
        print(
            f"router alone: {posts} posts, {rate:,.0f} posts/s from its first stored post; "
            f"CPU {usage.ru_utime + usage.ru_stime:.2f} s (start-up included)"
        )
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
