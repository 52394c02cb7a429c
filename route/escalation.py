"""What an SLA escalation owes and does, pure: used by the watchdog on the rows it claims, and by
the router when a post shows that a due time passed before it (route/casebook.py).

A case is escalated once per target: once when its first response is late, once when its
resolution is (the resolution's due time moves with every wait on the customer, and a case whose
time is spent would otherwise be escalated again each time the customer wrote). A case owes an
escalation at event time `at` for
- its first-response due time, once that has passed without a first response, or when the first
  response came after it (a replay can route the late answer before the watchdog looks);
- its resolution due time, once that has passed and the resolution was not escalated yet.
The late first response comes first: a case can owe both, and live it would have been escalated
at the first due time, then at the second.

What a case owes depends on the posts the router knows when it decides, and posts can arrive out
of order (urgent ones on their own topic, a restarted router re-reading its batch). `in_order`
says what a router that got every post in order would have decided, from the whole timeline, so
the router can bring a case to that whatever the order (route/casebook.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from route.priority import total
from route.rules import RuleSet
from route.rules.compile import Escalation
from route.sla import Clock, Timeline, first_response_due, open_with


def owed_due(case: Mapping[str, Any], at: datetime, strict: bool = False) -> datetime | None:
    """The due time the open case owes an escalation for at event time `at`, or None.
    `strict`: only a due time before `at` (the router, about to apply a post made at `at`:
    a post at the due time itself is in time); the watchdog counts one at `at` too.
    route/watchdog.py asks the same of the database in SQL."""
    if case["status"] != "open":
        return None

    def passed(due: datetime | None) -> bool:
        return due is not None and (due < at if strict else due <= at)

    escalated_due = case.get("sla_escalated_due")
    first_due, first_at = case.get("first_response_due"), case.get("first_response_at")
    if (
        escalated_due is None
        and passed(first_due)
        and first_at is not None
        and first_at > first_due
    ):
        return first_due
    due = case.get("sla_due")
    if not passed(due):
        return None
    if first_at is None:  # the first-response target
        return due if escalated_due is None else None
    resolution_escalated = case.get("sla_escalated_target") == "resolution"
    return None if resolution_escalated or escalated_due == due else due


def in_order(
    case: Mapping[str, Any], timeline: Timeline, rules: RuleSet
) -> list[tuple[datetime, datetime, str]]:
    """The escalations a router that got the case's posts in event-time order would have made,
    each as (the time of the post it was decided before, the due time, the target): before each
    post after the opening one, `owed_due` on the case as the earlier posts left it."""
    opened = case["opened_at"]
    escalated: dict[str, Any] = {"sla_escalated_due": None, "sla_escalated_target": None}
    first_due = first_response_due(case, rules)
    made: list[tuple[datetime, datetime, str]] = []
    ordered = sorted(timeline, key=lambda e: (e[0], e[1]))
    policy = rules.sla_policies.get(case["sla_policy"])
    # the posts before each post, as one clock stepped along (not worked out again from all of
    # them at each post: a thread of thousands was quadratic)
    clock = Clock(policy.calendar if policy else None)
    first_response_at: datetime | None = None
    stepped = 0  # ordered[:stepped] are the posts made before `at`
    for at, _brand, _handle in ordered:
        while ordered[stepped][0] < at:
            t, brand, _h = ordered[stepped]
            clock.step(t, brand)
            if brand and t >= opened and first_response_at is None:
                first_response_at = t
            stepped += 1
        if at <= opened:
            continue
        as_of = {
            **open_with(case, clock, first_response_at, rules),
            "status": case["status"],
            "first_response_due": first_due,
            **escalated,
        }
        due = owed_due(as_of, at, strict=True)
        if due is None:
            continue
        target = target_of(as_of, due)
        made.append((at, due, target))
        escalated = {"sla_escalated_due": due, "sla_escalated_target": target}
    return made


def target_of(case: Mapping[str, Any], due: datetime) -> str:
    """Which target an escalation of `case` for its due time `due` is for."""
    first_at = case.get("first_response_at")
    if first_at is None or due == case.get("first_response_due"):
        return "first_response"
    return "resolution"


def escalation(
    case: Mapping[str, Any], due: datetime, esc: Escalation, event_time: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the case's changed fields, the `escalated` event's data) for escalating `case` for its
    due time `due`: the priority raised by `esc.priority_boost` (recorded as the `escalation`
    part), the case moved to `esc.queue` if one is set, tagged `sla-breached`."""
    parts = dict(case.get("priority_parts") or {})
    parts["escalation"] = parts.get("escalation", 0) + esc.priority_boost
    priority = total(parts)
    queue = esc.queue or case["queue"]
    target = target_of(case, due)
    changes = {
        "priority": priority,
        "priority_parts": parts,
        "queue": queue,
        "tags": sorted(set(case.get("tags") or []) | {"sla-breached"}),
        "sla_escalated_due": due,
        "sla_escalated_target": target,
        "escalated_from_queue": case.get("escalated_from_queue") or case["queue"],
    }
    data = {
        "reason": f"{target.replace('_', ' ')} SLA breached",
        "due": due.isoformat(),
        "event_time": event_time.isoformat(),
        "from": {"queue": case["queue"], "priority": case["priority"]},
        "to": {"queue": queue, "priority": priority},
    }
    return changes, data


def notice(case_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the webhook is sent for an escalation, whoever made it (the watchdog or the router)."""
    return {"type": "escalated", "case_id": case_id, **data}
