"""The escalation watchdog: no case ages past its SLA without someone being told.

Each tick looks at open cases with an SLA clock running:
- due within the rule file's `escalation.warn_before`: an `sla_warning` event, once per due time;
- past due: an `escalated` event, once per due time, the priority raised by
  `escalation.priority_boost` (recorded as the `escalation` part), the case moved to
  `escalation.queue` if one is set, and the tag `sla-breached`.
Both go to the webhook (`escalation.webhook` or SOCIALCARE_WEBHOOK_URL) when one is set; a
webhook that fails is logged and does not undo the escalation, which the desk shows anyway.
Each step is one conditional UPDATE … RETURNING on the due time, so two watchdogs never act
twice, and a tick over thousands of late cases is a handful of statements.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, insert, or_, update

from route.casebook import Event
from route.rules import RuleSet
from socialcare.store.tables import case_events, cases
from socialcare.stream.schema import utcnow

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    warned: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    webhook_failures: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "warned": self.warned,
            "escalated": self.escalated,
            "webhook_failures": self.webhook_failures,
        }


def _post_json(url: str, payload: dict[str, Any], timeout_s: float = 5.0) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, default=str).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "socialcare-watchdog"},
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        response.read()


class Watchdog:
    def __init__(
        self,
        engine: Engine,
        rules: Callable[[], RuleSet],
        post: Callable[[str, dict], None] = _post_json,
        webhook_url: str | None = None,
    ) -> None:
        """`webhook_url`: where to POST when the rule file names no `escalation.webhook`
        (the SOCIALCARE_WEBHOOK_URL setting)."""
        self.engine = engine
        self.rules = rules
        self.post = post
        self.webhook_url = webhook_url

    def tick(self, now: datetime | None = None) -> TickReport:
        now = now or utcnow()
        rules = self.rules()
        esc = rules.escalation
        report = TickReport()
        notices: list[dict] = []
        with self.engine.begin() as conn:
            # each step is one UPDATE … RETURNING: the rows it returns are exactly the cases this
            # watchdog acted on, whatever another watchdog does at the same moment
            due_soon = conn.execute(
                update(cases)
                .where(
                    cases.c.status == "open",
                    cases.c.sla_due.is_not(None),
                    cases.c.sla_due > now,
                    cases.c.sla_due <= now + esc.warn_before,
                    or_(
                        cases.c.sla_warned_due.is_(None), cases.c.sla_warned_due != cases.c.sla_due
                    ),
                )
                .values(sla_warned_due=cases.c.sla_due)
                .returning(cases.c.id, cases.c.sla_due, cases.c.first_response_at, cases.c.queue)
            ).all()
            events: list[dict] = []
            for row in sorted(due_soon, key=lambda r: r.id):
                data = {
                    "target": _target(row),
                    "due": row.sla_due.isoformat(),
                    "minutes_left": round((row.sla_due - now).total_seconds() / 60, 1),
                }
                events.append(Event(row.id, "sla_warning", now, "watchdog", data).row())
                report.warned.append(row.id)
                notices.append(
                    {"type": "sla_warning", "case_id": row.id, "queue": row.queue, **data}
                )
            breached = conn.execute(
                update(cases)
                .where(
                    cases.c.status == "open",
                    cases.c.sla_due.is_not(None),
                    cases.c.sla_due <= now,
                    or_(
                        cases.c.sla_escalated_due.is_(None),
                        cases.c.sla_escalated_due != cases.c.sla_due,
                    ),
                )
                .values(sla_escalated_due=cases.c.sla_due, updated_at=now)
                .returning(
                    cases.c.id,
                    cases.c.sla_due,
                    cases.c.first_response_at,
                    cases.c.queue,
                    cases.c.priority,
                    cases.c.priority_parts,
                    cases.c.tags,
                )
            ).all()
            changes: list[dict] = []
            for row in sorted(breached, key=lambda r: r.id):
                parts = dict(row.priority_parts or {})
                parts["escalation"] = parts.get("escalation", 0) + esc.priority_boost
                priority = max(0, min(100, sum(parts.values())))
                queue = esc.queue or row.queue
                tags = sorted(set(row.tags or []) | {"sla-breached"})
                changes.append(
                    {
                        "case_key": row.id,
                        "priority": priority,
                        "priority_parts": parts,
                        "queue": queue,
                        "tags": tags,
                    }
                )
                data = {
                    "reason": f"{_target(row).replace('_', ' ')} SLA breached",
                    "due": row.sla_due.isoformat(),
                    "from": {"queue": row.queue, "priority": row.priority},
                    "to": {"queue": queue, "priority": priority},
                }
                events.append(Event(row.id, "escalated", now, "watchdog", data).row())
                report.escalated.append(row.id)
                notices.append({"type": "escalated", "case_id": row.id, **data})
            if changes:
                conn.execute(update(cases).where(cases.c.id == bindparam("case_key")), changes)
            if events:
                conn.execute(insert(case_events), events)
        url = esc.webhook or self.webhook_url
        if url:
            for notice in notices:
                try:
                    self.post(url, {"source": "socialcare", **notice})
                except (urllib.error.URLError, OSError, ValueError) as exc:
                    report.webhook_failures += 1
                    log.warning("webhook %s failed for case %s: %s", url, notice["case_id"], exc)
        if report.warned or report.escalated:
            log.info("watchdog: %d warned, %d escalated", len(report.warned), len(report.escalated))
        return report


def _target(row) -> str:
    return "first_response" if row.first_response_at is None else "resolution"
