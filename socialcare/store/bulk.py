"""Many rows in one statement, without SQLAlchemy's per-row work where the database allows.

The router writes a few thousand posts, events and case rows per batch. Through SQLAlchemy Core
each `executemany` compiles its parameters row by row, value by value (about a tenth of the
all-in-one pipeline's time). On SQLite, the embedded default, these helpers build the statement
once per table and key set, convert each value with the column type's own bind processor (the
same text Core stores: `tables.UTCDateTime`, JSON, booleans), and hand plain tuples to the
driver's `executemany`. Anything else (PostgreSQL, rows with different keys, a column left out
that has a Python-side default) goes through Core as before, so the result is the same either
way: tests/store/test_bulk.py compares the two row for row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, update
from sqlalchemy.engine import Dialect

_Processor = Callable[[Any], Any]
# a column's conversion: its position, its bind processor, and whether that keeps None as None
# (datetimes: most of a case's are unset, and the row skips the call); JSON's writes 'null'
_Conversion = tuple[int, _Processor, bool]


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (dicts with the same keys)."""
    if not rows:
        return
    keys = tuple(rows[0])
    plan = _insert_plan(table, keys, conn.dialect) if conn.dialect.name == "sqlite" else None
    params = _tuples(rows, keys, plan[1]) if plan is not None else None
    if plan is None or params is None:
        conn.execute(insert(table), list(rows))
        return
    conn.exec_driver_sql(plan[0], params)


def update_rows(conn: Connection, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE the row whose primary-key column `key` equals each row's `key`, setting its other
    values (every row with the same keys)."""
    if not rows:
        return
    keys = (*(k for k in rows[0] if k != key), key)
    plan = _update_plan(table, keys, conn.dialect) if conn.dialect.name == "sqlite" else None
    params = _tuples(rows, keys, plan[1]) if plan is not None else None
    if plan is None or params is None:
        named = [{**{k: v for k, v in r.items() if k != key}, "_key": r[key]} for r in rows]
        conn.execute(update(table).where(table.c[key] == bindparam("_key")), named)
        return
    conn.exec_driver_sql(plan[0], params)


def _tuples(
    rows: Sequence[dict[str, Any]], keys: tuple[str, ...], convert: list[_Conversion]
) -> list[tuple] | None:
    """Each row's values in `keys` order, converted; None if a row has other keys."""
    get = itemgetter(*keys)
    width = len(keys)
    out: list[tuple] = []
    try:
        for row in rows:
            if len(row) != width:
                return None
            values = get(row)
            if width == 1:
                values = (values,)
            if convert:
                values = list(values)
                for i, process, keeps_none in convert:
                    value = values[i]
                    if value is not None or not keeps_none:
                        values[i] = process(value)
                values = tuple(values)
            out.append(values)
    except KeyError:
        return None
    return out


def _keeps_none(process: _Processor) -> bool:
    try:
        return process(None) is None
    except Exception:  # a processor that refuses None: let it say so for each row, as before
        return False


def _conversions(table: Table, keys: tuple[str, ...], dialect: Dialect) -> list[_Conversion]:
    """The columns of `keys` whose type converts a value before the driver gets it (worked out
    once per plan, which is cached)."""
    processors = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys]
    return [(i, p, _keeps_none(p)) for i, p in enumerate(processors) if p is not None]


@lru_cache(maxsize=64)
def _insert_plan(
    table: Table, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, list[_Conversion]] | None:
    if any(k not in table.c for k in keys):
        return None
    missing = [c for c in table.columns if c.name not in keys]
    if any(c.default is not None or c.onupdate is not None for c in missing):
        return None  # Core fills those in; keep it simple and let it
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(k) for k in keys)
    marks = ", ".join("?" * len(keys))
    sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})"
    return sql, _conversions(table, keys, dialect)


@lru_cache(maxsize=64)
def _update_plan(
    table: Table, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, list[_Conversion]] | None:
    if any(k not in table.c for k in keys) or any(
        c.onupdate is not None for c in table.columns if c.name not in keys
    ):
        return None
    quote = dialect.identifier_preparer.quote
    *values, key = keys
    sets = ", ".join(f"{quote(k)} = ?" for k in values)
    sql = f"UPDATE {quote(table.name)} SET {sets} WHERE {quote(key)} = ?"
    return sql, _conversions(table, keys, dialect)
