"""An independent reading of twcs_sample.csv for report and case checks: plain csv, union-find
over reply links, no project code. What the pipeline computes must equal what this computes."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from pathlib import Path


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")


def conversations(path: Path) -> dict[str, dict]:
    """Conversations, keyed by their smallest tweet id: {inbound: [ids], outbound: [ids],
    first_customer_at, first_response_at, responder}. Conversations without a customer post are
    left out (they are not cases). The key is not the pipeline's conversation id (the root of
    the reply chain); match them through `by_post`."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    parent = {r["tweet_id"]: r["tweet_id"] for r in rows}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb, key=int)] = min(ra, rb, key=int)

    for r in rows:
        if r["in_response_to_tweet_id"]:
            union(r["tweet_id"], str(int(float(r["in_response_to_tweet_id"]))))
        for child in filter(None, r["response_tweet_id"].split(",")):
            union(r["tweet_id"], child)
    groups: dict[str, dict] = defaultdict(lambda: {"inbound": [], "outbound": []})
    for r in rows:
        g = groups[find(r["tweet_id"])]
        kind = "inbound" if r["inbound"] == "True" else "outbound"
        g[kind].append((r["tweet_id"], _parse_time(r["created_at"]), r["author_id"]))
    out = {}
    for root, g in groups.items():
        if not g["inbound"]:
            continue
        first_customer = min(t for _, t, _ in g["inbound"])
        replies = sorted((t, a) for _, t, a in g["outbound"] if t >= first_customer)
        out[root] = {
            "inbound": sorted(i for i, _, _ in g["inbound"]),
            "outbound": sorted(i for i, _, _ in g["outbound"]),
            "first_customer_at": first_customer,
            "first_response_at": replies[0][0] if replies else None,
            "responder": replies[0][1] if replies else None,
        }
    return out


def by_post(truth: dict[str, dict]) -> dict[str, dict]:
    """Every tweet id → its conversation in `truth`."""
    return {pid: conv for conv in truth.values() for pid in conv["inbound"] + conv["outbound"]}


def mentions_per_account(path: Path) -> dict[str, int]:
    """Customer posts per account, independently: a conversation's account is the brand that
    answered first (at or after the first customer post); unanswered, the first brand account
    (any author of a brand tweet in the file) @-named in its first customer post; else a brand
    that posted in it before the customer; else none ("(none)")."""
    import re

    with path.open(newline="", encoding="utf-8") as fh:
        rows = {r["tweet_id"]: r for r in csv.DictReader(fh)}
    brands = {
        r["author_id"].lower(): r["author_id"] for r in rows.values() if r["inbound"] != "True"
    }
    counts: dict[str, int] = defaultdict(int)
    for conv in conversations(path).values():
        account = conv["responder"]
        if account is None:
            first = min(conv["inbound"], key=lambda i: (_parse_time(rows[i]["created_at"]), int(i)))
            named = [h for h in re.findall(r"@(\w+)", rows[first]["text"]) if h.lower() in brands]
            earlier = sorted(
                (_parse_time(rows[i]["created_at"]), rows[i]["author_id"]) for i in conv["outbound"]
            )
            account = brands[named[0].lower()] if named else (earlier[0][1] if earlier else None)
        counts[account or "(none)"] += len(conv["inbound"])
    return dict(counts)
