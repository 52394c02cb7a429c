"""Routing rules: the schema of a rule file (schema.py), its compilation into a rule set with
FILE:LINE errors (compile.py), and evaluating a rule set on a mention (evaluate.py)."""

from route.rules.compile import (
    DEFAULT_RULES_PATH,
    AlertSettings,
    CompiledRule,
    Escalation,
    Facts,
    RuleFileError,
    RuleSet,
    SlaPolicy,
    default_rules,
    load_rules,
    parse_rules,
)
from route.rules.evaluate import Decision, decide

__all__ = [
    "DEFAULT_RULES_PATH",
    "AlertSettings",
    "CompiledRule",
    "Decision",
    "Escalation",
    "Facts",
    "RuleFileError",
    "RuleSet",
    "SlaPolicy",
    "decide",
    "default_rules",
    "load_rules",
    "parse_rules",
]
