"""Crisis mode: one incident's customers get their own queue, SLA and priority, by an ordinary
published rule-set version (so it shows in `rules history`, and undoing it is a rollback).

`crisis on` publishes the rules in force plus a `crisis` queue and SLA policy (from the rule
file's `alerts.crisis`, or defaults) and, first in the list, a rule `crisis-INCIDENT` that sends
every post grouped into the incident (`incident.id`) there. The incident's open cases are routed
again at once; new posts that match the incident follow the rule as they arrive. `crisis off`
puts the version before it back when nothing was published since, else publishes the rules in
force without the crisis rule; the incident's open cases are routed again under that version.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, Select, select

from route.casebook import refresh_case_clocks
from route.publishing import publish
from route.rules import Decision, Facts, RuleSet, decide
from socialcare.errors import ConflictError, NotFoundError
from socialcare.store import bulk, rulesets
from socialcare.store.batches import BULK_CHUNK, chunks
from socialcare.store.incidents import get_incident, reopen
from socialcare.store.tables import case_events, cases, posts
from socialcare.stream.schema import Mention, parse_mention, utcnow

ON = "crisis on for incident "


def rule_id(incident_id: str) -> str:
    return f"crisis-{incident_id}"


def crisis_on(engine: Engine, current: RuleSet, incident_id: str, author: str, why: str) -> RuleSet:
    incident = get_incident(engine, incident_id)
    if incident["status"] == "merged":
        raise ConflictError(f"incident {incident_id} was merged into {incident['merged_into']}")
    if any(r.id == rule_id(incident_id) for r in current.rules):
        raise ConflictError(f"crisis mode is on for incident {incident_id} already")
    spec = current.alerts.crisis
    if not rulesets.history(engine):  # keep what was in force, so `crisis off` can go back to it
        publish(engine, current.source, author, "the rules in force before crisis mode")
    data: dict[str, Any] = yaml.safe_load(current.source)
    data.setdefault("queues", {}).setdefault(
        spec.queue, {"description": "crisis mode: the customers of one incident"}
    )
    data.setdefault("sla_policies", {}).setdefault(
        "crisis", {"first_response": spec.first_response, "resolution": spec.resolution}
    )
    rule = {
        "id": rule_id(incident_id),
        "description": f"crisis mode: {incident['title']}"[:200],
        "when": {"field": "incident.id", "op": "equals", "value": incident_id},
        "then": {
            "queue": spec.queue,
            "priority": spec.priority,
            "sla": "crisis",
            "tags": ["crisis"],
        },
    }
    data["rules"] = [rule, *data.get("rules", [])]
    text = f"# {ON}{incident_id}: {why}\n" + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True
    )
    rules = publish(engine, text, author, f"{ON}{incident_id}: {why}", "<crisis on>")
    reopen(engine, incident_id)  # a crisis is ongoing: new posts like it join the incident
    reroute(engine, rules, incident_id, author, "crisis on")
    return rules


def crisis_off(
    engine: Engine, current: RuleSet, incident_id: str, author: str, why: str
) -> RuleSet:
    if not any(r.id == rule_id(incident_id) for r in current.rules):
        raise NotFoundError(f"crisis mode is not on for incident {incident_id}")
    history = rulesets.history(engine)
    message = f"crisis off for incident {incident_id}: {why}"
    last = history[-1] if history else None
    if last and last["message"].startswith(f"{ON}{incident_id}") and len(history) > 1:
        before = history[-2]["version"]  # nothing published since: a true rollback
        text = rulesets.text_of(engine, before)
        rules = publish(engine, text, author, message, f"<version {before}>", "rollback")
    else:
        data = yaml.safe_load(current.source)
        data["rules"] = [r for r in data.get("rules", []) if r.get("id") != rule_id(incident_id)]
        text = f"# {message}\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        rules = publish(engine, text, author, message, "<crisis off>")
    reroute(engine, rules, incident_id, author, "crisis off")
    return rules


def reroute(engine: Engine, rules: RuleSet, incident_id: str, actor: str, why: str) -> list[str]:
    """Route the incident's open cases again under `rules` (each takes the decision of its
    highest-priority customer post, as the router does); returns the cases that moved.

    `BULK_CHUNK` cases a transaction, a few statements each (as the incident's bulk actions),
    so the router and the desk wait at most one chunk; the rules are in force already, so a
    post the router routes in between is decided as this would decide it."""
    now = utcnow()
    with engine.connect() as conn:
        ids = list(
            conn.execute(_open_cases(incident_id, cases.c.id).order_by(cases.c.id)).scalars()
        )
    facts = Facts(incident_id=incident_id, incident_size=len(ids))
    moved: list[str] = []
    for chunk in chunks(ids, BULK_CHUNK):
        with engine.begin() as conn:
            moved += _reroute_chunk(conn, rules, facts, chunk, actor, why, now)
    return moved


def _open_cases(incident_id: str, *columns: Any) -> Select:
    return select(*columns).where(cases.c.incident_id == incident_id, cases.c.status == "open")


def _reroute_chunk(
    conn: Connection,
    rules: RuleSet,
    facts: Facts,
    case_ids: list[str],
    actor: str,
    why: str,
    now: datetime,
) -> list[str]:
    assert facts.incident_id is not None
    rows = conn.execute(
        _open_cases(facts.incident_id, cases).where(cases.c.id.in_(case_ids)).order_by(cases.c.id)
    ).all()
    said = _customer_mentions(conn, [row.id for row in rows])
    changes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in rows:
        best: Decision | None = None
        for mention in said.get(row.id, ()):
            d = decide(rules, mention, facts)
            if not d.ignored and (best is None or d.priority > best.priority):
                best = d
        if best is None or (best.queue, best.priority) == (row.queue, row.priority):
            continue
        changes.append(
            {
                "id": row.id,
                "queue": best.queue,
                "priority": best.priority,
                "priority_parts": best.parts,
                "sla_policy": best.sla.name,
                "rule_id": best.rule_id,
                "ruleset_version": best.ruleset_version,
                "tags": sorted(set(row.tags or []) | set(best.tags)),
                "updated_at": now,
            }
        )
        events.append(
            {
                "case_id": row.id,
                "type": "reprioritized",
                "at": now,
                "actor": actor,
                "data": {
                    "reason": why,
                    "from": {"queue": row.queue, "priority": row.priority},
                    "to": {"queue": best.queue, "priority": best.priority},
                    "rule_id": best.rule_id,
                    "ruleset_version": best.ruleset_version,
                },
            }
        )
    bulk.update_rows(conn, cases, "id", changes)
    refresh_case_clocks(conn, [c["id"] for c in changes], rules)
    bulk.insert_rows(conn, case_events, events)
    return [c["id"] for c in changes]


def _customer_mentions(conn: Connection, case_ids: list[str]) -> dict[str, list[Mention]]:
    """Each case's customer posts (not the brand's), oldest first."""
    out: dict[str, list[Mention]] = defaultdict(list)
    query = (
        select(posts.c.case_id, posts.c.mention)
        .where(posts.c.case_id.in_(case_ids), posts.c.from_brand.is_(False))
        .order_by(posts.c.case_id, posts.c.created_at)
    )
    for case_id, text in conn.execute(query):
        out[case_id].append(parse_mention(text))
    return out
