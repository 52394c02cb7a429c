"""What agents do to a case from the desk, besides claiming (store/claims.py): reply, note,
reopen, snooze, reassign, and correct a wrong tag. Each appends to the case's event log.

A reply is recorded in the case and queued in the outbox (store/outbox.py) in one transaction;
ingest/replies.py posts it through the network's adapter (dry run by default). It counts as the
brand's response at once, so it stops the first-response clock and starts waiting on the
customer, exactly as a reply seen in the stream does.

The store knows nothing of routing: actions that move a case's SLA clock (reply, reopen) take a
`refresh` callback, which the router supplies (`route.casebook.clock_refresher(rules)`) to
recompute the clock from the case's posts in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, Engine, or_, select, update

from socialcare.errors import InputError, SocialcareError
from socialcare.store import bulk
from socialcare.store.batches import BULK_CHUNK, chunks
from socialcare.store.claims import LEASE, ActionError, CaseNotFound, ClaimError, record_event
from socialcare.store.collisions import guard
from socialcare.store.corrections import check_label
from socialcare.store.corrections import record as record_correction
from socialcare.store.outbox import queued_reply
from socialcare.store.tables import case_events, cases, outbox, posts, users
from socialcare.stream.reply_length import check as check_length
from socialcare.stream.schema import mention_from_dict, utcnow

MAX_TEXT = 5000
# recompute cases' SLA clocks in this transaction
Refresh = Callable[[Connection, list[str]], object]


def _case(conn: Connection, case_id: str):
    row = conn.execute(select(cases).where(cases.c.id == case_id)).first()
    if row is None:
        raise CaseNotFound(f"no case {case_id}")
    return row


def _not_held_by_other(row, agent: str, now: datetime) -> None:
    if row.claimed_by not in (None, agent) and row.claim_expires and row.claim_expires >= now:
        raise ClaimError(
            f"case {row.id} is claimed by {row.claimed_by}; ask them or wait for "
            "the claim to expire"
        )


def _text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ActionError(f"a {what} needs some text")
    if len(text) > MAX_TEXT:
        raise ActionError(f"a {what} is at most {MAX_TEXT} characters")
    return text


def reply(
    engine: Engine,
    refresh: Refresh,
    case_id: str,
    agent: str,
    text: str,
    now: datetime | None = None,
    seen: int | None = None,
) -> str:
    """Record an agent's reply as the brand's post in the conversation; claims the case.
    `seen` is the case version the agent's page showed: if others changed the case since,
    StaleCase (409) and nothing is queued. A reply too long for the network: InputError (422)."""
    now = now or utcnow()
    text = _text(text, "reply")
    with engine.begin() as conn:
        row = _case(conn, case_id)
        _can_reply(row, agent, text, now)
        guard(conn, case_id, seen, agent)
        return _record_replies(conn, refresh, [row], agent, text, now)[0]


def reply_all(
    engine: Engine,
    refresh: Refresh,
    case_ids: list[str],
    agent: str,
    text: str,
    now: datetime | None = None,
) -> tuple[list[str], list[dict[str, str]]]:
    """One reply to each case (an incident's bulk reply), as `reply` makes it, `BULK_CHUNK`
    cases a transaction: a statement per table for them all, not a transaction per case (an
    incident of 20,000 cases took over a minute). Returns the cases replied to, and those that
    could not be (gone, resolved, held by another agent, a reply too long for their network)
    each with why."""
    now = now or utcnow()
    text = _text(text, "reply")
    done: list[str] = []
    failed: list[dict[str, str]] = []
    for ids in chunks(case_ids, BULK_CHUNK):
        with engine.begin() as conn:
            found = {r.id: r for r in conn.execute(select(cases).where(cases.c.id.in_(ids)))}
            ready = []
            for case_id in ids:
                try:
                    if case_id not in found:
                        raise CaseNotFound(f"no case {case_id}")
                    _can_reply(found[case_id], agent, text, now)
                except SocialcareError as exc:
                    failed.append({"case_id": case_id, "error": str(exc)})
                    continue
                ready.append(found[case_id])
            _record_replies(conn, refresh, ready, agent, text, now)
        done += [r.id for r in ready]
    return done, failed


def _can_reply(row, agent: str, text: str, now: datetime) -> None:
    check_length(row.network, text)
    _not_held_by_other(row, agent, now)
    if row.status == "resolved":
        raise ClaimError(f"case {row.id} is resolved; reopen it to reply")


def _record_replies(
    conn: Connection, refresh: Refresh, rows: list, agent: str, text: str, now: datetime
) -> list[str]:
    """Each case's reply: the brand's post, the claim, the first response if it is one, the
    outbox entry in reply to the case's latest customer post, the `replied` event and the
    clock; one statement per table. Returns the reply posts' ids, in the order of `rows`."""
    if not rows:
        return []
    answering = _latest_customer_posts(conn, [r.id for r in rows])
    post_ids, stored, claimed, first_claimed, queued, events = [], [], [], [], [], []
    for row in rows:
        account = row.account or "brand"
        post_id = f"desk-{uuid.uuid4().hex[:16]}"
        mention = mention_from_dict(
            {
                "schema": 1,
                "network": row.network,
                "post_id": post_id,
                "conversation_id": row.conversation_id,
                "author": {"id": account, "handle": account},
                "text": text,
                "created_at": now.isoformat(),
                "from_brand": True,
                "brand": account,
                "ingest": {"source": f"desk:{agent}", "fetched_at": now.isoformat()},
            }
        )
        stored.append(
            {
                "network": row.network,
                "post_id": post_id,
                "conversation_id": row.conversation_id,
                "case_id": row.id,
                "from_brand": True,
                "author_id": account,
                "author_handle": account,
                "text": text,
                "created_at": now,
                "url": None,
                "ignored_reason": None,
                "stored_at": now,
                "mention": mention.to_json().decode(),
            }
        )
        claim = {"id": row.id, "claimed_by": agent, "claim_expires": now + LEASE, "updated_at": now}
        if row.first_response_at is None:
            first_claimed.append({**claim, "first_response_at": now})
        else:
            claimed.append(claim)
        customer_post = answering.get(row.id)
        queued.append(queued_reply(post_id, row.id, row.network, customer_post, text, agent, now))
        events.append(
            {
                "case_id": row.id,
                "type": "replied",
                "at": now,
                "actor": agent,
                "data": {
                    "via": "desk",
                    "post_id": post_id,
                    "text": text,
                    "in_reply_to": customer_post,
                    "delivery": "queued",
                },
            }
        )
        post_ids.append(post_id)
    bulk.insert_rows(conn, posts, stored)
    bulk.update_rows(conn, cases, "id", claimed)
    bulk.update_rows(conn, cases, "id", first_claimed)
    bulk.insert_rows(conn, outbox, queued)
    bulk.insert_rows(conn, case_events, events)
    refresh(conn, [r.id for r in rows])
    return post_ids


def _latest_customer_posts(conn: Connection, case_ids: list[str]) -> dict[str, str]:
    """case id → its latest customer post (by posting time, then id), the one a reply answers."""
    latest: dict[str, tuple] = {}
    for ids in chunks(case_ids):
        for case_id, post_id, at in conn.execute(
            select(posts.c.case_id, posts.c.post_id, posts.c.created_at).where(
                posts.c.case_id.in_(ids), posts.c.from_brand.is_(False)
            )
        ):
            if case_id not in latest or (at, post_id) > latest[case_id]:
                latest[case_id] = (at, post_id)
    return {case_id: post_id for case_id, (_at, post_id) in latest.items()}


def note(
    engine: Engine,
    case_id: str,
    agent: str,
    text: str,
    now: datetime | None = None,
    seen: int | None = None,
) -> None:
    now = now or utcnow()
    text = _text(text, "note")
    with engine.begin() as conn:
        _case(conn, case_id)
        guard(conn, case_id, seen, agent)
        record_event(conn, case_id, "note", agent, now, {"text": text})


def reopen(
    engine: Engine, refresh: Refresh, case_id: str, agent: str, now: datetime | None = None
) -> None:
    now = now or utcnow()
    with engine.begin() as conn:
        done = conn.execute(
            update(cases)
            .where(cases.c.id == case_id, cases.c.status == "resolved")
            .values(status="open", resolved_at=None, updated_at=now)
        ).rowcount
        if not done:
            raise ClaimError(f"case {case_id} is not resolved")
        record_event(conn, case_id, "reopened", agent, now, {"reason": "reopened by an agent"})
        refresh(conn, [case_id])


def snooze(
    engine: Engine, case_id: str, agent: str, until: datetime, now: datetime | None = None
) -> None:
    """Hide a case from the queue view until `until` (its SLA clock keeps running)."""
    now = now or utcnow()
    if until <= now:
        raise ActionError("snooze until a time in the future")
    with engine.begin() as conn:
        row = _case(conn, case_id)
        _not_held_by_other(row, agent, now)
        conn.execute(
            update(cases)
            .where(cases.c.id == case_id)
            .values(snoozed_until=until, claimed_by=None, claim_expires=None, updated_at=now)
        )
        record_event(conn, case_id, "snoozed", agent, now, {"until": until.isoformat()})


def reassign(
    engine: Engine, case_id: str, agent: str, to: str, now: datetime | None = None
) -> None:
    """Hand the case (with a fresh claim) to another agent."""
    now = now or utcnow()
    with engine.begin() as conn:
        target = conn.execute(
            select(users.c.role).where(users.c.name == to, users.c.disabled.is_(False))
        ).scalar()
        if target not in ("agent", "admin"):
            raise ActionError(f"{to!r} is not an agent")
        row = _case(conn, case_id)
        _not_held_by_other(row, agent, now)
        conn.execute(
            update(cases)
            .where(
                cases.c.id == case_id,
                or_(
                    cases.c.claimed_by.is_(None),
                    cases.c.claimed_by == agent,
                    cases.c.claim_expires < now,
                ),
            )
            .values(claimed_by=to, claim_expires=now + LEASE, updated_at=now)
        )
        record_event(conn, case_id, "reassigned", agent, now, {"to": to})


def correct(
    engine: Engine, case_id: str, agent: str, field: str, value: str, now: datetime | None = None
) -> None:
    """Fix a wrong tag on the case; kept as a correction the classifier learns from
    (store/corrections.py, classify/learning.py)."""
    now = now or utcnow()
    try:
        value = check_label(field, value)
    except InputError as exc:
        raise ActionError(str(exc)) from None
    with engine.begin() as conn:
        row = _case(conn, case_id)
        old = getattr(row, field)
        conn.execute(
            update(cases).where(cases.c.id == case_id).values({field: value, "updated_at": now})
        )
        record_correction(conn, case_id, row.summary, field, old, value, agent, now)
        record_event(
            conn, case_id, "corrected", agent, now, {"field": field, "from": old, "to": value}
        )


def tag(engine: Engine, case_id: str, agent: str, label: str, now: datetime | None = None) -> None:
    """Add a tag to a case (kept once), with a `tagged` event."""
    _tagged, failed = tag_all(engine, [case_id], agent, label, now)
    if failed:
        raise CaseNotFound(failed[0]["error"])


def tag_all(
    engine: Engine, case_ids: list[str], agent: str, label: str, now: datetime | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """`tag` for many cases (an incident's "tag all"), `BULK_CHUNK` a transaction and a
    statement per table a chunk. Returns the cases tagged, and those not found."""
    now = now or utcnow()
    label = (label or "").strip().lower()
    if not label or len(label) > 64:
        raise ActionError("a tag is 1-64 characters")
    done: list[str] = []
    for ids in chunks(case_ids, BULK_CHUNK):
        with engine.begin() as conn:
            found = {
                r.id: r.tags
                for r in conn.execute(select(cases.c.id, cases.c.tags).where(cases.c.id.in_(ids)))
            }
            tagged = [i for i in ids if i in found]
            rows = [
                {"id": i, "tags": sorted(set(found[i] or []) | {label}), "updated_at": now}
                for i in tagged
            ]
            bulk.update_rows(conn, cases, "id", rows)
            bulk.insert_rows(
                conn,
                case_events,
                [
                    {
                        "case_id": i,
                        "type": "tagged",
                        "at": now,
                        "actor": agent,
                        "data": {"tag": label},
                    }
                    for i in tagged
                ],
            )
        done += tagged
    missing = set(case_ids) - set(done)
    return done, [{"case_id": i, "error": f"no case {i}"} for i in case_ids if i in missing]
