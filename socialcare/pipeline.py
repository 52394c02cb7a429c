"""All-in-one: every stage in one process, taking turns on one thread, so `--until-idle` can tell
exactly when every input message has been fully processed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from classify.schedule import RetrainSchedule
from classify.stage import ClassifyStage
from ingest.ingestor import IngestWorker
from ingest.sources.base import Source
from route.assigner import Assigner
from route.stage import RouteStage
from route.watchdog import Watchdog
from socialcare.runtime import Runtime
from socialcare.store.ingest_state import IngestState
from socialcare.stream.retention import retention_of
from socialcare.stream.worker import Worker, run_loop

WATCH_EVERY_S = 5.0
IN_FLIGHT_BATCHES = 2  # ingested but not yet routed, at most (in batches) before ingest waits


@dataclass
class Progress:
    ingested: int = 0
    classified: int = 0
    routed: int = 0
    dead_letters: int = 0


class Pipeline:
    def __init__(
        self,
        runtime: Runtime,
        sources: list[Source],
        batch_size: int = 1000,
        watchdog: bool = True,
        handoff: bool = True,
    ) -> None:
        self.runtime = runtime
        runtime.checkpoint_in_background()
        bus, engine, rules = runtime.bus, runtime.engine, runtime.rules
        self.watchdog = (
            Watchdog(engine, rules, webhook_url=runtime.settings.webhook_url) if watchdog else None
        )
        idle = timedelta(minutes=runtime.settings.desk_idle_away_minutes)
        self.assigner = Assigner(engine, rules, idle)
        self.retrain = RetrainSchedule(engine, runtime.settings.retrain_every)
        self.replies = runtime.replies
        self.retention = retention_of(bus, runtime.settings.log_retention_hours)
        self._next_watch = 0.0
        # how long "nothing left" must hold before it is believed (see Bus.exact_lag)
        self.settle_s = 0.0 if bus.exact_lag else 2.0
        if handoff:  # every stage is here: hand messages on decoded (the log keeps the bytes)
            bus.share_decoded()
        self.ingest = IngestWorker(sources, bus, IngestState(engine), batch_size)
        self.classify = Worker(
            ClassifyStage(runtime.classifier()), bus, batch_size, poll_timeout_s=0
        )
        self.route = Worker(RouteStage(engine, rules), bus, batch_size, poll_timeout_s=0)
        self.max_in_flight = IN_FLIGHT_BATCHES * batch_size

    def step(self) -> int:
        done = 0
        # back-pressure: ingest only while what it wrote before is mostly classified and routed,
        # so a fast source cannot run far ahead (every message in between is held decoded)
        if self.classify.lag() + self.route.lag() < self.max_in_flight:
            done += self.ingest.step()
        done += self.classify.step(0) + self.route.step(0)
        if time.monotonic() >= self._next_watch:
            self.watch()
        return done

    def watch(self) -> None:
        """Warn, escalate (in event time), send due replies, retrain when due, and delete what
        the log need not keep."""
        if self.watchdog is not None:
            self.watchdog.tick()
        self.assigner.tick()
        self.replies.send_due()
        self.retrain.tick()
        if self.retention is not None:
            self.retention.tick()
        self._next_watch = time.monotonic() + WATCH_EVERY_S

    def idle(self) -> bool:
        return (
            self.ingest.exhausted
            and self.classify.idle_for(self.settle_s)
            and self.route.idle_for(self.settle_s)
        )

    def progress(self) -> Progress:
        return Progress(
            ingested=sum(p.mentions for p in self.ingest.progress.values()),
            classified=self.classify.stats.processed,
            routed=self.route.stats.processed,
            dead_letters=sum(p.dead_letters for p in self.ingest.progress.values())
            + self.classify.stats.dead_letters
            + self.route.stats.dead_letters,
        )

    def run(
        self,
        stop: threading.Event,
        until_idle: bool = False,
        report_every_s: float = 5.0,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        run_loop(
            self.step,
            stop,
            self.idle if until_idle else None,
            on_progress=(lambda: on_progress(self.progress())) if on_progress else None,
            report_every_s=report_every_s,
        )
        if until_idle and not stop.is_set():
            self.watch()  # the last word on what everything just routed means for SLAs

    def close(self) -> None:
        """Close the stage workers; the runtime (bus, engine) is closed by its owner."""
        self.ingest.close()
        self.classify.close()
        self.route.close()
