"""Applying classified mentions to cases, in one case-store transaction per batch.

One case per customer conversation (network + conversation id). A customer post opens the case
or joins it (reopening a resolved one); a brand post in the conversation is a response: the
first one at or after the customer's first post sets `first_response_at`. Posts may arrive in
any order (a brand reply before the post it answers): brand posts wait, unattached, until the
conversation's first customer post opens the case.

Every effect is keyed by (network, post id): a post already stored is skipped, so a redelivered
batch changes nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from route.escalation import escalation, in_order, notice, owed_due
from route.incidents import Matcher
from route.incidents import _Open as _OpenIncident
from route.priority import total
from route.rules import Decision, Facts, RuleSet, decide
from route.sla import (
    Clock,
    breached_as_of,
    earliest_due,
    first_response_due,
    sla_clock,
    sla_due,
)
from route.spikes import bucket_of
from socialcare.store import bulk, lookups, traffic
from socialcare.store import incidents as incident_store
from socialcare.store.batches import chunks
from socialcare.store.tables import case_events, cases, escalation_notices, posts
from socialcare.stream.schema import Mention, routing_json, with_field
from socialcare.stream.terms import listening_terms

REPEAT_WINDOW = timedelta(days=30)


def case_id_for(network: str, conversation_id: str) -> str:
    return "c" + hashlib.sha256(f"{network}\x00{conversation_id}".encode()).hexdigest()[:15]


@dataclass
class Event:
    case_id: str
    type: str
    at: datetime
    actor: str
    data: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "type": self.type,
            "at": self.at,
            "actor": self.actor,
            "data": self.data,
        }


@dataclass
class _CaseState:
    row: dict[str, Any]
    is_new: bool
    changed: bool = False
    # posts joined it in this batch since its SLA clock and due times were last worked out
    stale: bool = False
    # no due time of the case falls before this (route/sla.earliest_due), and what it is from
    earliest: tuple[tuple[datetime, str], datetime | None] | None = None
    # every post of the case as (time, from brand, author handle); existing cases load theirs
    timeline: list[tuple[datetime, bool, str]] = field(default_factory=list)
    # a post joined it out of event-time order in this batch: the router's per-post decisions
    # may differ from those of posts in order (see `_escalations_in_order`)
    reordered: bool = False
    # the latest time on the timeline, kept as posts are added: a thread of thousands of replies
    # (an outage notice everyone answers) would otherwise scan its timeline once per post
    latest: datetime | None = None
    # its SLA clock over the timeline, stepped as posts come in time order (None: work it out)
    clock: Clock | None = None

    def load(self, timeline: list[tuple[datetime, bool, str]]) -> None:
        """Start from the case's stored timeline."""
        self.timeline = timeline
        self.latest = max((e[0] for e in timeline), default=None)
        self.clock = None

    def add(self, at: datetime, brand: bool, handle: str) -> None:
        """Put a post on the timeline, whatever its order."""
        self.timeline.append((at, brand, handle))
        if self.latest is None or at > self.latest:
            self.latest = at
        if self.clock is not None:
            if self.clock.follows(at, brand):
                self.clock.step(at, brand)
            else:
                self.clock = None  # an earlier post: the clock is worked out again

    def join(self, at: datetime, brand: bool, handle: str) -> None:
        """Put a post on the timeline as the router decides on it: one earlier than the
        latest joined out of order."""
        if self.latest is not None and at < self.latest:
            self.reordered = True
        self.add(at, brand, handle)


class CaseBook:
    """Turns a batch of classified mentions into case-store rows and events."""

    def __init__(
        self,
        conn: Connection,
        rules: RuleSet,
        now: datetime,
        canonical: dict[tuple[str, str], bytes] | None = None,
    ) -> None:
        self.conn = conn
        self.rules = rules
        self.now = now
        # (network, post id) → the JSON the mention was encoded to (by `Mention.to_json`, with
        # no routing): stored as is, routing appended, instead of encoding the mention again
        self.canonical = canonical or {}
        self.post_rows: list[dict] = []
        self.events: list[Event] = []
        self.unattached_brand: dict[tuple[str, str], list[dict]] = defaultdict(list)
        # brand posts stored earlier in conversations that have no case yet
        self.stored_brand: dict[tuple[str, str], list[tuple[str, datetime, str]]] = {}
        self.attach: list[dict] = []  # conversations whose stored brand posts join a new case
        self.traffic: Counter[tuple[str, int, bool]] = Counter()  # (key, minute, negative)
        self.incident_of: dict[tuple[str, str], _OpenIncident] = {}
        self.excluded: set[tuple[str, str]] = set()
        self.incident_seen: dict[str, datetime] = {}
        self.alert_brands: set[str] = set()
        self.notices: list[dict] = []  # escalations made here, for the watchdog's webhook

    def apply(self, mentions: list[Mention]) -> list[Event]:
        unique: dict[tuple[str, str], Mention] = {}
        for m in mentions:
            unique.setdefault((m.network, m.post_id), m)
        done = lookups.existing_posts(self.conn, list(unique))
        fresh = [m for k, m in unique.items() if k not in done]
        if not fresh:
            return []
        convs = list(dict.fromkeys((m.network, m.conversation_id) for m in fresh))
        # another router may be routing posts of the same conversations (their urgent lane)
        lookups.lock_cases(self.conn, [case_id_for(*conv) for conv in convs])
        states = {
            k: _CaseState(v, False) for k, v in lookups.existing_cases(self.conn, convs).items()
        }
        known = lookups.timelines(self.conn, [s.row["id"] for s in states.values()])
        for state in states.values():
            state.load(known.get(state.row["id"], []))
        self.stored_brand = lookups.unattached_brand_posts(
            self.conn, [c for c in convs if c not in states]
        )
        customers = list(dict.fromkeys((m.network, m.author.id) for m in fresh if not m.from_brand))
        self.recent = lookups.recent_conversations(self.conn, customers, self.now - REPEAT_WINDOW)
        self._crisis_context(fresh, states)
        for m in fresh:
            conv = (m.network, m.conversation_id)
            state = states.get(conv)
            if state is not None:
                self._escalate_if_overdue(state, m.created_at)
            if m.from_brand:
                self._brand_post(m, state)
            else:
                state = self._customer_post(m, state)
            if state is not None:
                states[conv] = state
                state.stale = True
        self._write(states)
        return self.events

    # -- posts ------------------------------------------------------------------------------
    def _post_row(
        self,
        m: Mention,
        case_id: str | None,
        routing: bytes | None = None,
        ignored: str | None = None,
    ) -> dict:
        c = m.classification
        row = {
            "network": m.network,
            "post_id": m.post_id,
            "conversation_id": m.conversation_id,
            "case_id": case_id,
            "from_brand": m.from_brand,
            "author_id": m.author.id,
            "author_handle": m.author.handle or m.author.id,
            "text": m.text,
            "created_at": m.created_at,
            "url": m.url,
            "sentiment": c.sentiment.label if c else None,
            "urgency": c.urgency.level if c else None,
            "topic": c.topic if c else None,
            "spam": c.spam if c else None,
            "ignored_reason": ignored,
            "brand": m.brand,
            "incident_id": found.id
            if (found := self.incident_of.get((m.network, m.post_id))) and case_id
            else None,
            "mention": self._stored_json(m, routing),
            "stored_at": self.now,
            "sentiment_score": c.sentiment.score if c else None,
            "terms": None if m.from_brand else " ".join(listening_terms(m.text)),
        }
        self.post_rows.append(row)
        return row

    def _stored_json(self, m: Mention, routing: bytes | None) -> str:
        """The mention as stored with its post: its JSON with the routing decision (`routing`,
        the JSON of a `Routing`), the same text as
        `m.replace(routing=Routing(...)).to_json()`: routing is the last field,
        and `to_json` writes it null while unset. `canonical` spares encoding the mention again."""
        encoded = self.canonical.get((m.network, m.post_id))
        if encoded is None:
            if routing is not None and m.routing is not None:  # routed before: replaced
                m = m.replace(routing=None)
            encoded = m.to_json()
        if routing is None:
            return encoded.decode()
        return with_field(encoded, "routing", routing).decode()

    def _brand_post(self, m: Mention, state: _CaseState | None) -> None:
        if state is None:
            row = self._post_row(m, None)
            self.unattached_brand[(m.network, m.conversation_id)].append(row)
            return
        case = state.row
        self._post_row(m, case["id"])
        self.events.append(
            Event(
                case["id"],
                "replied",
                m.created_at,
                m.author.handle or m.author.id,
                {"post_id": m.post_id, "via": "stream"},
            )
        )
        state.join(m.created_at, True, m.author.handle or m.author.id)
        self._note_response(state, m.created_at, m.author.handle or m.author.id)

    def _note_response(self, state: _CaseState, at: datetime, account: str) -> None:
        """A brand post: the account that answered first owns the case (for per-account
        reports); before any answer, the brand the customer mentioned does."""
        case = state.row
        if not case.get("account"):
            case["account"] = account
            state.changed = True
        state.changed = True
        first = case["first_response_at"]
        if at >= case["opened_at"] and (first is None or at < first):
            case["first_response_at"] = at
            case["account"] = account
            state.changed = True

    # -- customer posts ---------------------------------------------------------------------
    def _crisis_context(self, fresh: list[Mention], states: dict) -> None:
        """Count the batch's customer posts for spike detection, and match them to the open
        incidents of their brand (route/incidents.py), before routing decides: a rule may test
        `incident.id`, `incident.size` and `alert.active`."""
        alerts = self.rules.alerts
        self.incident_of: dict[tuple[str, str], _OpenIncident] = {}
        self.alert_brands: set[str] = set()
        customer = [
            m
            for m in fresh
            if not m.from_brand and m.brand and not (m.classification and m.classification.spam)
        ]
        if not customer or not alerts.enabled:
            return
        for m in customer:
            topic = m.classification.topic if m.classification else None
            negative = bool(m.classification and m.classification.sentiment.label == "negative")
            for key in traffic.keys_of(m.brand or "", topic, m.network, alerts.scope):
                self.traffic[(key, bucket_of(m.created_at), negative)] += 1
        opened = incident_store.open_incidents(self.conn)
        if opened or "alert.active" in self.rules.source:
            self.alert_brands = incident_store.active_brands(self.conn)
        if not opened:
            return
        sizes = lookups.incident_sizes(self.conn, [r["id"] for r in opened])
        matcher = Matcher(opened, alerts.similar_threshold, sizes)
        matched_cases = []
        for m in customer:
            found = matcher.match(m.brand, m.text)
            if found is not None:
                self.incident_of[(m.network, m.post_id)] = found
                matched_cases.append(case_id_for(m.network, m.conversation_id))
        self.excluded = incident_store.excluded(self.conn, matched_cases)

    def _facts(self, m: Mention, repeat: int) -> Facts:
        found = self.incident_of.get((m.network, m.post_id))
        return Facts(
            repeat_contacts=repeat,
            incident_id=found.id if found else "",
            incident_size=found.size if found else 0,
            alert_active=bool(m.brand) and (m.brand or "").lower() in self.alert_brands,
        )

    def _join_incident(self, m: Mention, case: dict) -> None:
        found = self.incident_of.get((m.network, m.post_id))
        if found is None or case.get("incident_id") or (found.id, case["id"]) in self.excluded:
            return
        case["incident_id"] = found.id
        self.incident_seen[found.id] = max(
            self.incident_seen.get(found.id, m.created_at), m.created_at
        )

    def _customer_post(self, m: Mention, state: _CaseState | None) -> _CaseState | None:
        seen = self.recent[(m.network, m.author.id)]
        # the customer's other conversations of the last 30 days (counted, not copied: a bot
        # opening thousands of conversations made the copy quadratic)
        facts = self._facts(m, len(seen) - (m.conversation_id in seen))
        seen.add(m.conversation_id)
        decision = decide(self.rules, m, facts)
        if state is None:
            if decision.ignored:
                self._post_row(m, None, ignored=decision.ignored)
                return None
            return self._open_case(m, decision)
        case = state.row
        self._post_row(m, case["id"], self._routing(case["id"], decision))
        self._join_incident(m, case)
        case["post_count"] += 1
        case["last_customer_at"] = max(case["last_customer_at"], m.created_at)
        state.join(m.created_at, False, m.author.handle or m.author.id)
        case["snoozed_until"] = None  # the customer wrote: back in the queue
        self.events.append(
            Event(
                case["id"],
                "post_added",
                self.now,
                m.author.handle or m.author.id,
                {"post_id": m.post_id},
            )
        )
        if case["status"] == "resolved":
            case["status"] = "open"
            case["resolved_at"] = None
            self.events.append(
                Event(
                    case["id"],
                    "reopened",
                    self.now,
                    "router",
                    {"post_id": m.post_id, "reason": "customer wrote again"},
                )
            )
        if m.created_at < case["opened_at"]:  # an earlier post arrived late: it opens the case
            case["opened_at"] = m.created_at
            case["summary"] = m.text[:280]
            # and its author is the customer (a conversation can have several), as `_open_case`
            # would have made them had it come first
            case["customer_id"] = m.author.id
            case["customer_handle"] = m.author.handle or m.author.id
            case["language"] = m.language
            case["account"] = m.brand  # until an answer: the first response's account, below
            self._recompute_first_response(state)
        # a post's routing outranks the routing the case has (its escalation is not routing)
        routed = total({k: v for k, v in case["priority_parts"].items() if k != "escalation"})
        outranks = (decision.priority, case["decided_at"] - m.created_at) > (routed, timedelta())
        if outranks and not decision.ignored:
            before = {"queue": case["queue"], "priority": case["priority"]}
            self._take_decision(case, m, decision)
            self.events.append(
                Event(
                    case["id"],
                    "reprioritized",
                    self.now,
                    "router",
                    {
                        "from": before,
                        "to": {"queue": case["queue"], "priority": case["priority"]},
                        "rule_id": decision.rule_id,
                        "ruleset_version": decision.ruleset_version,
                        "post_id": m.post_id,
                    },
                )
            )
        state.changed = True
        return state

    def _open_case(self, m: Mention, d: Decision) -> _CaseState:
        case_id = case_id_for(m.network, m.conversation_id)
        case: dict[str, Any] = {
            "id": case_id,
            "network": m.network,
            "conversation_id": m.conversation_id,
            "status": "open",
            "account": m.brand,
            "customer_id": m.author.id,
            "customer_handle": m.author.handle or m.author.id,
            "language": m.language,
            "assignee": None,
            "assigned_at": None,
            "summary": m.text[:280],
            "opened_at": m.created_at,
            "first_response_at": None,
            "last_customer_at": m.created_at,
            "resolved_at": None,
            "claimed_by": None,
            "claim_expires": None,
            "post_count": 1,
            "created_at": self.now,
            "updated_at": self.now,
            "tags": [],
            "waiting_since": None,
            "sla_paused_s": 0,
            "sla_warned_due": None,
            "sla_escalated_due": None,
            "sla_escalated_target": None,
            "escalated_from_queue": None,
            "decided_at": m.created_at,
            "snoozed_until": None,
        }
        self._take_decision(case, m, d)
        case["incident_id"] = None
        self._join_incident(m, case)
        state = _CaseState(case, is_new=True, changed=True)
        state.add(m.created_at, False, m.author.handle or m.author.id)
        self._post_row(m, case_id, self._routing(case_id, d))
        self.events.append(
            Event(
                case_id,
                "created",
                self.now,
                "router",
                {"post_id": m.post_id, "opened_at": m.created_at.isoformat()},
            )
        )
        self.events.append(
            Event(
                case_id,
                "routed",
                self.now,
                "router",
                {
                    "queue": d.queue,
                    "priority": d.priority,
                    "parts": d.parts,
                    "sla": d.sla.name,
                    "rule_id": d.rule_id,
                    "ruleset_version": d.ruleset_version,
                    "tags": list(d.tags),
                    "matched": list(d.matched),
                },
            )
        )
        if d.escalate:
            self.events.append(
                Event(
                    case_id,
                    "escalated",
                    self.now,
                    "router",
                    {"reason": f"rule {d.rule_id} escalates", "rule_id": d.rule_id},
                )
            )
        waiting = self.unattached_brand.pop((m.network, m.conversation_id), [])
        for row in waiting:
            row["case_id"] = case_id
        stored = self.stored_brand.pop((m.network, m.conversation_id), [])
        if stored:
            self.attach.append({"c_id": case_id, "c_net": m.network, "c_conv": m.conversation_id})
        for post_id, at, handle in stored + [
            (r["post_id"], r["created_at"], r["author_handle"]) for r in waiting
        ]:
            self.events.append(
                Event(case_id, "replied", at, handle, {"post_id": post_id, "via": "stream"})
            )
            state.add(at, True, handle)
            state.reordered = True  # answers that came before the case: no per-post decision
            self._note_response(state, at, handle)
        return state

    def _take_decision(self, case: dict, m: Mention, d: Decision) -> None:
        """Route the case by decision `d`. An escalation stands through a new routing: its
        priority part stays, and so does the escalation queue (the case returns to the
        decision's queue if the escalation is retracted). So a routing and an escalation give
        the same case in either order, however the watchdog's looks fall between posts."""
        c = m.classification
        parts, priority, queue = d.parts, d.priority, d.queue
        escalated = case.get("priority_parts") or {}
        if "escalation" in escalated:  # present even as 0, with a rule file's priority_boost 0
            parts = {**d.parts, "escalation": escalated["escalation"]}
            priority = total(parts)
            if case.get("escalated_from_queue") and case["queue"] == self.rules.escalation.queue:
                queue = case["queue"]
                case["escalated_from_queue"] = d.queue
        case.update(
            {
                "queue": queue,
                "priority": priority,
                "priority_parts": parts,
                "sla_policy": d.sla.name,
                "rule_id": d.rule_id,
                "ruleset_version": d.ruleset_version,
                "sentiment": c.sentiment.label if c else None,
                "sentiment_score": c.sentiment.score if c else None,
                "urgency": c.urgency.level if c else None,
                "urgency_score": c.urgency.score if c else None,
                "urgency_reasons": list(c.urgency.reasons) if c else [],
                "topic": c.topic if c else None,
                "spam": bool(c and c.spam),
                "tags": sorted(set(case.get("tags") or []) | set(d.tags)),
                "decided_at": m.created_at,
            }
        )

    def _refresh_clock(self, state: _CaseState) -> None:
        """The case's SLA clock and due times, from its whole timeline."""
        case = state.row
        policy = self.rules.sla_policies.get(case["sla_policy"])
        cal = policy.calendar if policy else None
        if state.clock is None or state.clock.cal is not cal:  # a post out of order, or a policy
            state.clock = Clock.of(state.timeline, cal)  # with another calendar
        case["waiting_since"], case["sla_paused_s"] = state.clock.reading
        case["sla_due"] = sla_due(case, self.rules)
        case["first_response_due"] = first_response_due(case, self.rules)
        state.stale = False

    def _escalate_if_overdue(self, state: _CaseState, at: datetime) -> None:
        """Before a post made at `at` joins the case: if a due time passed before it with the
        clock running, the case is escalated for that due time first, as the watchdog, looking
        every few seconds live, would have done (route/escalation.py). Otherwise a due time
        that passed and was then answered, or a routing that the escalation would have
        outranked, would come out differently depending on whether the watchdog happened to look
        in between; a replay, which runs through history faster than the watchdog looks, would
        miss the escalation. The escalation is the watchdog's rule, recorded as the watchdog's;
        the watchdog tells the webhook (the notice is written with the batch)."""
        case = state.row
        earliest = self._earliest_due(state)
        if earliest is None or at <= earliest:
            return  # no due time can have passed yet (most posts: no clock worked out again)
        if state.stale:
            self._refresh_clock(state)
        due = owed_due(case, at, strict=True)
        if due is not None:
            self._escalate(state, due, at)

    def _escalate(self, state: _CaseState, due: datetime, at: datetime) -> None:
        """Escalate the case for its due time `due`, decided before a post made at `at`."""
        case = state.row
        change, data = escalation(case, due, self.rules.escalation, at)
        case.update(change)
        state.changed = True
        self.events.append(Event(case["id"], "escalated", self.now, "watchdog", data))
        self.notices.append(
            {
                "case_id": case["id"],
                "body": notice(case["id"], data),
                "created_at": self.now,
            }
        )

    def _escalations_in_order(self, state: _CaseState) -> list[tuple[datetime, datetime, str]]:
        """What a router that got the case's posts in order would have escalated, worked out
        when a post joined the case out of order in this batch (otherwise the router's own
        decisions before each post are those), and when a post came after the case's earliest
        due time."""
        if not state.reordered:
            return []  # posts in order: the router decided before each, as in order
        earliest = self._earliest_due(state)
        latest = state.latest
        if earliest is None or latest is None or latest <= earliest:
            return []
        return in_order(state.row, state.timeline, self.rules)

    def _earliest_due(self, state: _CaseState) -> datetime | None:
        """route/sla.earliest_due of the case, kept until its opening or policy changes."""
        case = state.row
        of = (case["opened_at"], case["sla_policy"])
        if state.earliest is None or state.earliest[0] != of:
            state.earliest = (of, earliest_due(case, self.rules))
        return state.earliest[1]

    def _record_as_in_order(self, state: _CaseState, target: str | None, made: list) -> None:
        """The case records, for its last escalation, `target` with the due time a router that
        got the posts in order would have recorded for it (`made`, from `in_order`). Decided
        on fewer posts (some arrived late), a resolution's due time comes out otherwise: its
        clock counts the waits on the customer known when it was decided."""
        case = state.row
        dues = {made_for: due for _at, due, made_for in made}
        if target in dues and (case["sla_escalated_target"], case["sla_escalated_due"]) != (
            target,
            dues[target],
        ):
            case["sla_escalated_target"], case["sla_escalated_due"] = target, dues[target]
            state.changed = True

    def _escalate_as_in_order(self, state: _CaseState, made: list) -> None:
        """The escalations a router that got the posts in order would have made and this case
        lacks, made now (a post that arrived late showed a due time passed before a post
        already routed, with no post after it left to decide on), and the last of them in
        order is the one the case records, as in order."""
        case = state.row
        have = self._escalated_targets(case)
        for at, due, made_for in made:
            if made_for not in have:
                self._escalate(state, due, at)
                have.add(made_for)
        last = "resolution" if "resolution" in have else "first_response" if have else None
        self._record_as_in_order(state, last, made)

    def _escalated_targets(self, case: dict) -> set[str]:
        """The targets the case stands escalated for: the one it records, and both when its
        escalation priority part counts two boosts (one escalation per target). With no boost
        the part cannot tell: a resolution escalation then counts for both, since a first-response
        one would change nothing on the case that the resolution's has not."""
        target = case.get("sla_escalated_target")
        if target is None:
            return set()
        boost = self.rules.escalation.priority_boost
        part = (case.get("priority_parts") or {}).get("escalation", 0)
        both = part >= 2 * boost if boost > 0 else target == "resolution"
        return {"first_response", "resolution"} if both else {target}

    def _recompute_first_response(self, state: _CaseState) -> None:
        case = state.row
        later = sorted(
            (at, h) for at, brand, h in state.timeline if brand and at >= case["opened_at"]
        )
        case["first_response_at"] = later[0][0] if later else None
        if later:
            case["account"] = later[0][1]

    def _routing(self, case_id: str, d: Decision) -> bytes:
        return routing_json(case_id, d.queue, d.priority, d.rule_id, d.ruleset_version)

    # -- writing ----------------------------------------------------------------------------
    def _retract_if_contradicted(self, state: _CaseState) -> None:
        """A post that arrived late can show an escalation was wrong: the SLA was met at the
        due time it escalated for. Then it is retracted: an event says so, and the escalation's
        priority, queue and tag go (the watchdog escalates again if the case is late after all)."""
        case = state.row
        due = case["sla_escalated_due"]
        if breached_as_of(case, state.timeline, self.rules, due):
            return
        esc = self.rules.escalation
        parts = dict(case["priority_parts"] or {})
        left = parts.pop("escalation", 0) - esc.priority_boost
        if left > 0:  # an earlier escalation of this case still stands
            parts["escalation"] = left
        before = {"queue": case["queue"], "priority": case["priority"]}
        case["priority_parts"] = parts
        case["priority"] = total(parts)
        if left <= 0:
            if case.get("escalated_from_queue") and esc.queue and case["queue"] == esc.queue:
                case["queue"] = case["escalated_from_queue"]
            case["tags"] = [t for t in case["tags"] or [] if t != "sla-breached"]
            case["escalated_from_queue"] = None
        target = case.get("sla_escalated_target") or "first_response"
        # what still stands is the late first response's escalation (one per target): it stays
        # recorded, so the watchdog does not escalate the late first response a second time
        standing = left > 0 and target == "resolution"
        case["sla_escalated_due"] = case["first_response_due"] if standing else None
        case["sla_escalated_target"] = "first_response" if standing else None
        self.events.append(
            Event(
                case["id"],
                "escalation_retracted",
                self.now,
                "router",
                {
                    "due": due.isoformat(),
                    "reason": f"a post that arrived late shows the {target.replace('_', ' ')} "
                    "SLA was met",
                    "from": before,
                    "to": {"queue": case["queue"], "priority": case["priority"]},
                },
            )
        )
        state.changed = True

    def _write(self, states: dict[tuple[str, str], _CaseState]) -> None:
        # every case the batch changed gets its SLA clock and due times here, once, from its
        # whole timeline (not after each post: they were worked out two or three times)
        for state in states.values():
            if state.changed:
                self._refresh_clock(state)
                made = self._escalations_in_order(state)
                self._record_as_in_order(state, state.row["sla_escalated_target"], made)
                if state.row.get("sla_escalated_due") is not None:
                    self._retract_if_contradicted(state)
                self._escalate_as_in_order(state, made)
        new_cases = [s.row for s in states.values() if s.is_new]
        changed = [s.row for s in states.values() if s.changed and not s.is_new]
        bulk.insert_rows(self.conn, cases, new_cases)
        by_columns: dict[tuple[str, ...], list[dict]] = defaultdict(list)
        for row in changed:  # one executemany per column set (all of them, as read), not per case
            row["updated_at"] = self.now
            by_columns[tuple(row)].append(row)
        for rows in by_columns.values():
            bulk.update_rows(self.conn, cases, "id", rows)
        if self.attach:
            self.conn.execute(
                update(posts)
                .where(
                    posts.c.network == bindparam("c_net"),
                    posts.c.conversation_id == bindparam("c_conv"),
                    posts.c.case_id.is_(None),
                    posts.c.from_brand.is_(True),
                )
                .values(case_id=bindparam("c_id")),
                self.attach,
            )
        bulk.insert_rows(self.conn, posts, self.post_rows)
        bulk.insert_rows(self.conn, case_events, [e.row() for e in self.events])
        bulk.insert_rows(self.conn, escalation_notices, self.notices)
        traffic.add(self.conn, self.traffic)
        for incident_id, at in self.incident_seen.items():
            incident_store.attach(self.conn, incident_id, [], at)


def clock_refresher(rules: RuleSet):
    """What the store's case actions call to recompute cases' SLA clocks (reply, reopen)."""
    return lambda conn, case_ids: refresh_case_clocks(conn, case_ids, rules)


def refresh_case_clocks(conn: Connection, case_ids: list[str], rules: RuleSet) -> list[dict]:
    """Recompute cases' SLA clocks from their stored posts (after a desk reply, a reopen, a
    rerouting, …), a few statements for them all; return the updated rows of those that
    exist, in the order of `case_ids`."""
    found: dict[str, dict] = {}
    for ids in chunks(case_ids):
        for row in conn.execute(select(cases).where(cases.c.id.in_(ids))):
            found[row.id] = dict(row._mapping)
    known = lookups.timelines(conn, list(found))
    out = []
    for case_id in dict.fromkeys(case_ids):
        if (case := found.get(case_id)) is None:
            continue
        policy = rules.sla_policies.get(case["sla_policy"])
        case["waiting_since"], case["sla_paused_s"] = sla_clock(
            known.get(case_id, []), policy.calendar if policy else None
        )
        case["sla_due"] = sla_due(case, rules)
        case["first_response_due"] = first_response_due(case, rules)
        out.append(case)
    clock = ("id", "waiting_since", "sla_paused_s", "sla_due", "first_response_due")
    bulk.update_rows(conn, cases, "id", [{k: case[k] for k in clock} for case in out])
    return out
