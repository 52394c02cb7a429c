"""Publishing versioned texts (rule sets, saved replies): validate, then store as the version in
force; roll back by publishing an earlier version's text again (validated again, under today's
code). Running workers and desks pick the new version up within seconds (route/provider.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine

from route.rules import RuleSet, parse_rules
from socialcare.store.rulesets import RULESETS
from socialcare.store.versions import Versions

T = TypeVar("T")


def publish_text(
    engine: Engine,
    versions: Versions,
    parse: Callable[[str, str], T],
    text: str,
    author: str,
    message: str,
    filename: str = "<text>",
    action: str = "publish",
) -> T:
    """Validate `text` with `parse` (raising its error if invalid) and store it in force."""
    parsed = parse(text, filename)
    versions.store(engine, text, parsed.version, author, message, action)  # type: ignore[attr-defined]
    return parsed


def rollback_text(
    engine: Engine,
    versions: Versions,
    parse: Callable[[str, str], T],
    version: str,
    author: str,
    message: str = "",
) -> T:
    """Put an earlier published version back in force, as a new history entry."""
    return publish_text(
        engine,
        versions,
        parse,
        versions.text_of(engine, version),
        author,
        message or f"rollback to {version}",
        f"<version {version}>",
        "rollback",
    )


def publish(
    engine: Engine,
    text: str,
    author: str,
    message: str,
    filename: str = "<rules>",
    action: str = "publish",
) -> RuleSet:
    """Validate and store a rule file as the version in force. Raises RuleFileError if invalid."""
    return publish_text(engine, RULESETS, parse_rules, text, author, message, filename, action)


def rollback(engine: Engine, version: str, author: str, message: str = "") -> RuleSet:
    return rollback_text(engine, RULESETS, parse_rules, version, author, message)
