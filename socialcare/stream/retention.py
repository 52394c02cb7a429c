"""The embedded log's retention: old messages nothing needs any more are deleted, by
`socialcare log prune` at once and by `run` and `watchdog` every few minutes (as a broker's
retention.ms)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from socialcare.stream.bus import CONSUMED_TOPICS, TOPIC_EVENTS, Bus
from socialcare.stream.embedded import EmbeddedBus

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 600.0


def prune_log(bus: EmbeddedBus, older_than: timedelta) -> int:
    """Delete the messages written longer ago than `older_than` that nothing needs: in the
    pipeline's topics those every consumer group has committed past, in `care.events` by age
    alone; dead letters stay (the audit reads them). Returns how many were deleted."""
    before_ms = int((time.time() - older_than.total_seconds()) * 1000)
    return bus.prune(before_ms, CONSUMED_TOPICS, [TOPIC_EVENTS])


class LogRetention:
    """`tick()` prunes the log at most once every `every_s` seconds (the first tick prunes)."""

    def __init__(
        self,
        bus: EmbeddedBus,
        keep: timedelta,
        every_s: float = PRUNE_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus, self.keep, self.every_s, self.clock = bus, keep, every_s, clock
        self._next = 0.0

    def tick(self) -> int:
        if self.clock() < self._next:
            return 0
        started = self.clock()
        deleted = prune_log(self.bus, self.keep)
        self._next = self.clock() + self.every_s
        if deleted:
            log.info(
                "log retention: deleted %d messages older than %s in %.2f s",
                deleted,
                self.keep,
                self.clock() - started,
            )
        return deleted


def retention_of(bus: Bus, hours: float) -> LogRetention | None:
    """The retention SOCIALCARE_LOG_RETENTION_HOURS asks for; None on Kafka (the brokers'
    retention.ms applies) or with 0 (keep everything)."""
    if isinstance(bus, EmbeddedBus) and hours > 0:
        return LogRetention(bus, timedelta(hours=hours))
    return None
