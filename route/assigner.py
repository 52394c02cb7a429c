"""Push assignment: each waiting case goes to an online agent with free capacity and the skills
it needs, highest priority first, then earliest SLA due.

- An agent is available when online and their desk was seen within `idle` (an idle desk turns
  away); away and offline agents get nothing new. Going offline hands back the cases one has
  not touched yet (socialcare/store/assignment.py `hand_back`).
- A case needs the skills its queue lists (rule file `queues: {urgent: {skills: [urgent]}}`)
  and, when it is in a language outside `assignment.languages` (default: en), that language.
- Per queue, `assignment: most-spare-capacity` (default) gives to the agent with the most room
  (the one given least recently on a tie) and `round-robin` to the next agent after the one the
  queue gave to last.
- Assignment is ownership (`cases.assignee`), apart from the short claim lease an agent takes
  to work a case now. Safe with several assigners on PostgreSQL: agents' rows are locked per
  round and each give is conditional.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from route.rules import RuleSet
from socialcare.store import assignment as store
from socialcare.stream.schema import utcnow

IDLE = timedelta(minutes=10)


@dataclass
class Round:
    given: list[tuple[str, str]] = field(default_factory=list)  # (case, agent)
    waiting: int = 0  # cases still waiting after the round (no agent with room and skill)


def needed_skills(case: dict, rules: RuleSet) -> frozenset[str]:
    spec = rules.spec
    queue = spec.queues.get(case["queue"])
    needs = set(queue.skills) if queue else set()
    language = (case.get("language") or "").lower()
    if language and language not in spec.assignment.languages:
        needs.add(language)
    return frozenset(needs)


def pick(agents: list[store.Agent], mode: str, last: str | None) -> store.Agent:
    if mode == "round-robin":
        names = sorted(a.name for a in agents)
        after = [n for n in names if last is None or n > last]
        chosen = (after or names)[0]
        return next(a for a in agents if a.name == chosen)
    return max(agents, key=lambda a: (a.spare, -len(a.assigned), _neg(a.name)))


def _neg(name: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in name)  # alphabetical first on a full tie


class Assigner:
    def __init__(
        self, engine: Engine, rules: Callable[[], RuleSet], idle: timedelta = IDLE
    ) -> None:
        self.engine = engine
        self.rules = rules
        self.idle = idle

    def tick(self, now: datetime | None = None) -> Round:
        now = now or utcnow()
        rules = self.rules()
        result = Round()
        if not rules.spec.assignment.enabled:
            return result
        with self.engine.begin() as conn:
            agents = store.available(conn, now - self.idle)
            if not agents or not any(a.spare > 0 for a in agents):
                result.waiting = store.count_waiting(conn, now)
                return result
            last = store.last_round_robin(conn)
            for case in store.waiting(conn, now):
                needs = needed_skills(case, rules)
                able = [a for a in agents if a.spare > 0 and needs <= a.skills]
                if not able:
                    continue
                queue = rules.spec.queues.get(case["queue"])
                mode = queue.assignment if queue else "most-spare-capacity"
                agent = pick(able, mode, last.get(case["queue"]))
                if store.give(conn, case["id"], agent.name, now):
                    agent.load += 1
                    agent.assigned.append(case["id"])
                    result.given.append((case["id"], agent.name))
                    if mode == "round-robin":
                        last[case["queue"]] = agent.name
                        store.set_round_robin(conn, case["queue"], agent.name)
                if not any(a.spare > 0 for a in agents):
                    break
            result.waiting = store.count_waiting(conn, now)
        return result
