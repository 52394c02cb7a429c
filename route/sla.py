"""SLA arithmetic, pure: when a case's current target falls due and how long its clock has been
paused, from the case row, its timeline and the rule set's SLA policies. No database, no wall
clock: every time here comes from the posts (event time), so a replay computes the same dues."""

from __future__ import annotations

from datetime import datetime, timedelta

from route import calendar
from route.rules import RuleSet

Timeline = list[tuple[datetime, bool, str]]  # (posted at, from the brand, author handle)


class Clock:
    """A case's SLA clock (waiting on the customer since, time paused) kept up post by post.

    `sla_clock` runs one over the whole timeline in time order. A router adding posts to a
    case in time order steps the one it has instead: a thread of thousands of replies would
    otherwise sort its whole timeline again at each post."""

    __slots__ = ("cal", "last", "paused", "seen_customer", "waiting")

    def __init__(self, cal) -> None:
        self.cal = cal
        self.waiting: datetime | None = None
        self.paused = timedelta()
        self.seen_customer = False
        self.last: tuple[datetime, bool] | None = None  # the latest post stepped over

    @classmethod
    def of(cls, timeline: Timeline, cal) -> Clock:
        clock = cls(cal)
        for at, brand, _handle in sorted(timeline, key=lambda e: (e[0], e[1])):
            clock.step(at, brand)
        return clock

    def follows(self, at: datetime, brand: bool) -> bool:
        """Whether a post comes after every post stepped over, as `of`'s sort would put it:
        customer posts before brand posts of the same time."""
        return self.last is None or (at, brand) >= self.last

    def step(self, at: datetime, brand: bool) -> None:
        """The next post in time order: the clock waits on the customer from a brand post that
        follows a customer post until the customer's next post."""
        if not brand:
            self.seen_customer = True
            if self.waiting is not None:
                self.paused += calendar.elapsed(self.cal, self.waiting, at)
                self.waiting = None
        elif self.seen_customer and self.waiting is None:
            self.waiting = at
        self.last = (at, brand)

    @property
    def reading(self) -> tuple[datetime | None, int]:
        """(waiting since, seconds paused)."""
        return self.waiting, int(self.paused.total_seconds())


def sla_clock(timeline: Timeline, cal) -> tuple[datetime | None, int]:
    """(waiting since, seconds paused) from a case's whole timeline, whatever order its posts
    arrived in."""
    return Clock.of(timeline, cal).reading


def first_response_due(case: dict, rules: RuleSet) -> datetime | None:
    policy = rules.sla_policies.get(case["sla_policy"])
    if policy is None:
        return None
    return calendar.add(policy.calendar, case["opened_at"], policy.first_response)


def sla_due(case: dict, rules: RuleSet) -> datetime | None:
    """When the case's current SLA target falls due: the first response until there is one,
    then resolution, counted in the policy's business hours, minus the time spent waiting on
    the customer; none while waiting on the customer or once resolved."""
    policy = rules.sla_policies.get(case["sla_policy"])
    if case["status"] == "resolved" or policy is None:
        return None
    if case["first_response_at"] is None:
        return calendar.add(policy.calendar, case["opened_at"], policy.first_response)
    if case.get("waiting_since") is not None:
        return None
    paused = timedelta(seconds=int(case.get("sla_paused_s") or 0))
    return calendar.add(policy.calendar, case["opened_at"], policy.resolution + paused)


def earliest_due(case: dict, rules: RuleSet) -> datetime | None:
    """A time before which none of the case's due times can fall (its first-response or
    resolution target counted from its opening, with no wait on the customer), or None when
    its policy is unknown and it has no due times."""
    policy = rules.sla_policies.get(case["sla_policy"])
    if policy is None:
        return None
    return calendar.add(
        policy.calendar, case["opened_at"], min(policy.first_response, policy.resolution)
    )


def open_as_of(case: dict, known: Timeline, rules: RuleSet) -> dict:
    """The case, open, as the posts `known` leave it: its first response, its clock (waiting
    since, seconds paused) and its due time, judged on those posts alone."""
    policy = rules.sla_policies.get(case["sla_policy"])
    first = min((t for t, brand, _h in known if brand and t >= case["opened_at"]), default=None)
    return open_with(case, Clock.of(known, policy.calendar if policy else None), first, rules)


def open_with(case: dict, clock: Clock, first_response_at: datetime | None, rules: RuleSet) -> dict:
    """The case, open, with the clock and first response of some of its posts."""
    waiting, paused = clock.reading
    as_of = {
        **case,
        "status": "open",
        "first_response_at": first_response_at,
        "waiting_since": waiting,
        "sla_paused_s": paused,
    }
    as_of["sla_due"] = sla_due(as_of, rules)
    return as_of


def due_as_of(case: dict, timeline: Timeline, rules: RuleSet, at: datetime) -> datetime | None:
    """The case's due time as it stood at event time `at`, judged on every post posted up to
    `at` (including those that arrived only later)."""
    if case["sla_policy"] not in rules.sla_policies:
        return None
    return open_as_of(case, [e for e in timeline if e[0] <= at], rules)["sla_due"]


def breached_as_of(case: dict, timeline: Timeline, rules: RuleSet, at: datetime) -> bool:
    """Whether the case's SLA target was breached at its due time `at`: the first response (or
    resolution) was due by `at` and had not come. Or the clock was stopped at `at`, waiting on
    the customer, with the resolution time already spent: then the target was breached the
    moment the customer wrote again (the clock ran on from there, past its due time)."""
    due = due_as_of(case, timeline, rules, at)
    if due is not None:
        return due <= at
    resumed = min((t for t, brand, _h in timeline if not brand and t > at), default=None)
    if resumed is None:
        return False
    due = due_as_of(case, timeline, rules, resumed)
    return due is not None and due <= resumed
