"""`socialcare rules replay`: re-route stored past traffic under another rule set, changing
nothing, and say what would change.

Each case's customer posts are decided again in order, as the router does (the case takes the
first post's decision, then any later post's decision of higher priority); the repeat-contact
fact is recomputed from the customer's other cases. "Before" is where each case is now. The SLA
breach estimate counts first-response targets: a case breaches if its first response came after
the target (or has not come and the target has passed)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from route import calendar
from route.casebook import REPEAT_WINDOW
from route.rules import Decision, Facts, RuleSet, decide
from socialcare.store.batches import chunks
from socialcare.store.reports import PRIORITY_BANDS, priority_band
from socialcare.store.tables import cases, posts
from socialcare.stream.schema import parse_mention, utcnow


def _breached(
    policy, opened_at: datetime, first_response_at: datetime | None, now: datetime
) -> bool:
    if policy is None:
        return False
    due = calendar.add(policy.calendar, opened_at, policy.first_response)
    return (first_response_at or now) > due


def replay(
    engine: Engine,
    current: RuleSet,
    proposed: RuleSet,
    since: datetime | None = None,
    examples: int = 10,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    query = select(cases)
    if since is not None:
        query = query.where(cases.c.opened_at >= since)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query.order_by(cases.c.opened_at))]
        ids = [r["id"] for r in rows]
        mentions: dict[str, list] = defaultdict(list)
        for chunk in chunks(ids):
            for case_id, data in conn.execute(
                select(posts.c.case_id, posts.c.mention)
                .where(posts.c.case_id.in_(chunk), posts.c.from_brand.is_(False))
                .order_by(posts.c.created_at)
            ):
                mentions[case_id].append(parse_mention(data))
        history: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
        for net, cid, opened, conv in conn.execute(
            select(cases.c.network, cases.c.customer_id, cases.c.opened_at, cases.c.conversation_id)
        ):
            history[(net, cid)].append((opened, conv))

    queues_before, queues_after = Counter(), Counter()
    bands_before, bands_after = Counter(), Counter()
    breaches_before = breaches_after = 0
    moved: list[dict[str, Any]] = []
    ignored = 0
    for case in rows:
        posts_of_case = mentions.get(case["id"], [])
        if not posts_of_case:
            continue
        earlier = [
            c
            for opened, c in history[(case["network"], case["customer_id"])]
            if case["opened_at"] - REPEAT_WINDOW <= opened < case["opened_at"]
            and c != case["conversation_id"]
        ]
        facts = Facts(repeat_contacts=len(earlier))
        decision: Decision | None = None
        for m in posts_of_case:
            d = decide(proposed, m, facts)
            if decision is None or (d.priority > decision.priority and not d.ignored):
                decision = d
        assert decision is not None
        queues_before[case["queue"]] += 1
        bands_before[priority_band(case["priority"])] += 1
        breaches_before += _breached(
            current.sla_policies.get(case["sla_policy"]),
            case["opened_at"],
            case["first_response_at"],
            now,
        )
        if decision.ignored:
            ignored += 1
            queues_after[f"(ignored: {decision.ignored})"] += 1
        else:
            queues_after[decision.queue] += 1
            bands_after[priority_band(decision.priority)] += 1
            breaches_after += _breached(
                decision.sla, case["opened_at"], case["first_response_at"], now
            )
        if (
            decision.queue != case["queue"]
            or decision.priority != case["priority"]
            or (decision.ignored)
        ):
            moved.append(
                {
                    "case_id": case["id"],
                    "customer": case["customer_handle"],
                    "summary": case["summary"][:140],
                    "from": {
                        "queue": case["queue"],
                        "priority": case["priority"],
                        "rule_id": case["rule_id"],
                    },
                    "to": {
                        "queue": None if decision.ignored else decision.queue,
                        "priority": decision.priority,
                        "rule_id": decision.rule_id,
                        "ignored": decision.ignored,
                    },
                }
            )
    moved.sort(key=lambda m: -abs((m["to"]["priority"] or 0) - m["from"]["priority"]))
    names = sorted(set(queues_before) | set(queues_after))
    return {
        "cases": sum(queues_before.values()),
        "since": since.isoformat() if since else None,
        "current_version": current.version,
        "proposed_version": proposed.version,
        "queues": {q: {"before": queues_before[q], "after": queues_after[q]} for q in names},
        "priority_bands": {
            b: {"before": bands_before[b], "after": bands_after[b]} for _, b in PRIORITY_BANDS
        },
        "first_response_breaches": {"before": breaches_before, "after": breaches_after},
        "moved": len(moved),
        "ignored": ignored,
        "examples": moved[:examples],
    }


def format_text(report: dict[str, Any]) -> str:
    lines = [
        f"replayed {report['cases']} cases"
        + (f" opened since {report['since']}" if report["since"] else "")
        + f": rules {report['current_version']} → {report['proposed_version']}",
        "",
        f"{'queue':32} {'before':>7} {'after':>7}",
    ]
    for q, v in report["queues"].items():
        lines.append(f"{q:32} {v['before']:>7} {v['after']:>7}")
    lines += ["", f"{'priority':32} {'before':>7} {'after':>7}"]
    for b, v in report["priority_bands"].items():
        lines.append(f"{b:32} {v['before']:>7} {v['after']:>7}")
    br = report["first_response_breaches"]
    lines += [
        "",
        f"first-response SLA breaches (estimate): {br['before']} → {br['after']}",
        f"cases that would move: {report['moved']}",
    ]
    for ex in report["examples"]:
        to = ex["to"]
        where = f"ignored ({to['ignored']})" if to["ignored"] else f"{to['queue']}/{to['priority']}"
        lines.append(
            f"  {ex['case_id']} {ex['from']['queue']}/{ex['from']['priority']} → "
            f"{where} by {to['rule_id']}: {ex['summary'][:70]!r}"
        )
    return "\n".join(lines)
