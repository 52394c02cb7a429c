"""The one interface every source implements.

A source is stateless about progress: the ingest worker hands it the last durable cursor and
stores the cursor it returns only after the mentions are flushed to the bus. A restart therefore
resumes exactly where the last durable write ended. Each fetch also says the source's watermark
(event time up to which everything was delivered), which the pipeline carries to the router so
SLA decisions wait for it (socialcare/stream/watermarks.py).
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


def unusable(exc: BaseException) -> str:
    """The reason a post could not become a mention, for its dead letter. Readable errors
    (schema, value) keep their text; anything else also names its type, since it is a bug or a
    shape nobody expected."""
    if isinstance(exc, ValueError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"[:2000]


@dataclass(slots=True)
class Fetched:
    mentions: list[Mention] = field(default_factory=list)
    bad: list[BadInput] = field(default_factory=list)
    cursor: str | None = None  # where the next fetch starts; stored after the flush
    exhausted: bool = False  # nothing more to read for now (end of file, empty poll)
    #: event time: every post this source will ever deliver that was posted up to this time
    #: has been delivered by now (this fetch included); None: nothing can be said yet
    watermark: datetime | None = None
    rate_limited_until: datetime | None = None  # the API said: not before then
    error: str | None = None  # what went wrong this poll (it is tried again next poll)


class Source(ABC):
    #: stable identity, the key of this source's cursor (e.g. "replay:/abs/path.csv")
    name: str
    #: a finite source ends (a file, demo:N); an endless one is polled forever
    finite: bool = True
    #: how long an endless source rests after a poll that found nothing new
    poll_interval_s: float = 0.0
    #: the networks whose posts this source delivers (None: any), so SLA decisions on one
    #: network do not wait for a source that can never answer them
    networks: frozenset[str] | None = None

    @abstractmethod
    def fetch(self, cursor: str | None, limit: int) -> Fetched:
        """Read up to about `limit` items after `cursor`."""

    def close(self) -> None:  # pragma: no cover - optional
        """Release files or connections."""
