"""Publishing rule sets: validate a rule file, then store it as the version in force; roll back by
publishing an earlier version's text again (validated again, under today's code). Running
routers pick the new version up within seconds (route/provider.py)."""

from __future__ import annotations

from sqlalchemy import Engine

from route.rules import RuleSet, parse_rules
from socialcare.store import rulesets


def publish(
    engine: Engine,
    text: str,
    author: str,
    message: str,
    filename: str = "<rules>",
    action: str = "publish",
) -> RuleSet:
    """Validate and store a rule file as the version in force. Raises RuleFileError if invalid."""
    rules = parse_rules(text, filename)
    rulesets.store(engine, text, rules.version, author, message, action)
    return rules


def rollback(engine: Engine, version: str, author: str, message: str = "") -> RuleSet:
    """Put an earlier published version back in force, as a new history entry."""
    return publish(
        engine,
        rulesets.text_of(engine, version),
        author,
        message or f"rollback to {version}",
        f"<version {version}>",
        "rollback",
    )
