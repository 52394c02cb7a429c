"""What the spike judge costs each watchdog look on a live system: brands with a week of traffic.

    python benchmarks/watchdog_looks.py [--keys 20] [--days 8] [--tree DIR]

Fills a fresh SQLite case store with `--days` of steady one-minute traffic for `--keys` brands
(the seasonal method reads a week back; the table keeps every minute since a key's first), as
if a live run had judged all but its last hour, then times the looks a live run makes: one
judging that hour, five within the same minute (the watchdog looks every 5 s, a minute ends
once a minute) and one after the next minute is over. `--tree` runs another checkout's alerter
(an older commit in a `git worktree`).
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
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))
    logging.disable(logging.WARNING)

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


if __name__ == "__main__":
    main()
