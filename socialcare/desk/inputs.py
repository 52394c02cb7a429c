"""Reading untrusted request values: path constraints, Unicode checks, times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import HTTPException
from fastapi import Path as PathParam

from socialcare.errors import InputError

CaseId = Annotated[str, PathParam(min_length=1, max_length=64)]


def unicode_text(text: str) -> str:
    """Client text must be valid Unicode (JSON can smuggle in lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise HTTPException(422, "text is not valid Unicode (a lone surrogate)") from None
    return text


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def parse_time(text: str) -> datetime:
    """`2026-11-23`, `2026-11-23T14:30` or with seconds / a zone; naive means UTC. Years
    before 1970 or from 3000 on are refused (422), never sent into date arithmetic."""
    try:
        value = datetime.fromisoformat(text.strip())
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InputError(f"not a date or time: {text[:40]!r} (use 2026-11-23T14:30)") from None
    if not EARLIEST <= value < LATEST:
        raise InputError(f"{text[:40]!r} is out of range (1970 to 2999)")
    return value
