"""Which rule set is in force, re-checked as routers run, so a new version takes effect without
a restart.

Precedence: an explicit `--rules FILE` (re-read when the file changes); else the newest version
published to the case store (`socialcare rules publish`, re-checked every few seconds); else
HOME/rules.yaml; else the built-in default. A broken edit of a file keeps the last good version
and logs why; published versions were validated before they were stored.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from sqlalchemy import Engine

from route.rules import DEFAULT_RULES_PATH, RuleSet, load_rules, parse_rules
from socialcare.store import rulesets

log = logging.getLogger(__name__)


class RulesFile:
    """A rule file, re-read when its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime = path.stat().st_mtime_ns
        self._rules = load_rules(path)

    def __call__(self) -> RuleSet:
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError:
            return self._rules
        if mtime != self._mtime:
            self._mtime = mtime
            try:
                self._rules = load_rules(self.path)
                log.info("rules reloaded from %s: version %s", self.path, self._rules.version)
            except Exception as exc:  # whatever is wrong with the edit, routing goes on
                log.error(
                    "rules file changed but is invalid, keeping version %s:\n%s",
                    self._rules.version,
                    exc,
                )
        return self._rules


class PublishedRules:
    """The newest published version, else a fallback file; re-checked every `check_s`."""

    def __init__(self, engine: Engine, fallback: Path, check_s: float = 2.0) -> None:
        self.engine = engine
        self.fallback = RulesFile(fallback)
        self.check_s = check_s
        self._id: int | None = None
        self._rules: RuleSet | None = None
        self._checked = 0.0
        self()

    def __call__(self) -> RuleSet:
        now = time.monotonic()
        if now - self._checked >= self.check_s:
            self._checked = now
            latest = rulesets.current_id(self.engine)
            if latest != self._id:
                found = rulesets.current(self.engine)
                if found is not None:
                    self._id, text = found
                    try:
                        self._rules = parse_rules(text, f"<published #{self._id}>")
                        log.info("rules in force: published version %s", self._rules.version)
                    except Exception as exc:  # stored by other code; keep the last good
                        log.error(
                            "published rules #%s are invalid, keeping the last good: %s",
                            self._id,
                            exc,
                        )
        return self._rules if self._rules is not None else self.fallback()


def rules_provider(engine: Engine, explicit: Path | None, home: Path | None):
    if explicit is not None:
        return RulesFile(explicit)
    home_rules = home / "rules.yaml" if home is not None else None
    if home_rules is not None and home_rules.is_file():
        return PublishedRules(engine, home_rules)
    return PublishedRules(engine, DEFAULT_RULES_PATH)
