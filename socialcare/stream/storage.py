"""Telling storage failures (disk full, read-only files) apart from passing ones: retrying a
full disk forever helps nobody, so these stop the worker with a clear message instead. Every
write is a transaction, so what was committed stays consistent; a rerun resumes from there."""

from __future__ import annotations

_REASONS = (
    ("disk is full", "the disk is full"),
    ("no space left", "the disk is full"),
    ("readonly database", "the state files are read-only"),
    ("read-only file system", "the state files are read-only"),
    ("unable to open database", "the state files cannot be opened"),
    ("disk i/o error", "the disk failed a write"),
)


class StorageError(RuntimeError):
    """State cannot be written: a person must free space or fix permissions."""


def storage_problem(exc: BaseException) -> str | None:
    """A plain reason if `exc` (or what caused it) is a storage failure, else None."""
    seen = 0
    while exc is not None and seen < 5:
        text = str(exc).lower()
        for needle, reason in _REASONS:
            if needle in text:
                return reason
        if isinstance(exc, OSError) and exc.errno in (28, 30):  # ENOSPC, EROFS
            return "the disk is full" if exc.errno == 28 else "the state files are read-only"
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return None
