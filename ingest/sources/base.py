"""The one interface every source implements.

A source is stateless about progress: the ingest worker hands it the last durable cursor and
stores the cursor it returns only after the mentions are flushed to the bus. A restart therefore
resumes exactly where the last durable write ended.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from socialcare.stream.schema import Mention


@dataclass(slots=True)
class BadInput:
    """Input that could not become a mention: goes to `mentions.raw.dlq` with the reason."""

    original: bytes
    error: str
    line: int | None = None


@dataclass(slots=True)
class Fetched:
    mentions: list[Mention] = field(default_factory=list)
    bad: list[BadInput] = field(default_factory=list)
    cursor: str | None = None  # where the next fetch starts; stored after the flush
    exhausted: bool = False  # nothing more to read for now (end of file, empty poll)
    rate_limited_until: datetime | None = None  # the API said: not before then
    error: str | None = None  # what went wrong this poll (it is tried again next poll)


class Source(ABC):
    #: stable identity, the key of this source's cursor (e.g. "replay:/abs/path.csv")
    name: str
    #: a finite source ends (a file, demo:N); an endless one is polled forever
    finite: bool = True
    #: how long an endless source rests after a poll that found nothing new
    poll_interval_s: float = 0.0

    @abstractmethod
    def fetch(self, cursor: str | None, limit: int) -> Fetched:
        """Read up to about `limit` items after `cursor`."""

    def close(self) -> None:  # pragma: no cover - optional
        """Release files or connections."""
