"""Versioned texts in the case store (rule sets, saved replies): every published text is kept,
newest in force; a rollback appends a copy of an older one, so the history reads in order and
nothing is ever rewritten. Validating a text before it is stored is the caller's job."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, func, insert, select

from socialcare.errors import NotFoundError
from socialcare.stream.schema import utcnow


class VersionError(NotFoundError):
    """No published text has that version."""


class Versions:
    def __init__(self, table: Table, what: str, command: str) -> None:
        self.table = table
        self.what = what  # "rule set", "saved replies"
        self.command = command  # where the history is listed, for error messages

    def store(
        self,
        engine: Engine,
        text: str,
        version: str,
        author: str,
        message: str,
        action: str = "publish",
    ) -> None:
        with engine.begin() as conn:
            conn.execute(
                insert(self.table).values(
                    version=version,
                    text=text,
                    action=action,
                    author=author[:128],
                    message=message[:1000],
                    published_at=utcnow(),
                )
            )

    def current(self, engine: Engine) -> tuple[int, str] | None:
        """(row id, text) of the version in force, or None if nothing was ever published."""
        t = self.table.c
        with engine.connect() as conn:
            row = conn.execute(select(t.id, t.text).order_by(t.id.desc()).limit(1)).first()
        return (row.id, row.text) if row else None

    def current_id(self, engine: Engine) -> int | None:
        with engine.connect() as conn:
            return conn.execute(select(func.max(self.table.c.id))).scalar()

    def history(self, engine: Engine) -> list[dict[str, Any]]:
        t = self.table.c
        with engine.connect() as conn:
            rows = conn.execute(
                select(t.id, t.version, t.action, t.author, t.message, t.published_at).order_by(
                    t.id
                )
            ).all()
        out = [dict(r._mapping) for r in rows]
        for i, row in enumerate(out):
            row["published_at"] = row["published_at"].isoformat()
            row["in_force"] = i == len(out) - 1
        return out

    def text_of(self, engine: Engine, version: str) -> str:
        t = self.table.c
        with engine.connect() as conn:
            text = conn.execute(
                select(t.text).where(t.version == version).order_by(t.id.desc()).limit(1)
            ).scalar()
        if text is None:
            raise VersionError(
                f"no published {self.what} with version {version!r} (see `{self.command}`)"
            )
        return text
