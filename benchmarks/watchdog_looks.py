"""What a watchdog look costs on a system that has run for a while.

    python benchmarks/watchdog_looks.py [--keys 20] [--days 8] [--conversations 2000]
                                        [--resolved-per-open 40] [--tree DIR]

The spike judge: a fresh SQLite case store gets `--days` of steady one-minute traffic for
`--keys` brands (the seasonal method reads a week back; the table keeps every minute since a
key's first), judged as a live run would have but for its last hour. The benchmark times the
looks a live run makes: one judging that hour, five within the same minute (the watchdog looks
every 5 s, a minute ends once a minute) and one after the next minute is over.

The cases: the demo source's `--conversations` routed into open cases, and `--resolved-per-open`
resolved copies of each (a store keeps every case it ever had), then whole watchdog looks
(warnings, escalations, spikes on no traffic), and the desk API's case lists on that store
(`GET /api/cases` with and without a status or a queue: a page of 50 with its post ids).
`--tree` runs another checkout's code (an older commit in a `git worktree`).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=20)
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--resolved-per-open", type=int, default=40)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))
    logging.disable(logging.WARNING)
    spike_looks(args)
    case_looks(args)


def spike_looks(args: argparse.Namespace) -> None:
    from route import alerter
    from route.rules import default_rules
    from route.spikes import bucket_of, bucket_start
    from socialcare.store import traffic
    from socialcare.store.db import open_store
    from socialcare.store.tables import spike_state
    from socialcare.stream.schema import utcnow

    rules = default_rules()
    now = utcnow()
    end = bucket_of(now)
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_store(f"sqlite:///{Path(tmp) / 'cases.db'}")
        with engine.begin() as conn:  # 4 posts a minute, one negative: nothing to alert on
            for k in range(args.keys):
                minutes = range(args.days * 1440)
                traffic.add(conn, Counter({(f"brand{k}", end - m, False): 3 for m in minutes}))
                traffic.add(conn, Counter({(f"brand{k}", end - m, True): 1 for m in minutes}))
                conn.execute(spike_state.insert().values(key=f"brand{k}", judged_until=end - 61))

        def look(at) -> float:
            started = time.perf_counter()
            with engine.begin() as conn:
                alerter.tick(conn, rules, at, now)
            return time.perf_counter() - started

        clock = bucket_start(end) + timedelta(seconds=1)
        first = look(clock)
        same = [look(clock + timedelta(seconds=5 * i)) for i in range(1, 6)]
        after = look(clock + timedelta(minutes=1))
        print(f"{args.keys} brands, {args.days} days of minutes each ({args.tree})")
        print(f"  a look judging the last hour: {first * 1000:.0f} ms")
        print(f"  a look within the same minute: median {statistics.median(same) * 1000:.0f} ms")
        print(f"  a look after one more minute: {after * 1000:.0f} ms")
        engine.dispose()


def case_looks(args: argparse.Namespace) -> None:
    sys.path.insert(1, str(Path(__file__).resolve().parent))
    from run import classified_demo
    from sqlalchemy import text

    from route.casebook import CaseBook
    from route.rules import default_rules
    from route.watchdog import Watchdog
    from socialcare.store.cases import list_cases
    from socialcare.store.db import open_store
    from socialcare.stream.schema import utcnow

    rules = default_rules()
    mentions = classified_demo(args.conversations)
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_store(f"sqlite:///{Path(tmp) / 'cases.db'}")
        with engine.begin() as conn:
            CaseBook(conn, rules, utcnow()).apply(mentions)
            columns = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(cases)").all()]
            for copy in range(args.resolved_per_open):
                values = ", ".join(
                    f"id || '-{copy}'"
                    if c == "id"
                    else f"conversation_id || '-{copy}'"
                    if c == "conversation_id"
                    else "'resolved'"
                    if c == "status"
                    else c
                    for c in columns
                )
                conn.execute(
                    text(
                        f"INSERT INTO cases ({', '.join(columns)}) SELECT {values} FROM cases"
                        " WHERE status = 'open' AND id NOT LIKE '%-%'"
                    )
                )
            counts = dict(
                conn.exec_driver_sql("SELECT status, count(*) FROM cases GROUP BY 1").all()
            )
        dog = Watchdog(engine, lambda: rules, post=lambda url, body: None)
        print(f"cases: {counts} ({args.tree})")
        print(f"  a watchdog look: median {_median_ms(dog.tick, 5):.0f} ms")
        with engine.connect() as conn:
            queue = conn.exec_driver_sql(
                "SELECT queue FROM cases GROUP BY queue ORDER BY count(*) DESC LIMIT 1"
            ).scalar()
        for label, options in (
            ("no status", {}),
            ("status=resolved", {"status": "resolved"}),
            ("status=resolved&offset=10000", {"status": "resolved", "offset": 10_000}),
            (f"queue={queue}", {"queue": queue}),
            ("status=unresolved", {"status": "unresolved"}),
        ):
            took = _median_ms(
                lambda o=options: list_cases(engine, limit=50, with_posts=True, **o), 3
            )
            print(f"  GET /api/cases?{label}: median {took:.1f} ms")
        engine.dispose()


def _median_ms(call, runs: int) -> float:
    """The median time of `runs` calls, in ms, after one more to warm up (the page cache)."""
    call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


if __name__ == "__main__":
    main()
