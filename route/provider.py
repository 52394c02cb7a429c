"""What is in force (the rule set, the saved replies), re-checked as workers run, so a new
version takes effect without a restart.

Precedence: an explicit file (`--rules FILE`, re-read when it changes); else the newest version
published to the case store (`socialcare rules publish`, `templates publish`; re-checked every
few seconds); else the file in HOME (rules.yaml, saved_replies.yaml); else the built-in default.
A broken edit of a file keeps the last good version and logs why; published versions were
validated before they were stored (and one that no longer parses is skipped the same way).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from sqlalchemy import Engine

from route.rules import DEFAULT_RULES_PATH, RuleSet, parse_rules
from route.saved_replies import DEFAULT_PATH as DEFAULT_SAVED_REPLIES
from route.saved_replies import SavedReplies
from route.saved_replies import parse as parse_saved_replies
from socialcare.store.rulesets import RULESETS
from socialcare.store.saved_replies import SAVED_REPLIES
from socialcare.store.versions import Versions

log = logging.getLogger(__name__)
T = TypeVar("T")
Parse = Callable[[str, str], T]


def _read(path: Path, parse: Parse) -> T:
    """Parse a file; one that cannot be read is reported by `parse` as invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = "\x00"  # not text: the parser reports the file as invalid YAML
    return parse(text, str(path))


class WatchedFile(Generic[T]):
    """A file, parsed again when its modification time changes."""

    def __init__(self, path: Path, parse: Parse) -> None:
        self.path = path
        self.parse = parse
        self._mtime = path.stat().st_mtime_ns
        self._value = _read(path, parse)

    def __call__(self) -> T:
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError:
            return self._value
        if mtime != self._mtime:
            self._mtime = mtime
            try:
                self._value = _read(self.path, self.parse)
                log.info("reloaded %s: version %s", self.path, getattr(self._value, "version", "?"))
            except Exception as exc:  # whatever is wrong with the edit, work goes on
                log.error(
                    "%s changed but is invalid, keeping version %s:\n%s",
                    self.path,
                    getattr(self._value, "version", "?"),
                    exc,
                )
        return self._value


class Published(Generic[T]):
    """The newest published version, else a fallback file; re-checked every `check_s`."""

    def __init__(
        self, engine: Engine, versions: Versions, parse: Parse, fallback: Path, check_s: float = 2.0
    ) -> None:
        self.engine = engine
        self.versions = versions
        self.parse = parse
        self.fallback = WatchedFile(fallback, parse)
        self.check_s = check_s
        self._id: int | None = None
        self._value: T | None = None
        self._checked = 0.0
        self()

    def refresh(self) -> None:
        """Look at the store at the next call (this process just published a version)."""
        self._checked = float("-inf")

    def __call__(self) -> T:
        now = time.monotonic()
        if now - self._checked >= self.check_s:
            self._checked = now
            latest = self.versions.current_id(self.engine)
            if latest != self._id:
                found = self.versions.current(self.engine)
                if found is not None:
                    self._id, text = found
                    try:
                        self._value = self.parse(text, f"<published #{self._id}>")
                        log.info("in force: published %s %s", self.versions.what, self._id)
                    except Exception as exc:  # stored by other code; keep the last good
                        log.error(
                            "published %s #%s is invalid, keeping the last good: %s",
                            self.versions.what,
                            self._id,
                            exc,
                        )
        return self._value if self._value is not None else self.fallback()


def RulesFile(path: Path) -> WatchedFile[RuleSet]:
    return WatchedFile(path, parse_rules)


def PublishedRules(engine: Engine, fallback: Path, check_s: float = 2.0) -> Published[RuleSet]:
    return Published(engine, RULESETS, parse_rules, fallback, check_s)


def rules_provider(engine: Engine, explicit: Path | None, home: Path | None):
    if explicit is not None:
        return RulesFile(explicit)
    home_rules = home / "rules.yaml" if home is not None else None
    if home_rules is not None and home_rules.is_file():
        return PublishedRules(engine, home_rules)
    return PublishedRules(engine, DEFAULT_RULES_PATH)


def saved_replies_provider(engine: Engine, home: Path | None) -> Published[SavedReplies]:
    mine = home / "saved_replies.yaml" if home is not None else None
    fallback = mine if mine is not None and mine.is_file() else DEFAULT_SAVED_REPLIES
    return Published(engine, SAVED_REPLIES, parse_saved_replies, fallback)
