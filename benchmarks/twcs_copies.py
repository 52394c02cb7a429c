"""Build a larger twcs replay from the shared sample: N shifted copies, threads intact.

Copy k renumbers every tweet id (its own and the ids it points at) by k × 10^9, gives each
customer a distinct id in that copy (brand accounts keep their names) and moves every post k
weeks later, so the copies are N independent sets of conversations in one CSV with the same
shape as the original. Used by `make bench` (the all-in-one twcs row) and by
`python benchmarks/twcs_copies.py OUT.csv --copies 10` to make the file for a manual run.
"""

from __future__ import annotations

import argparse
import csv
from datetime import timedelta
from pathlib import Path

from ingest.sources.replay import TWCS_TIME, parse_tweet_id, twcs_time

ID_STRIDE = 10**9


def _shift_id(value: str, k: int) -> str:
    value = value.strip()
    return str(int(value) + k * ID_STRIDE) if value.isdigit() else value


def write_copies(sample: Path, out: Path, copies: int) -> int:
    """Write `copies` shifted copies of the twcs CSV `sample` to `out`; return the row count."""
    with sample.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    col = {name: header.index(name) for name in header}
    written = 0
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for k in range(copies):
            later = timedelta(weeks=k)
            for row in rows:
                row = list(row)
                row[col["tweet_id"]] = _shift_id(row[col["tweet_id"]], k)
                parent = parse_tweet_id(row[col["in_response_to_tweet_id"]].strip(), "parent")
                row[col["in_response_to_tweet_id"]] = _shift_id(parent or "", k)
                row[col["response_tweet_id"]] = ",".join(
                    _shift_id(r, k) for r in row[col["response_tweet_id"]].split(",") if r
                )
                author = row[col["author_id"]]
                if author.isdigit():  # a customer; brand accounts have names
                    row[col["author_id"]] = str(int(author) + k * ID_STRIDE)
                when = twcs_time(row[col["created_at"]]) + later
                row[col["created_at"]] = when.strftime(TWCS_TIME)
                writer.writerow(row)
                written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument(
        "--sample",
        type=Path,
        default=Path(__file__).resolve().parent.parent.parent / "shared/data/twcs_sample.csv",
    )
    args = parser.parse_args()
    print(f"{write_copies(args.sample, args.out, args.copies)} rows written to {args.out}")


if __name__ == "__main__":
    main()
