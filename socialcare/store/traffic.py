"""Traffic per key per minute (what spike detection judges) and how far each key was judged.
The router adds to the counts in the transaction that stores the posts, so a redelivered batch,
whose posts are skipped as stored already, counts nothing twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from socialcare.store.tables import posts, spike_state, traffic


def add(conn: Connection, counts: Counter[tuple[str, int, bool]]) -> None:
    """Add posts to the counts: {(key, minute, negative): n}."""
    merged: dict[tuple[str, int], list[int]] = {}
    for (key, bucket, negative), n in counts.items():
        row = merged.setdefault((key, bucket), [0, 0])
        row[0] += n
        row[1] += n if negative else 0
    if not merged:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(traffic)
    statement = statement.on_conflict_do_update(
        index_elements=[traffic.c.key, traffic.c.bucket],
        set_={
            "posts": traffic.c.posts + statement.excluded.posts,
            "negative": traffic.c.negative + statement.excluded.negative,
        },
    )
    conn.execute(
        statement,
        [{"key": k, "bucket": b, "posts": p, "negative": n} for (k, b), (p, n) in merged.items()],
    )


# each key's last minute up to a bound, one index probe per key (a loose index scan: the plain
# GROUP BY reads every row, and the table keeps every minute of every key since the first)
_LAST_MINUTES = text(
    """
    WITH RECURSIVE keys(k) AS (
        SELECT min("key") FROM traffic
        UNION ALL
        SELECT (SELECT min("key") FROM traffic WHERE "key" > keys.k) FROM keys
        WHERE keys.k IS NOT NULL
    )
    SELECT k, (SELECT max(bucket) FROM traffic WHERE "key" = keys.k AND bucket <= :up_to)
    FROM keys WHERE k IS NOT NULL
    """
)


def pending(conn: Connection, up_to: int) -> dict[str, int]:
    """Keys with minutes to judge up to minute `up_to`: key → last minute judged (-1). A key
    judged up to `up_to` already is not one (the watchdog looks every few seconds, a minute
    ends once a minute: reading a week of a key's counts to judge nothing is most looks' work)."""
    judged = dict(conn.execute(select(spike_state.c.key, spike_state.c.judged_until)).all())
    out: dict[str, int] = {}
    for key, last in conn.execute(_LAST_MINUTES, {"up_to": up_to}).all():
        done = judged.get(key, -1)
        # a window reaches ten minutes past its last post
        if last is not None and last + 10 > done and done < up_to:
            out[key] = done
    return out


def series(
    conn: Connection, key: str, ranges: list[tuple[int, int]] | None
) -> dict[int, tuple[int, int]]:
    """minute → (posts, negative) of a key in the inclusive minute `ranges` (None: all), plus
    its very first minute."""
    query = select(traffic.c.bucket, traffic.c.posts, traffic.c.negative).where(
        traffic.c.key == key
    )
    if ranges is None:
        rows = conn.execute(query).all()
    else:
        rows = []
        for lo, hi in ranges:
            rows += conn.execute(query.where(traffic.c.bucket.between(lo, hi))).all()
    out = {b: (p, n) for b, p, n in rows}
    first = conn.execute(select(func.min(traffic.c.bucket)).where(traffic.c.key == key)).scalar()
    if first is not None and first not in out:
        out[first] = tuple(  # type: ignore[assignment]
            conn.execute(
                select(traffic.c.posts, traffic.c.negative).where(
                    traffic.c.key == key, traffic.c.bucket == first
                )
            ).one()
        )
    return out


FORGET_SPAN = 14 * 1440  # minutes of a key forgotten at most per call: a store that kept years
# of them before (or a key back after a long silence) sheds them a fortnight a look, in short
# transactions


def forget(conn: Connection, key: str, before: int) -> int:
    """Delete a key's minutes older than `before`, but for its very first (the judge's warm-up
    and history count from it), at most FORGET_SPAN minutes' worth a call: no look reads them
    again. Returns how many rows went."""
    of_key = traffic.c.key == key
    first = conn.execute(select(func.min(traffic.c.bucket)).where(of_key)).scalar()
    if first is None:
        return 0
    second = conn.execute(
        select(func.min(traffic.c.bucket)).where(of_key, traffic.c.bucket > first)
    ).scalar()
    if second is None or second >= before:
        return 0
    until = min(before, second + FORGET_SPAN)
    return conn.execute(
        traffic.delete().where(of_key, traffic.c.bucket >= second, traffic.c.bucket < until)
    ).rowcount


def judged(conn: Connection, key: str, until: int) -> None:
    done = conn.execute(
        update(spike_state).where(spike_state.c.key == key).values(judged_until=until)
    ).rowcount
    if not done:
        conn.execute(spike_state.insert().values(key=key, judged_until=until))


def texts(conn: Connection, brand: str, since, until, limit: int = 5000) -> list[tuple[str, bool]]:
    """A brand's customer posts posted in [since, until): (text, negative), newest first."""
    rows = conn.execute(
        select(posts.c.text, posts.c.sentiment)
        .where(
            posts.c.brand == brand,
            posts.c.from_brand.is_(False),
            posts.c.created_at >= since,
            posts.c.created_at < until,
        )
        .order_by(posts.c.created_at.desc())
        .limit(limit)
    ).all()
    return [(text, sentiment == "negative") for text, sentiment in rows]


def brand_posts(conn: Connection, brand: str, since, until) -> list[dict]:
    """A brand's customer posts in [since, until), oldest first, for grouping."""
    rows = conn.execute(
        select(
            posts.c.network,
            posts.c.post_id,
            posts.c.case_id,
            posts.c.author_handle,
            posts.c.text,
            posts.c.created_at,
            posts.c.incident_id,
        )
        .where(
            posts.c.brand == brand,
            posts.c.from_brand.is_(False),
            posts.c.created_at >= since,
            posts.c.created_at < until,
        )
        .order_by(posts.c.created_at)
    ).all()
    return [dict(r._mapping) for r in rows]


def keys_of(brand: str, topic: str | None, network: str, scope: str) -> Iterable[str]:
    """The traffic keys one customer post counts under, by the rule file's alert scope."""
    if scope == "brand+topic":
        return (f"{brand}|{topic or 'other'}",)
    if scope == "brand+network":
        return (f"{brand}|{network}",)
    return (brand,)


def brand_of(key: str) -> str:
    return key.split("|", 1)[0]
