"""All-in-one: every stage in one process, taking turns on one thread, so `--until-idle` can tell
exactly when every input message has been fully processed."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from classify.stage import ClassifyStage
from ingest.ingestor import IngestWorker
from ingest.replies import ReplySender, live_from_env
from ingest.sources.base import Source
from route.provider import rules_provider
from route.stage import RouteStage
from route.watchdog import Watchdog
from socialcare.settings import Settings
from socialcare.store.db import open_store
from socialcare.store.ingest_state import IngestState
from socialcare.stream.bus import PIPELINE_TOPICS, open_bus
from socialcare.stream.worker import Worker, settle_heap

WATCH_EVERY_S = 5.0


@dataclass
class Progress:
    ingested: int = 0
    classified: int = 0
    routed: int = 0
    dead_letters: int = 0


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        sources: list[Source],
        batch_size: int = 1000,
        watchdog: bool = True,
    ) -> None:
        settings.ensure_home()
        self.settings = settings
        self.bus = open_bus(settings.bus_url)
        self.bus.ensure_topics(PIPELINE_TOPICS)
        self.engine = open_store(settings.db_url)
        self.rules = rules_provider(self.engine, settings.rules_path, settings.home)
        self.watchdog = Watchdog(self.engine, self.rules) if watchdog else None
        self.replies = ReplySender(self.engine, settings.home, live=live_from_env())
        self._next_watch = 0.0
        self.ingest = IngestWorker(sources, self.bus, IngestState(self.engine), batch_size)
        self.classify = Worker(ClassifyStage(), self.bus, batch_size, poll_timeout_s=0)
        self.route = Worker(
            RouteStage(self.engine, self.rules), self.bus, batch_size, poll_timeout_s=0
        )

    def step(self) -> int:
        done = self.ingest.step() + self.classify.step(0) + self.route.step(0)
        if self.watchdog is not None and time.monotonic() >= self._next_watch:
            self.watchdog.tick()
        if time.monotonic() >= self._next_watch:
            self.replies.send_due()
            self._next_watch = time.monotonic() + WATCH_EVERY_S
        return done

    def idle(self) -> bool:
        return self.ingest.exhausted and self.classify.lag() == 0 and self.route.lag() == 0

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
        on_progress=None,
    ) -> None:
        settle_heap()
        last_report = time.monotonic()
        while not stop.is_set():
            did = self.step()
            if on_progress and time.monotonic() - last_report >= report_every_s:
                on_progress(self.progress())
                last_report = time.monotonic()
            if did:
                continue
            if until_idle and self.idle():
                break
            stop.wait(0.05)
        if on_progress:
            on_progress(self.progress())

    def close(self) -> None:
        self.ingest.close()
        self.classify.close()
        self.route.close()
        self.bus.close()
        self.engine.dispose()
