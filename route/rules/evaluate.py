"""Evaluating a rule set on a mention: the routing decision, with every rule that matched and
the one that decided (see route/rules/compile.py for the order)."""

from __future__ import annotations

from dataclasses import dataclass, field

from route.priority import priority_parts, total
from route.rules.compile import Facts, RuleSet, SlaPolicy
from socialcare.stream.schema import Mention


@dataclass(frozen=True)
class Decision:
    queue: str
    priority: int
    parts: dict[str, int]
    sla: SlaPolicy
    rule_id: str
    ruleset_version: str
    tags: tuple[str, ...] = ()
    ignored: str | None = None  # the reason, when a rule says to ignore the mention
    matched: tuple[str, ...] = field(default=())  # every rule that matched, in order
    escalate: bool = False  # a matching rule asked to escalate at once


def decide(rules: RuleSet, mention: Mention, facts: Facts | None = None) -> Decision:
    facts = facts or Facts()
    boost = 0
    escalate = False
    tags: list[str] = []
    matched: list[str] = []
    for rule in rules.rules:
        if not rule.matches(mention, facts):
            continue
        matched.append(rule.id)
        action = rule.action
        boost += action.priority_boost
        if action.escalate:
            escalate = True
            boost += rules.escalation.priority_boost
            if "escalated" not in tags:
                tags.append("escalated")
        tags.extend(t for t in action.tags if t not in tags)
        if rule.continues:
            continue
        queue = action.queue or rules.default.queue
        base = action.priority if action.priority is not None else rules.default.priority
        sla = rules.sla_policies[action.sla or rules.default.sla]
        parts = priority_parts(mention, base, boost)
        return Decision(
            queue,
            total(parts),
            parts,
            sla,
            rule.id,
            rules.version,
            tuple(tags),
            action.ignore,
            tuple(matched),
            escalate,
        )
    parts = priority_parts(mention, rules.default.priority, boost)
    return Decision(
        rules.default.queue,
        total(parts),
        parts,
        rules.sla_policies[rules.default.sla],
        "default",
        rules.version,
        tuple(tags),
        None,
        tuple(matched),
        escalate,
    )
