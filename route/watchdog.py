"""The escalation watchdog: no case ages past its SLA without someone being told, and nobody is
told about a case that was answered in time.

Decisions are taken in event time, per network, up to the clock of route/event_time.py: a due
time counts as passed only once every source that could answer the case has delivered past it
and the router has routed it. Each tick looks at open cases with an SLA clock running:
- due within the rule file's `escalation.warn_before`: an `sla_warning` event, once per due time;
- past due: an `escalated` event, once per target (first response, resolution: see
  route/escalation.py), the priority raised by `escalation.priority_boost` (recorded as the
  `escalation` part), the case moved to `escalation.queue` if one is set, and the tag
  `sla-breached`.
The router escalates too, by the same rule (route/escalation.py), when a post it routes shows
that a due time passed before it: then the escalation comes before the post, as it would have
live, whenever the watchdog looks. It leaves a notice for the watchdog, which takes it.
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

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    case,
    delete,
    insert,
    or_,
    select,
    update,
)

from route import alerter
from route.casebook import Event
from route.escalation import escalation, notice
from route.event_time import EventClock
from route.rules import RuleSet
from socialcare.store.tables import case_events, cases, escalation_notices
from socialcare.stream.schema import utcnow

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    warned: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    webhook_failures: int = 0
    held_back: list[str] = field(default_factory=list)  # networks waiting for their sources
    # cases the router escalated since the last tick (a post showed a due time had passed),
    # whose notices this tick took for the webhook
    escalated_by_router: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)  # spike alerts raised

    def summary(self) -> dict[str, Any]:
        return {
            "warned": self.warned,
            "escalated": self.escalated,
            "webhook_failures": self.webhook_failures,
            "held_back": self.held_back,
            "escalated_by_router": self.escalated_by_router,
            "alerts": self.alerts,
        }


@dataclass
class _Work:
    """One tick's context and what it has done so far."""

    conn: Connection
    rules: RuleSet
    now: datetime
    report: TickReport
    events: list[dict]
    notices: list[dict]


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
        """Warn and escalate on every network, each up to its event-time clock
        (route/event_time.py); a network whose sources have not caught up waits."""
        now = now or utcnow()
        rules = self.rules()
        report = TickReport()
        notices: list[dict] = []
        with self.engine.begin() as conn:
            clock = EventClock.load(conn, now)
            networks = conn.execute(
                select(cases.c.network)
                .where(cases.c.status == "open", cases.c.sla_due.is_not(None))
                .distinct()
            ).scalars()
            work = _Work(conn, rules, now, report, [], notices)
            for network in sorted(networks):
                at = clock.clock(network)
                if at is None:
                    report.held_back.append(network)
                    continue
                self._warn(work, network, at)
                self._escalate(work, network, at)
            if work.events:
                conn.execute(insert(case_events), work.events)
            # the router's escalations first: they happened before this tick
            notices[:0] = self._take_router_notices(conn, report)
        url = rules.escalation.webhook or self.webhook_url
        if url:
            for notice in notices:
                self._notify(url, {"source": "socialcare", **notice}, notice["case_id"], report)
        if rules.alerts.enabled:  # spikes and incidents, in their own transaction
            with self.engine.begin() as conn:
                raised = alerter.tick(conn, rules, clock.clock(None), now)
            report.alerts = [a["id"] for a in raised]
            url = rules.alerts.webhook or url
            for alert in raised if url else ():
                self._notify(url, alerter.webhook_body(alert), alert["id"], report)
        if report.warned or report.escalated or report.escalated_by_router:
            by_router = len(report.escalated_by_router)
            log.info(
                "watchdog: %d warned, %d escalated%s",
                len(report.warned),
                len(report.escalated),
                f" (and {by_router} by the router since the last look)" if by_router else "",
            )
        return report

    def _take_router_notices(self, conn: Connection, report: TickReport) -> list[dict]:
        """The notices of the escalations the router made (route/casebook.py), taken: deleted in
        this tick's transaction, so two watchdogs never send one twice."""
        taken = conn.execute(
            delete(escalation_notices).returning(
                escalation_notices.c.id, escalation_notices.c.case_id, escalation_notices.c.body
            )
        ).all()
        taken.sort(key=lambda r: r.id)
        report.escalated_by_router = [r.case_id for r in taken]
        return [r.body for r in taken]

    def _notify(self, url: str, body: dict, what: str, report: TickReport) -> None:
        """POST once; a failure is logged and counted, never retried or raised."""
        try:
            self.post(url, body)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            report.webhook_failures += 1
            log.warning("webhook %s failed for %s: %s", url, what, exc)

    # each step is one UPDATE … RETURNING: the rows it returns are exactly the cases this
    # watchdog acted on, whatever another watchdog does at the same moment
    def _warn(self, w: _Work, network: str, at: datetime) -> None:
        """Warn each case due within `warn_before` of the event-time clock `at`, and not yet due
        by the wall clock either: a replay of history (dues long past) warns no one. Otherwise
        whether a replayed case got a warning would depend on whether a tick happened to fall in
        its window while the replay ran through it, and a warning of a due time that has passed
        tells an agent nothing."""
        esc = w.rules.escalation
        due_soon = w.conn.execute(
            update(cases)
            .where(
                cases.c.network == network,
                cases.c.status == "open",
                cases.c.sla_due.is_not(None),
                cases.c.sla_due > at,
                cases.c.sla_due > w.now,
                cases.c.sla_due <= at + esc.warn_before,
                or_(cases.c.sla_warned_due.is_(None), cases.c.sla_warned_due != cases.c.sla_due),
            )
            .values(sla_warned_due=cases.c.sla_due)
            .returning(cases.c.id, cases.c.sla_due, cases.c.first_response_at, cases.c.queue)
        ).all()
        for row in sorted(due_soon, key=lambda r: r.id):
            data = {
                "target": _target(row),
                "due": row.sla_due.isoformat(),
                "minutes_left": round((row.sla_due - at).total_seconds() / 60, 1),
                "event_time": at.isoformat(),
            }
            w.events.append(Event(row.id, "sla_warning", w.now, "watchdog", data).row())
            w.report.warned.append(row.id)
            w.notices.append({"type": "sla_warning", "case_id": row.id, "queue": row.queue, **data})

    def _escalate(self, w: _Work, network: str, at: datetime) -> None:
        """Escalate each case whose current target is overdue at `at`, and each case answered
        after its first-response target passed (a replay routes the late answer before the
        watchdog looks: the case was late all the same, and live it would have been escalated).

        A case can owe two escalations at once: answered late, then overdue on its resolution
        too. Live, the watchdog looks every few seconds and escalates twice, at each due time;
        a replay can run past both before it looks. So the late first response is escalated
        first, and a second pass escalates what is still overdue: the same escalations,
        however often the watchdog looks."""
        for _pass in range(2):
            if not self._escalate_once(w, network, at):
                return

    def _escalate_once(self, w: _Work, network: str, at: datetime) -> int:
        """One escalation for each case that owes one at `at`: how many there were."""
        esc = w.rules.escalation
        # route/escalation.owed_due, in SQL: once per target (first response, resolution)
        resolution_not_escalated = and_(
            cases.c.first_response_at.is_not(None),
            or_(
                cases.c.sla_escalated_target.is_(None),
                cases.c.sla_escalated_target != "resolution",
            ),
            or_(cases.c.sla_escalated_due.is_(None), cases.c.sla_escalated_due != cases.c.sla_due),
        )
        first_not_escalated = and_(
            cases.c.first_response_at.is_(None), cases.c.sla_escalated_due.is_(None)
        )
        overdue = and_(
            cases.c.sla_due.is_not(None),
            cases.c.sla_due <= at,
            or_(first_not_escalated, resolution_not_escalated),
        )
        answered_late = and_(
            cases.c.sla_escalated_due.is_(None),
            cases.c.first_response_due <= at,
            cases.c.first_response_at > cases.c.first_response_due,
        )
        breached = w.conn.execute(
            update(cases)
            .where(
                cases.c.network == network, cases.c.status == "open", or_(overdue, answered_late)
            )
            .values(
                sla_escalated_due=case(
                    (answered_late, cases.c.first_response_due), else_=cases.c.sla_due
                ),
                updated_at=w.now,
            )
            .returning(
                cases.c.id,
                cases.c.sla_escalated_due,
                cases.c.first_response_due,
                cases.c.first_response_at,
                cases.c.queue,
                cases.c.priority,
                cases.c.priority_parts,
                cases.c.tags,
                cases.c.escalated_from_queue,
            )
        ).all()
        changes: list[dict] = []
        for row in sorted(breached, key=lambda r: r.id):
            change, data = escalation(row._mapping, row.sla_escalated_due, esc, at)
            changes.append({"case_key": row.id, **change})
            w.events.append(Event(row.id, "escalated", w.now, "watchdog", data).row())
            w.report.escalated.append(row.id)
            w.notices.append(notice(row.id, data))
        if changes:
            w.conn.execute(update(cases).where(cases.c.id == bindparam("case_key")), changes)
        return len(changes)


def _target(row) -> str:
    return "first_response" if row.first_response_at is None else "resolution"
