"""Rule-set versions in the case store: the texts, newest in force, kept forever. Validating a
text before it is stored is the router's job (route/publishing.py); this module only stores and
reads them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, insert, select

from socialcare.errors import NotFoundError
from socialcare.store.tables import rulesets
from socialcare.stream.schema import utcnow


class VersionError(NotFoundError):
    """No published rule set has that version."""


def store(
    engine: Engine, text: str, version: str, author: str, message: str, action: str = "publish"
) -> None:
    """Store a validated rule file as the version in force."""
    with engine.begin() as conn:
        conn.execute(
            insert(rulesets).values(
                version=version,
                text=text,
                action=action,
                author=author[:128],
                message=message[:1000],
                published_at=utcnow(),
            )
        )


def current(engine: Engine) -> tuple[int, str] | None:
    """(row id, text) of the version in force, or None if nothing was ever published."""
    with engine.connect() as conn:
        row = conn.execute(
            select(rulesets.c.id, rulesets.c.text).order_by(rulesets.c.id.desc()).limit(1)
        ).first()
    return (row.id, row.text) if row else None


def current_id(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(func.max(rulesets.c.id))).scalar()


def history(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                rulesets.c.id,
                rulesets.c.version,
                rulesets.c.action,
                rulesets.c.author,
                rulesets.c.message,
                rulesets.c.published_at,
            ).order_by(rulesets.c.id)
        ).all()
    out = [dict(r._mapping) for r in rows]
    for i, row in enumerate(out):
        row["published_at"] = row["published_at"].isoformat()
        row["in_force"] = i == len(out) - 1
    return out


def text_of(engine: Engine, version: str) -> str:
    with engine.connect() as conn:
        text = conn.execute(
            select(rulesets.c.text)
            .where(rulesets.c.version == version)
            .order_by(rulesets.c.id.desc())
            .limit(1)
        ).scalar()
    if text is None:
        raise VersionError(
            f"no published rule set with version {version!r} (see `socialcare rules history`)"
        )
    return text
