"""What a case owes the watchdog's rule, and what escalating it does (route/escalation.py)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from route.escalation import escalation, in_order, owed_due, target_of
from route.rules import parse_rules
from route.rules.compile import Escalation
from route.sla import first_response_due, open_as_of
from tests.factories import T0

ESC = Escalation(warn_before=timedelta(minutes=5), priority_boost=20, queue="hot", webhook=None)
FIRST_DUE = T0 + timedelta(minutes=30)


def case(**over):
    row = {
        "id": "c1",
        "status": "open",
        "queue": "care",
        "priority": 45,
        "priority_parts": {"rule": 40, "sentiment": 5},
        "tags": ["vip"],
        "first_response_due": FIRST_DUE,
        "first_response_at": None,
        "sla_due": FIRST_DUE,
        "sla_escalated_due": None,
        "sla_escalated_target": None,
        "escalated_from_queue": None,
    }
    return {**row, **over}


def test_a_first_response_overdue_is_owed_once():
    late = T0 + timedelta(minutes=31)
    assert owed_due(case(), T0 + timedelta(minutes=29)) is None
    assert owed_due(case(), late) == FIRST_DUE
    assert owed_due(case(sla_escalated_due=FIRST_DUE), late) is None
    assert owed_due(case(status="resolved"), late) is None


def test_the_router_counts_a_post_at_the_due_time_as_in_time():
    assert owed_due(case(), FIRST_DUE) == FIRST_DUE  # the watchdog, looking at the due time
    assert owed_due(case(), FIRST_DUE, strict=True) is None  # a post made at the due time
    assert owed_due(case(), FIRST_DUE + timedelta(seconds=1), strict=True) == FIRST_DUE


def test_a_late_first_response_is_owed_before_the_resolution():
    answered = case(first_response_at=T0 + timedelta(minutes=45), sla_due=T0 + timedelta(hours=3))
    assert owed_due(answered, T0 + timedelta(hours=4)) == FIRST_DUE
    after_first = {
        **answered,
        "sla_escalated_due": FIRST_DUE,
        "sla_escalated_target": "first_response",
    }
    assert owed_due(after_first, T0 + timedelta(hours=4)) == T0 + timedelta(hours=3)


def test_the_resolution_is_escalated_once_however_its_due_time_moves():
    """Each wait on the customer moves the resolution's due time; a case whose time is spent is
    escalated for it once, not each time the customer writes again."""
    done = case(
        first_response_at=T0 + timedelta(minutes=10),
        sla_due=T0 + timedelta(hours=3),
        sla_escalated_due=T0 + timedelta(hours=3),
        sla_escalated_target="resolution",
    )
    moved = {**done, "sla_due": T0 + timedelta(hours=5)}
    assert owed_due(moved, T0 + timedelta(hours=6)) is None


def test_escalating_raises_priority_moves_queue_and_tags():
    changes, data = escalation(case(), FIRST_DUE, ESC, T0 + timedelta(minutes=40))
    assert changes["priority_parts"] == {"rule": 40, "sentiment": 5, "escalation": 20}
    assert changes["priority"] == 65 and changes["queue"] == "hot"
    assert changes["tags"] == ["sla-breached", "vip"] and changes["escalated_from_queue"] == "care"
    assert changes["sla_escalated_due"] == FIRST_DUE
    assert changes["sla_escalated_target"] == "first_response"
    assert data["reason"] == "first response SLA breached"
    assert data["from"] == {"queue": "care", "priority": 45}
    assert data["to"] == {"queue": "hot", "priority": 65}
    # a second escalation (the resolution) keeps where the case came from; priority caps at 100
    again = case(
        **{
            **changes,
            "first_response_at": T0 + timedelta(minutes=45),
            "priority_parts": {"rule": 90, "escalation": 20},
        }
    )
    changes, data = escalation(again, T0 + timedelta(hours=3), ESC, T0 + timedelta(hours=4))
    assert changes["priority"] == 100 and changes["escalated_from_queue"] == "care"
    assert changes["sla_escalated_target"] == "resolution"
    assert data["reason"] == "resolution SLA breached"


def _in_order_by_definition(case_row, timeline, rules):
    """`in_order` as it is defined: before each post after the opening one, the case as every
    earlier post leaves it (its clock worked out from all of them again at each post)."""
    escalated = {"sla_escalated_due": None, "sla_escalated_target": None}
    made = []
    ordered = sorted(timeline, key=lambda e: (e[0], e[1]))
    for i, (at, _brand, _handle) in enumerate(ordered):
        if at <= case_row["opened_at"]:
            continue
        as_of = {
            **open_as_of(case_row, [e for e in ordered[:i] if e[0] < at], rules),
            "status": case_row["status"],
            "first_response_due": first_response_due(case_row, rules),
            **escalated,
        }
        due = owed_due(as_of, at, strict=True)
        if due is not None:
            made.append((at, due, target_of(as_of, due)))
            escalated = {"sla_escalated_due": due, "sla_escalated_target": target_of(as_of, due)}
    return made


@pytest.mark.parametrize("hours", ["", "calendar: office"])
@pytest.mark.parametrize("seed", range(6))
def test_in_order_steps_one_clock_along_the_thread_and_decides_as_its_definition(seed, hours):
    """`in_order` steps one SLA clock along the thread instead of working it out again from
    every earlier post at each post (a thread of 10,000 posts with a few late ones took 48 s to
    route, 2 s after). Random threads, with ties, brand answers and long waits, in both calendars,
    give the escalations the definition gives."""
    rules = parse_rules(
        "queues: {q: {}}\n"
        "calendars:\n  office: {timezone: Europe/London, hours: {mon-fri: ['09:00-17:00']}}\n"
        f"sla_policies: {{s: {{first_response: 1h, resolution: 3h, {hours}}}}}\n"
        "default: {queue: q, priority: 1, sla: s}\n"
    )
    rng = random.Random(seed)
    at, timeline = T0, [(T0, False, "opener")]
    for _ in range(120):
        at += timedelta(minutes=rng.choice([0, 0, 1, 7, 30, 95, 400]))
        timeline.append((at, rng.random() < 0.25, f"u{rng.randrange(5)}"))
    rng.shuffle(timeline)  # the order they arrived in: in_order sorts them
    row = case(opened_at=T0, sla_policy="s")
    made = in_order(row, timeline, rules)
    assert made == _in_order_by_definition(row, timeline, rules)
    assert made  # the waits ran past due times
