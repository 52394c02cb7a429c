"""Corrections: agents' fixes of wrong tags (from the desk, store/actions.py `correct`) and
labeled rows imported in bulk as if agents had made them. They are the training data of the
learning loop (classify/learning.py).

Each correction keeps who made it, when, and where it came from (`desk`, or `import:FILE`), so a
wrong batch can be found and discarded.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from socialcare.errors import InputError
from socialcare.store.tables import corrections

CORRECTABLE = {
    "sentiment": ("negative", "neutral", "positive"),
    "urgency": ("critical", "high", "normal", "low"),
}
FIELDS = ("sentiment", "urgency", "topic")
MAX_IMPORT_ERRORS_SHOWN = 5


def text_fold(text: str, folds: int) -> int:
    """The cross-validation fold of a text, from a hash of its words: the same text (however
    spaced or cased) is always in the same fold, so a duplicate is never trained on in one fold
    and judged in another (classify/learning.py)."""
    digest = hashlib.sha256(" ".join(text.lower().split()).encode("utf-8", "replace")).digest()
    return int.from_bytes(digest[:4], "big") % folds


def check_label(field: str, value: str) -> str:
    """The label as stored (lowercased, trimmed), or InputError saying what is allowed."""
    value = (value or "").strip().lower()
    if field in CORRECTABLE:
        if value not in CORRECTABLE[field]:
            raise InputError(f"{field} is one of {', '.join(CORRECTABLE[field])}")
    elif field == "topic":
        if not value or len(value) > 64:
            raise InputError("a topic is 1-64 characters")
    else:
        raise InputError("only sentiment, urgency and topic can be corrected")
    return value


def record(
    conn: Connection,
    case_id: str,
    text: str,
    field: str,
    old: str | None,
    new: str,
    agent: str,
    at: datetime,
    source: str = "desk",
) -> None:
    conn.execute(
        insert(corrections).values(
            case_id=case_id,
            text=text,
            field=field,
            old=old,
            new=new,
            agent=agent,
            at=at,
            source=source[:256],
        )
    )


def import_rows(
    engine: Engine,
    field: str,
    rows: list[tuple[str, str]],
    author: str,
    source: str,
    at: datetime,
) -> int:
    """Add labeled (text, label) rows as corrections by `author`: all or none. A bad label
    refuses the whole import, naming the rows (1 = the first data row)."""
    if field not in FIELDS:
        raise InputError(f"--field is one of {', '.join(FIELDS)}")
    checked, bad = [], []
    for n, (text, label) in enumerate(rows, 1):
        try:
            checked.append((text, check_label(field, label)))
        except InputError as exc:
            bad.append(f"row {n}: {label[:40]!r}: {exc}")
    if bad:
        shown = "; ".join(bad[:MAX_IMPORT_ERRORS_SHOWN])
        more = f" (and {len(bad) - MAX_IMPORT_ERRORS_SHOWN} more)" if len(bad) > 5 else ""
        raise InputError(f"nothing imported: {len(bad)} rows have a bad label: {shown}{more}")
    with engine.begin() as conn:
        for text, label in checked:
            record(conn, "", text, field, None, label, author, at, source)
    return len(checked)


def training_rows(engine: Engine, field: str) -> list[dict[str, Any]]:
    """Every usable correction of `field`, oldest first: the latest one per case for desk
    corrections (an agent who changes their mind counts once), every imported row."""
    c = corrections.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.id, c.case_id, c.text, c.new, c.agent, c.at)
            .where(c.field == field)
            .order_by(c.id)
        ).all()
    latest: dict[str, Any] = {}
    for r in rows:
        latest[r.case_id or f"import-{r.id}"] = r
    return [
        {
            "id": r.id,
            "text": r.text,
            "label": r.new,
            "agent": r.agent,
        }
        for r in sorted(latest.values(), key=lambda r: r.id)
    ]


def newest_id(engine: Engine, field: str) -> int:
    with engine.connect() as conn:
        return (
            conn.execute(
                select(func.max(corrections.c.id)).where(corrections.c.field == field)
            ).scalar()
            or 0
        )


def count_since(engine: Engine, field: str, after_id: int) -> int:
    """How many corrections of `field` have an id above `after_id`."""
    with engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(corrections)
            .where(corrections.c.field == field, corrections.c.id > after_id)
        ).scalar_one()


def discard(engine: Engine, field: str, source: str | None, agent: str | None) -> int:
    """Delete the corrections of `field` from one import source or by one agent (a batch found
    to be wrong); returns how many. Versions trained on them keep their rows in their meta."""
    if not source and not agent:
        raise InputError("say which corrections: --source or --agent")
    c = corrections.c
    query = delete(corrections).where(c.field == field)
    if source:
        query = query.where(c.source == source)
    if agent:
        query = query.where(c.agent == agent)
    with engine.begin() as conn:
        return conn.execute(query).rowcount


def by_source(engine: Engine, field: str, after_id: int = 0) -> dict[str, int]:
    """How many corrections of `field` (above `after_id`) each source and agent gave."""
    c = corrections.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.source, c.agent, func.count())
            .where(c.field == field, c.id > after_id)
            .group_by(c.source, c.agent)
        ).all()
    return {f"{source or 'desk'} by {agent}": n for source, agent, n in rows}


def export(engine: Engine, field: str) -> list[dict[str, str]]:
    """Every usable correction as text/label rows (for `socialcare train`)."""
    return [{"text": r["text"], "label": r["label"]} for r in training_rows(engine, field)]
