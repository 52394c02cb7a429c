"""Synthetic mention timelines for tuning and testing spike detection and incident grouping:
several days of traffic for several brands with a daily rhythm (quiet nights, busy days),
bucket-to-bucket noise wider than Poisson, small natural surges (a thread that takes off), and
optionally an injected burst of similar negative posts for one brand.

Texts come from the real shared datasets (airline and complaint tweets, read at test time, never
copied into the project), with the brand's handle put in; the burst's texts are paraphrases of
one problem with random extra words, as a real outage reads."""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
BURST_PROBLEMS = [
    [
        "the {b} app keeps crashing when I try to log in",
        "{b} app crashes every time I log in, fix it!",
        "can't log in to the {b} app, it just crashes",
        "is the {b} app down? crashes on login for me",
        "{b} login broken again, app crashing nonstop",
        "app crashing at login {b} seriously??",
    ],
    [
        "{b} my card was charged twice for the same order",
        "double charged again {b}, refund me",
        "{b} why was I billed twice this month",
        "charged twice by {b} today, what is going on",
        "{b} duplicate charge on my account, again",
    ],
    [
        "{b} flight cancelled and no rebooking offered",
        "all flights cancelled {b}?? stuck at the airport",
        "{b} cancelled my flight with no notice, stranded",
        "stranded after {b} cancellation, nobody at the desk",
    ],
]
FILLERS = [
    "",
    "",
    "",
    "!!",
    " again",
    " seriously",
    " this is ridiculous",
    " please help",
    " for the third time",
    " any update?",
    " so annoying",
    " #fail",
    " since this morning",
]


@dataclass(frozen=True)
class Post:
    at: datetime
    brand: str
    text: str
    negative: bool
    burst: bool = False


def real_texts(shared: Path) -> list[tuple[str, bool]]:
    """(text, negative) from the shared airline and complaint tweets."""
    out: list[tuple[str, bool]] = []
    with (shared / "airline_tweets.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.append((row["text"], row["sentiment"] == "negative"))
    with (shared / "complaints.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.append((row["text"], row["complaint"] in ("1", "True", "true")))
    return out


def rhythm(at: datetime) -> float:
    """The daily shape of traffic: about 15 % of the peak at night, most from late morning."""
    hour = at.hour + at.minute / 60
    day = max(0.0, math.sin(math.pi * (hour - 6) / 17)) if 6 <= hour <= 23 else 0.0
    weekend = 0.75 if at.weekday() >= 5 else 1.0
    return weekend * (0.15 + 0.85 * day**1.3)


def timeline(
    texts: list[tuple[str, bool]],
    brands: dict[str, float],
    days: int = 5,
    seed: int = 1,
    noise_k: float = 8.0,
    surges_per_day: float = 3.0,
) -> list[Post]:
    """Posts of `brands` ({handle: peak posts per minute}) over `days`."""
    rng = random.Random(seed)
    posts: list[Post] = []
    step = timedelta(minutes=5)
    for brand, peak in brands.items():
        t = START
        while t < START + timedelta(days=days):
            lam = peak * 5 * rhythm(t) * rng.gammavariate(noise_k, 1 / noise_k)
            for _ in range(_poisson(rng, lam)):
                posts.append(_post(rng, texts, brand, t + timedelta(seconds=rng.uniform(0, 300))))
            t += step
        for _ in range(_poisson(rng, surges_per_day * days)):  # a thread that takes off
            at = START + timedelta(seconds=rng.uniform(0, days * 86400))
            for _ in range(rng.randint(5, 15)):
                posts.append(_post(rng, texts, brand, at + timedelta(seconds=rng.uniform(0, 600))))
    return sorted(posts, key=lambda p: p.at)


def burst(
    brand: str, at: datetime, size: int = 150, minutes: int = 30, seed: int = 2, problem: int = 0
) -> list[Post]:
    """`size` similar negative posts for `brand` within `minutes` from `at`."""
    rng = random.Random(seed)
    forms = BURST_PROBLEMS[problem % len(BURST_PROBLEMS)]
    out = []
    for _ in range(size):
        text = rng.choice(forms).format(b=f"@{brand}") + rng.choice(FILLERS)
        out.append(
            Post(at + timedelta(seconds=rng.uniform(0, minutes * 60)), brand, text, True, True)
        )
    return sorted(out, key=lambda p: p.at)


def _post(rng: random.Random, texts: list[tuple[str, bool]], brand: str, at: datetime) -> Post:
    text, negative = rng.choice(texts)
    return Post(at, brand, f"@{brand} {text}", negative)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def as_jsonl(posts: list[Post], path: Path) -> dict[str, Post]:
    """Write posts as a mention-schema JSONL replay (each its own conversation); returns
    post id → post."""
    import json

    by_id: dict[str, Post] = {}
    with path.open("w", encoding="utf-8") as fh:
        for i, post in enumerate(sorted(posts, key=lambda p: p.at)):
            pid = f"{'b' if post.burst else 'p'}{i}"
            by_id[pid] = post
            fh.write(
                json.dumps(
                    {
                        "schema": 1,
                        "network": "x",
                        "post_id": pid,
                        "conversation_id": pid,
                        "author": {"id": f"u{i}", "handle": f"user{i}"},
                        "text": post.text,
                        "created_at": post.at.isoformat(),
                        "brand": post.brand,
                    }
                )
                + "\n"
            )
    return by_id
