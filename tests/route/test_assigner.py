"""Push assignment as a simulation on a fake clock (issue 17): agents with different capacities
and skills, presence changing, hundreds of cases arriving and being resolved. After every round:
nobody is over capacity, away and offline agents got nothing new, skills are honoured, round
robin keeps equal agents within one case of each other, and no waiting case outranks one that
was given to an agent who could have taken it."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select, update

from route.assigner import Assigner, needed_skills
from route.casebook import CaseBook
from route.rules import parse_rules
from socialcare.store import claims
from socialcare.store.assignment import change_presence
from socialcare.store.db import open_store
from socialcare.store.tables import case_events, cases, users
from socialcare.store.users import add_user
from tests.factories import T0, classified

RULES = """
queues:
  general: {}
  urgent: {assignment: round-robin, skills: [urgent]}
sla_policies: {std: {first_response: 1h, resolution: 1d}, fast: {first_response: 15m, resolution: 4h}}
assignment: {languages: [en]}
rules:
  - id: urgent
    when: {field: urgency.level, op: equals, value: critical}
    then: {queue: urgent, priority: 80, sla: fast}
default: {queue: general, priority: 30, sla: std}
"""
AGENTS = {  # name: (capacity, skills)
    "ana": (6, "es"),
    "bob": (3, ""),
    "cy": (20, "urgent"),
    "dee": (20, "urgent"),
    "eve": (4, "es,urgent"),
}


def rank(case) -> tuple:
    return (-case.priority, case.sla_due is None, case.sla_due, case.opened_at, case.id)


def test_a_day_of_push_assignment(tmp_path):
    rng = random.Random(17)
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    rules = parse_rules(RULES)
    for name, (cap, skills) in AGENTS.items():
        add_user(engine, name, "agent", "correct horse battery", capacity=cap, skills=skills)
    online = {"ana", "bob", "cy", "dee"}  # eve is away at first
    for name in AGENTS:
        change_presence(engine, name, "online" if name in online else "away", T0)
    assigner = Assigner(engine, lambda: rules)
    rr = {"cy": 0, "dee": 0}
    made = 0
    for minute in range(240):
        now = T0 + timedelta(minutes=minute)
        if minute == 60:
            change_presence(engine, "eve", "online", now)
            online.add("eve")
        if minute == 120:  # bob leaves: his untouched cases go back to the queue
            handed = change_presence(engine, "bob", "offline", now)
            online.discard("bob")
            with engine.connect() as conn:
                still = conn.execute(
                    select(func.count()).where(cases.c.assignee == "bob", cases.c.status == "open")
                ).scalar()
            assert still == 0 and handed is not None
        if minute == 180:
            change_presence(engine, "bob", "online", now)
            online.add("bob")
        with engine.begin() as conn:  # open desks keep their agents seen
            conn.execute(update(users).where(users.c.name.in_(online)).values(last_seen_at=now))
        arriving = [
            classified(
                f"p{made + i}",
                f"c{made + i}",
                minutes=minute,
                urgency="critical" if rng.random() < 0.2 else "normal",
                language="es" if rng.random() < 0.15 else "en",
                author={"id": f"u{made + i}", "handle": f"u{made + i}"},
            )
            for i in range(rng.randint(0, 4))
        ]
        made += len(arriving)
        with engine.begin() as conn:
            CaseBook(conn, rules, now).apply(arriving)
        result = assigner.tick(now)
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(cases))}
            loads = dict(
                conn.execute(
                    select(cases.c.assignee, func.count())
                    .where(cases.c.status == "open", cases.c.assignee.is_not(None))
                    .group_by(cases.c.assignee)
                ).all()
            )
        for name, (cap, _skills) in AGENTS.items():
            assert loads.get(name, 0) <= cap, (minute, name)
        for case_id, agent in result.given:
            assert agent in online  # away and offline agents get nothing new
            assert needed_skills(dict(rows[case_id]._mapping), rules) <= set(
                AGENTS[agent][1].split(",")
            ) - {""}
            if rows[case_id].queue == "urgent" and agent in rr:
                rr[agent] += 1
        given = {case_id: agent for case_id, agent in result.given}
        waiting = [r for r in rows.values() if r.status == "open" and r.assignee is None]
        for case_id, agent in given.items():
            skills = set(AGENTS[agent][1].split(",")) - {""}
            for w in waiting:
                if needed_skills(dict(w._mapping), rules) <= skills:
                    assert rank(w) >= rank(rows[case_id]), (minute, w.id, case_id)
        for name in online:  # an available agent with room leaves no case they could take
            skills = set(AGENTS[name][1].split(",")) - {""}
            if loads.get(name, 0) < AGENTS[name][0]:
                assert not [
                    w for w in waiting if needed_skills(dict(w._mapping), rules) <= skills
                ], (minute, name)
        # agents work: each resolves some of their cases
        for case_id, row in rows.items():
            if row.status == "open" and row.assignee and rng.random() < 0.08:
                claims.resolve(engine, case_id, row.assignee, now=now)
    assert made > 400
    assert rr["cy"] > 20 and rr["dee"] > 20
    with engine.connect() as conn:
        per_case = conn.execute(
            select(case_events.c.case_id, func.count())
            .where(case_events.c.type == "assigned")
            .group_by(case_events.c.case_id)
        ).all()
        eve = conn.execute(
            select(func.count()).where(
                case_events.c.type == "assigned",
                case_events.c.data["to"].as_string() == "eve",
                case_events.c.at < T0 + timedelta(minutes=60),
            )
        ).scalar()
    assert eve == 0  # away for the first hour: nothing given
    assert max(n for _c, n in per_case) <= 2  # only bob's handed-back cases were given twice


def test_round_robin_keeps_equal_agents_within_one_case(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    rules = parse_rules(RULES)
    for name in ("cy", "dee"):
        add_user(engine, name, "agent", "correct horse battery", capacity=100, skills="urgent")
        change_presence(engine, name, "online", T0)
    assigner = Assigner(engine, lambda: rules, idle=timedelta(days=1))
    counts = {"cy": 0, "dee": 0}
    for minute in range(30):
        now = T0 + timedelta(minutes=minute)
        batch = [
            classified(f"p{minute}-{i}", f"c{minute}-{i}", minutes=minute, urgency="critical")
            for i in range(minute % 4)
        ]
        with engine.begin() as conn:
            CaseBook(conn, rules, now).apply(batch)
        for _case, agent in assigner.tick(now).given:
            counts[agent] += 1
        assert abs(counts["cy"] - counts["dee"]) <= 1, (minute, counts)
    assert sum(counts.values()) == sum(m % 4 for m in range(30))
