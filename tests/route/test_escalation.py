"""What a case owes the watchdog's rule, and what escalating it does (route/escalation.py)."""

from __future__ import annotations

from datetime import timedelta

from route.escalation import escalation, owed_due
from route.rules.compile import Escalation
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
