"""One runtime per process: the settings and everything built from them (bus, case store engine,
rules provider, reply sender, sources), each built on first use and closed once.

Every command, the all-in-one pipeline and the desk receive a `Runtime` instead of building
these by hand, so a new command needs one line to get the store, and a process never opens two
engines on the same database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from socialcare.errors import ConfigError, NotFoundError
from socialcare.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from classify.registry import ClassifierSource
    from ingest.replies import ReplySender
    from ingest.sources.base import Source
    from route.rules import RuleSet
    from route.saved_replies import SavedReplies
    from socialcare.stream.bus import Bus
    from socialcare.stream.wal import BackgroundCheckpoints


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._closed = False
        self._checkpoints: BackgroundCheckpoints | None = None

    @classmethod
    def from_options(cls, **options) -> Runtime:
        """A runtime from command-line style options (None: not given)."""
        return cls(Settings.resolve(**options))

    @property
    def home(self):
        return self.settings.home

    @cached_property
    def bus(self) -> Bus:
        """The transport, with the pipeline's topics created."""
        from socialcare.stream.bus import PIPELINE_TOPICS, TransportConfig, open_bus

        s = self.settings
        if s.bus is None:  # the embedded log lives in HOME
            s.ensure_home()
        bus = open_bus(
            s.bus_url,
            TransportConfig(
                partitions=s.partitions,
                kafka_session_timeout_ms=s.kafka_session_timeout_ms,
                kafka_replication=s.kafka_replication,
                embedded_session_ms=s.embedded_session_ms,
            ),
        )
        bus.ensure_topics(PIPELINE_TOPICS)
        return bus

    @cached_property
    def engine(self) -> Engine:
        """The case store, migrated to the current schema."""
        from socialcare.store.db import open_store

        if self.settings.db is None:  # the SQLite store lives in HOME
            self.settings.ensure_home()
        return open_store(self.settings.db_url)

    def checkpoint_in_background(self) -> None:
        """For the main writer of the case store and the log (a router, the all-in-one
        pipeline): a SQLite file's write-ahead log is copied back by a thread of this process,
        not by the batch that commits (socialcare/stream/wal.py)."""
        from socialcare.store.db import checkpoint_in_background

        if self._checkpoints is None:
            self._checkpoints = checkpoint_in_background(self.engine)
        self.bus.checkpoint_in_background()

    def has_store(self) -> bool:
        """Whether a case store exists to read (always true for a --db server)."""
        return self.settings.db is not None or (self.settings.home / "cases.db").exists()

    def require_store(self) -> Engine:
        """The case store for a read-only command: an error if there is none yet."""
        if not self.has_store():
            raise NotFoundError(
                f"no case store in {self.settings.home}; run the pipeline first or pass --home/--db"
            )
        return self.engine

    @cached_property
    def rules(self) -> Callable[[], RuleSet]:
        """The rule set in force, re-checked as it is called (see route/provider.py)."""
        from route.provider import rules_provider

        return rules_provider(self.engine, self.settings.rules_path, self.settings.home)

    @cached_property
    def saved_replies(self) -> Callable[[], SavedReplies]:
        """The saved replies and macros in force (see route/provider.py)."""
        from route.provider import saved_replies_provider

        return saved_replies_provider(self.engine, self.settings.home)

    def classifier(self, models: Path | None = None) -> ClassifierSource:
        """The classifier to use now, as a callable: the models in `models` (or the
        SOCIALCARE_MODELS directory) fixed; else the versions in force in the case store, followed
        as they are promoted or rolled back (classify/registry.py); else the untrained default."""
        from classify.registry import ClassifierSource

        models = models or self.settings.models
        if models is not None:
            return ClassifierSource(None, models)
        return ClassifierSource(self.engine if self.has_store() else None)

    @cached_property
    def replies(self) -> ReplySender:
        from ingest.replies import ReplySender

        return ReplySender(self.engine, self.settings, live=self.settings.live_replies)

    def sources(self, specs: Iterable[str]) -> list[Source]:
        """Sources from specs, or from the settings' `ingest_sources` when none are given."""
        from ingest.sources import open_source

        specs = list(specs) or list(self.settings.ingest_sources)
        if not specs:
            raise ConfigError(
                "give at least one --source (or list them as [ingest] sources in HOME/config.toml)"
            )
        return [open_source(spec, self.settings) for spec in specs]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if "bus" in self.__dict__:
            self.bus.close()
        if self._checkpoints is not None:
            self._checkpoints.close()
        if "engine" in self.__dict__:
            self.engine.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
