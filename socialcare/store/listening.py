"""The listening reports: what people say, not how fast the team answers. Share of voice,
sentiment over time, topic mix, volume per network, trending terms, and the posts behind any of
those figures (the drill-down). The CLI (`socialcare report --kind voice|…`, `socialcare
mentions`), the desk's Listening page and its API all call these functions.

Definitions (the README repeats them):
- A **mention** is a customer post (not the brand's own) that is part of a case, posted
  (`created_at`, UTC) in `[since, until)`. Posts kept out of cases (spam, ignored by a rule)
  are not mentions.
- A mention's **account** is its case's account, as the response reports define it: the brand
  account that answered the case first, or before any answer the brand the customer addressed.
- **share** of voice: an account's mentions over all mentions of the same period (shares sum
  to 1 per period). **negative_share**: the share of an account's mentions the classifier
  tagged negative. **mean_sentiment**: the mean of their sentiment scores (-1..1).
- **Terms** are a post's distinct content words and two-word phrases (socialcare/stream/terms.py),
  so a term's **count** is the number of mentions that contain it.
- **Trends** compare a brand's window `[since, until)` with its baseline, the `baseline_days`
  before `since`: a term's **baseline** (expected count) is its share of the baseline's
  mentions times the window's mentions, so a busier window expects more of every term and
  the daily rhythm cancels out; its **score** is `(count - baseline) / sqrt(baseline + 1)`, a
  Poisson z-score that rewards a rise that is both large and unlikely. A term is listed when
  it is in at least `MIN_COUNT` (3) mentions and scores at least `MIN_SCORE` (3). A two-word
  phrase that is all there is of both its words is left out (its words are listed already).
  With fewer than `MIN_BASELINE` (30) mentions in the baseline nothing can be called rising,
  and no term is listed.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, case, func, literal, select

from socialcare.errors import InputError
from socialcare.store.sqltime import period_text
from socialcare.store.tables import cases, posts
from socialcare.stream.terms import PHRASE_JOIN, term_key, term_label

KINDS = ("voice", "trends", "sentiment", "topics", "networks")
PERIODS = ("day", "hour")
SENTIMENTS = ("positive", "neutral", "negative")
MIN_COUNT = 3  # a term in fewer mentions is not a trend
MIN_SCORE = 3.0  # z: a rise noise alone gives about once in a thousand windows
MIN_BASELINE = 30  # mentions in the baseline needed to call anything rising
BASELINE_DAYS = 7
NO_ACCOUNT = "(none)"


@dataclass(frozen=True)
class Scope:
    """Which mentions a figure counts; the drill-down takes the same scope."""

    since: datetime | None = None
    until: datetime | None = None
    brand: str | None = None  # the case's account
    network: str | None = None
    sentiment: str | None = None
    topic: str | None = None
    term: str | None = None  # as typed: "flight cancelled" or "flight_cancelled"

    def check(self) -> Scope:
        if self.since and self.until and self.since >= self.until:
            raise InputError("--since must be before --until")
        if self.sentiment and self.sentiment not in SENTIMENTS:
            raise InputError(f"sentiment is one of {', '.join(SENTIMENTS)}")
        if self.term is not None and not term_key(self.term):
            raise InputError("a term needs at least one word")
        return self


def _mentions_query(scope: Scope, *columns) -> Select:
    query = (
        select(*columns)
        .select_from(posts.join(cases, posts.c.case_id == cases.c.id))
        .where(posts.c.from_brand.is_(False))
    )
    if scope.since:
        query = query.where(posts.c.created_at >= scope.since)
    if scope.until:
        query = query.where(posts.c.created_at < scope.until)
    if scope.network:
        query = query.where(posts.c.network == scope.network)
    if scope.brand:
        if scope.brand == NO_ACCOUNT:
            query = query.where(cases.c.account.is_(None))
        else:
            query = query.where(cases.c.account == scope.brand)
    if scope.sentiment:
        query = query.where(posts.c.sentiment == scope.sentiment)
    if scope.topic:
        query = query.where(posts.c.topic == scope.topic)
    if scope.term:
        padded = literal(" ") + posts.c.terms + literal(" ")
        query = query.where(padded.contains(f" {term_key(scope.term)} ", autoescape=True))
    return query


def _period_label(raw: str, by: str | None) -> str | None:
    if by is None:
        return None
    return raw if by == "day" else f"{raw[:10]}T{raw[11:13]}:00Z"


def _check_by(by: str | None) -> None:
    if by is not None and by not in PERIODS:
        raise InputError(f"--by for listening reports is one of {', '.join(PERIODS)}")


def _grouped(engine: Engine, scope: Scope, by: str | None, *keys) -> list:
    """Per period and `keys`: mentions, negative / neutral / positive counts, the sum and count
    of known scores; aggregated by the database (a report reads one index, not the rows)."""
    _check_by(by)
    period = period_text(engine, posts.c.created_at, by).label("period")
    columns = [
        period,
        *keys,
        func.count().label("n"),
        *(
            func.sum(case((posts.c.sentiment == name, 1), else_=0)).label(name)
            for name in SENTIMENTS
        ),
        func.sum(posts.c.sentiment_score).label("score_sum"),
        func.count(posts.c.sentiment_score).label("scored"),
    ]
    query = _mentions_query(scope.check(), *columns).group_by(period, *keys)
    with engine.connect() as conn:
        return conn.execute(query).all()


def _mean(total: float | None, known: int) -> float | None:
    return round(total / known, 4) if known else None


def _with_period(period: str | None, row: dict[str, Any]) -> dict[str, Any]:
    return ({"period": period} | row) if period is not None else row


def voice(engine: Engine, scope: Scope = Scope(), by: str | None = None) -> list[dict[str, Any]]:
    """Share of voice: one row per account (per period with `by`), most mentions first."""
    groups = _grouped(engine, scope, by, cases.c.account)
    totals: Counter[str] = Counter()
    for g in groups:
        totals[g.period] += g.n
    out = []
    for g in sorted(groups, key=lambda g: (g.period, -g.n, g.account or NO_ACCOUNT)):
        out.append(
            _with_period(
                _period_label(g.period, by),
                {
                    "account": g.account or NO_ACCOUNT,
                    "mentions": g.n,
                    "share": round(g.n / totals[g.period], 6),
                    "negative_share": round(g.negative / g.n, 4),
                    "mean_sentiment": _mean(g.score_sum, g.scored),
                },
            )
        )
    return out


def sentiment(
    engine: Engine, scope: Scope = Scope(), by: str | None = "day"
) -> list[dict[str, Any]]:
    """Per period: mentions, the share positive / neutral / negative, and the mean score."""
    out = []
    for g in sorted(_grouped(engine, scope, by), key=lambda g: g.period):
        shares = {f"{name}_share": round(getattr(g, name) / g.n, 4) for name in SENTIMENTS}
        out.append(
            _with_period(
                _period_label(g.period, by),
                {"mentions": g.n, **shares, "mean_sentiment": _mean(g.score_sum, g.scored)},
            )
        )
    return out


def topics(engine: Engine, scope: Scope = Scope(), by: str | None = None) -> list[dict[str, Any]]:
    """The topic mix per account (per period with `by`): mentions and share of the account's."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for g in _grouped(engine, scope, by, cases.c.account, posts.c.topic):
        counts[(g.period, g.account or NO_ACCOUNT, g.topic or "other")] += g.n
    per_account: Counter[tuple[str, str]] = Counter()
    for (period, account, _), n in counts.items():
        per_account[(period, account)] += n
    return [
        _with_period(
            _period_label(period, by),
            {
                "account": account,
                "topic": topic,
                "mentions": n,
                "share": round(n / per_account[(period, account)], 4),
            },
        )
        for (period, account, topic), n in sorted(
            counts.items(), key=lambda kv: (kv[0][0], kv[0][1], -kv[1], kv[0][2])
        )
    ]


def networks(engine: Engine, scope: Scope = Scope(), by: str | None = None) -> list[dict[str, Any]]:
    """Mentions per network (per period with `by`) and their share."""
    groups = _grouped(engine, scope, by, posts.c.network)
    totals: Counter[str] = Counter()
    for g in groups:
        totals[g.period] += g.n
    return [
        _with_period(
            _period_label(g.period, by),
            {"network": g.network, "mentions": g.n, "share": round(g.n / totals[g.period], 6)},
        )
        for g in sorted(groups, key=lambda g: (g.period, -g.n, g.network))
    ]


# -- trends -----------------------------------------------------------------------------------
def _term_counts(engine: Engine, scope: Scope) -> tuple[int, Counter[str]]:
    """(mentions, in how many of them each term appears)."""
    df: Counter[str] = Counter()
    n = 0
    with engine.connect() as conn:
        found = conn.execute(_mentions_query(scope.check(), posts.c.terms)).scalars().all()
    for terms in found:
        n += 1
        if terms:
            df.update(terms.split())
    return n, df


def score(count: int, expected: float) -> float:
    """A Poisson z-score with one added to the variance (a term never seen before rises by its
    count, not to infinity)."""
    return (count - expected) / math.sqrt(expected + 1)


def trends(
    engine: Engine,
    scope: Scope,
    limit: int = 20,
    baseline_days: float = BASELINE_DAYS,
) -> list[dict[str, Any]]:
    """The brand's terms that rose most in `[since, until)` against its baseline (see the
    module's definitions), highest score first."""
    if not scope.brand or not scope.since or not scope.until:
        raise InputError("trends need --brand, --since and --until")
    if baseline_days <= 0:
        raise InputError("the baseline is at least part of a day")
    window = replace(scope, term=None)
    n_window, in_window = _term_counts(engine, window)
    base_scope = replace(
        window, since=scope.since - timedelta(days=baseline_days), until=scope.since
    )
    n_base, in_base = _term_counts(engine, base_scope)
    if n_base < MIN_BASELINE or not n_window:
        return []
    rows = []
    for term, count in in_window.items():
        if count < MIN_COUNT:
            continue
        expected = n_window * in_base[term] / n_base
        z = score(count, expected)
        if z >= MIN_SCORE:
            rows.append({"term": term, "count": count, "baseline": expected, "score": z})
    rows = _drop_redundant(rows)
    rows.sort(key=lambda r: (-r["score"], -r["count"], r["term"]))
    return [
        {
            "term": term_label(r["term"]),
            "count": r["count"],
            "baseline": round(r["baseline"], 2),
            "score": round(r["score"], 2),
        }
        for r in rows[:limit]
    ]


def _drop_redundant(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A two-word phrase that is all there is of both its words (each word's mentions in the
    window nearly all, 90 %, contain the phrase) says nothing its words do not: keep the words,
    drop the phrase. A phrase that is one use among several of its words stays."""
    count = {r["term"]: r["count"] for r in rows}
    keep = []
    for r in rows:
        parts = r["term"].split(PHRASE_JOIN)
        if len(parts) == 2 and all(p in count and r["count"] >= 0.9 * count[p] for p in parts):
            continue
        keep.append(r)
    return keep


# -- drill-down -------------------------------------------------------------------------------
def mentions(
    engine: Engine, scope: Scope, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """The mentions behind a figure, newest first: the same scope gives the same count."""
    query = _mentions_query(
        scope.check(),
        posts.c.network,
        posts.c.post_id,
        posts.c.created_at,
        cases.c.account,
        posts.c.author_handle,
        posts.c.text,
        posts.c.sentiment,
        posts.c.sentiment_score,
        posts.c.topic,
        posts.c.case_id,
        posts.c.url,
    ).order_by(posts.c.created_at.desc(), posts.c.network, posts.c.post_id)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    with engine.connect() as conn:
        return [
            {
                **r._mapping,
                "account": r.account or NO_ACCOUNT,
                "created_at": r.created_at.isoformat(),
            }
            for r in conn.execute(query)
        ]


def count_mentions(engine: Engine, scope: Scope) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(
                _mentions_query(scope.check(), posts.c.post_id).subquery()
            )
        ).scalar()


def run_listening(
    engine: Engine,
    kind: str,
    scope: Scope,
    by: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    if kind == "voice":
        return voice(engine, scope, by)
    if kind == "sentiment":
        return sentiment(engine, scope, by or "day")
    if kind == "topics":
        return topics(engine, scope, by)
    if kind == "networks":
        return networks(engine, scope, by)
    if kind == "trends":
        return trends(engine, scope, limit)
    raise InputError(f"listening report kind is one of {', '.join(KINDS)}")
