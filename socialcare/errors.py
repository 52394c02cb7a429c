"""Every error socialcare raises on purpose, under one base, in a few kinds.

Each package keeps its own exceptions beside its code (`RuleFileError` in route/rules,
`SchemaError` in stream/schema, …) and derives them from one of these kinds. The CLI turns a kind
into an exit code and the desk into an HTTP status, each in one place (`socialcare/cli/app.py`,
`socialcare/desk/app.py`), so a new error needs no new handler: pick its kind.

| kind | meaning | CLI exit | HTTP |
|---|---|---|---|
| `ConfigError` | a setting, credential or source spec is wrong: fix the configuration | 2 | 500 |
| `InputError` | the input (a file, a post, a request) is wrong: fix it and try again | 1 | 422 |
| `NotFoundError` | the thing named does not exist | 1 | 404 |
| `ConflictError` | someone else changed or holds it: reload and try again | 1 | 409 |
| `TransientError` | not the input's fault (database or broker down): retried with backoff | 1 | 503 |
| `StorageError` | state cannot be written (disk full, read-only): a person must act | 1 | 503 |
"""

from __future__ import annotations

import errno
import sqlite3


class SocialcareError(Exception):
    """The base of every error socialcare raises on purpose."""

    exit_code = 1
    http_status = 500


class ConfigError(SocialcareError, ValueError):
    exit_code = 2


class InputError(SocialcareError, ValueError):
    http_status = 422


class NotFoundError(InputError):
    http_status = 404


class ConflictError(SocialcareError):
    http_status = 409


class TransientError(SocialcareError):
    """A failure that is not the message's fault: retry the batch later, dead-letter nothing."""

    http_status = 503


class StorageError(SocialcareError):
    """State cannot be written: a person must free space or fix permissions."""

    http_status = 503


# SQLite's primary result codes for storage failures (sqlite3.Error.sqlite_errorcode & 0xff)
_SQLITE_REASONS = {
    13: "the disk is full",  # SQLITE_FULL
    8: "the state files are read-only",  # SQLITE_READONLY
    10: "the disk failed a write",  # SQLITE_IOERR
    14: "the state files cannot be opened",  # SQLITE_CANTOPEN
}
_ERRNO_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the state files are read-only",
    errno.EDQUOT: "the disk quota is used up",
}
# PostgreSQL SQLSTATEs: disk_full, insufficient_resources' out of disk, read_only_sql_transaction
_PG_REASONS = {"53100": "the database's disk is full", "25006": "the database is read-only"}


def storage_problem(exc: BaseException | None) -> str | None:
    """A plain reason if `exc`, or what caused it, is a storage failure; else None. Read from
    error codes (SQLite result codes, errno, PostgreSQL SQLSTATE), never from message text."""
    seen = 0
    while exc is not None and seen < 6:
        if isinstance(exc, StorageError):
            return str(exc)
        if isinstance(exc, sqlite3.Error):
            code = getattr(exc, "sqlite_errorcode", None)
            if code is not None and (code & 0xFF) in _SQLITE_REASONS:
                return _SQLITE_REASONS[code & 0xFF]
        if isinstance(exc, OSError) and exc.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[exc.errno]
        sqlstate = getattr(exc, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate in _PG_REASONS:
            return _PG_REASONS[sqlstate]
        orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
        exc = orig if isinstance(orig, BaseException) else (exc.__cause__ or exc.__context__)
        seen += 1
    return None


def as_storage_error(exc: BaseException, where: str) -> StorageError | None:
    """`exc` as a StorageError naming `where`, or None if it is not a storage failure."""
    reason = storage_problem(exc)
    return StorageError(f"{where}: {reason}") if reason else None
