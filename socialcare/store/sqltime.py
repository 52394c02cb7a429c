"""Time arithmetic done by the database, so a report over many rows reads numbers and short
texts instead of turning every timestamp into a Python datetime. SQLite keeps times as text
"2026-03-02 14:05:00.123456" (UTC; socialcare/store/tables.py `UTCDateTime`); PostgreSQL as
timestamptz. Both give the same answers, to the microsecond."""

from __future__ import annotations

from sqlalchemy import Engine, Float, cast, extract, func, literal
from sqlalchemy.sql.elements import ColumnElement


def seconds_between(engine: Engine, later, earlier) -> ColumnElement:
    """`later - earlier` in seconds (NULL when either is NULL)."""
    if engine.dialect.name == "sqlite":
        whole = cast(func.strftime("%s", later), Float) - cast(func.strftime("%s", earlier), Float)
        # the fraction after the seconds, ".123456" at character 20, exact as decimal text
        return whole + (cast(func.substr(later, 20), Float) - cast(func.substr(earlier, 20), Float))
    return cast(extract("epoch", later - earlier), Float)


def period_text(engine: Engine, column, by: str | None) -> ColumnElement:
    """The UTC period of a time as text: `2026-03-02` by day, `2026-03-02 14` by hour, `14`
    (the hour of the day) by hour_of_day; '' without `by`."""
    if by is None:
        return literal("")
    if engine.dialect.name == "sqlite":
        start, width = {"day": (1, 10), "hour": (1, 13), "hour_of_day": (12, 2)}[by]
        return func.substr(column, start, width)
    fmt = {"day": "YYYY-MM-DD", "hour": "YYYY-MM-DD HH24", "hour_of_day": "HH24"}[by]
    return func.to_char(func.timezone("UTC", column), fmt)
