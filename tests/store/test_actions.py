"""An incident's bulk reply (`reply_all`): what `reply` does to each case, a transaction per
chunk of cases, and the cases it cannot answer listed with why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from route.casebook import CaseBook, case_id_for, clock_refresher
from route.rules import default_rules
from socialcare.store import actions, claims
from socialcare.store.cases import get_case
from socialcare.store.claims import claim, resolve
from socialcare.store.db import open_store
from socialcare.store.tables import case_events, outbox, posts
from tests.factories import T0, classified

NOW = T0 + timedelta(hours=2)
TEXT = "We are on it: your bags are being traced. DM us the tag number."
REFRESH = clock_refresher(default_rules())


def _store(path_or_url):
    """Twelve cases: conversations of one to three posts (the reply answers the latest
    customer post), one answered by the brand already, one on Mastodon."""
    url = str(path_or_url)
    engine = open_store(url if "://" in url else f"sqlite:///{url}")
    mentions = []
    for i in range(12):
        for j in range(1 + i % 3):
            mentions.append(classified(f"{i}-{j}", f"c{i}", minutes=i + 10 * j))
    mentions.append(classified("m", "c12", network="mastodon"))
    mentions.append(classified("b", "c0", minutes=5, from_brand=True, author={"id": "AcmeHelp"}))
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0 + timedelta(hours=1)).apply(mentions)
    return engine


def _what_replying_left(engine, case_ids) -> list:
    """Each case after the reply, without the ids and times a reply makes up."""

    out = []
    with engine.connect() as conn:
        for case_id in case_ids:
            case = get_case(engine, case_id)
            queued = conn.execute(
                select(outbox.c.in_reply_to, outbox.c.text, outbox.c.status).where(
                    outbox.c.case_id == case_id
                )
            ).all()
            replies = conn.execute(
                select(posts.c.author_handle, posts.c.text, posts.c.from_brand).where(
                    posts.c.case_id == case_id, posts.c.post_id.like("desk-%")
                )
            ).all()
            events = [
                (e.type, e.actor, e.data.get("in_reply_to"), e.data.get("text"))
                for e in conn.execute(
                    select(case_events).where(
                        case_events.c.case_id == case_id, case_events.c.type == "replied"
                    )
                )
            ]
            keep = ("claimed_by", "first_response_at", "waiting_since", "sla_due", "status")
            out.append(({k: case[k] for k in keep}, queued, replies, events))
    return out


@pytest.mark.parametrize("chunk", [1, 5, 500])
def test_reply_all_leaves_each_case_as_one_reply_each_does(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(actions, "BULK_CHUNK", chunk)
    one_by_one, at_once = _store(tmp_path / "one.db"), _store(tmp_path / "all.db")
    ids = [case_id_for("x", f"c{i}") for i in range(12)] + [case_id_for("mastodon", "c12")]
    for case_id in ids:
        actions.reply(one_by_one, REFRESH, case_id, "ana", TEXT, now=NOW)
    done, failed = actions.reply_all(at_once, REFRESH, ids, "ana", TEXT, now=NOW)
    assert done == ids and failed == []
    left = _what_replying_left(at_once, ids)
    assert left == _what_replying_left(one_by_one, ids)
    first, queued, replies, events = left[2]  # c2: three customer posts
    assert queued == [("2-2", TEXT, "queued")] and events[0][2] == "2-2"
    assert [r[1:] for r in replies] == [(TEXT, True)]
    assert first["first_response_at"] == NOW.isoformat() == first["waiting_since"]
    assert left[0][0]["first_response_at"] == (T0 + timedelta(minutes=5)).isoformat()


def test_reply_all_lists_the_cases_it_cannot_answer_and_answers_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(actions, "BULK_CHUNK", 2)  # failures in several chunks
    engine = _store(tmp_path / "cases.db")
    ids = [case_id_for("x", f"c{i}") for i in range(6)]
    claim(engine, ids[1], "ben", now=NOW)
    resolve(engine, ids[3], "ana", now=NOW)
    too_long = "x" * 400  # over X's 280, within Mastodon's 500
    done, failed = actions.reply_all(
        engine,
        REFRESH,
        [*ids, "no-such-case", case_id_for("mastodon", "c12")],
        "ana",
        TEXT,
        now=NOW,
    )
    assert done == [ids[0], ids[2], ids[4], ids[5], case_id_for("mastodon", "c12")]
    why = {f["case_id"]: f["error"] for f in failed}
    assert set(why) == {ids[1], ids[3], "no-such-case"}
    assert "claimed by ben" in why[ids[1]] and "resolved" in why[ids[3]]
    assert "no case" in why["no-such-case"]
    done, failed = actions.reply_all(
        engine, REFRESH, [ids[0], case_id_for("mastodon", "c12")], "ana", too_long, now=NOW
    )
    assert done == [case_id_for("mastodon", "c12")] and [f["case_id"] for f in failed] == [ids[0]]
    with pytest.raises(actions.ActionError):
        actions.reply_all(engine, REFRESH, ids, "ana", "   ")


def _events(engine, kind: str) -> list:
    with engine.connect() as conn:
        return sorted(
            (e.case_id, e.actor, e.data)
            for e in conn.execute(select(case_events).where(case_events.c.type == kind))
        )


def test_resolve_all_and_tag_all_do_what_one_resolve_or_tag_each_does(tmp_path, monkeypatch):
    monkeypatch.setattr(claims, "BULK_CHUNK", 2)
    monkeypatch.setattr(actions, "BULK_CHUNK", 2)
    one_by_one, at_once = _store(tmp_path / "one.db"), _store(tmp_path / "all.db")
    ids = [case_id_for("x", f"c{i}") for i in range(5)]
    for engine in (one_by_one, at_once):
        claim(engine, ids[1], "ben", now=NOW)  # held by another agent
        resolve(engine, ids[3], "ana", now=NOW)  # resolved already
    refused = []
    for case_id in [*ids, "no-such-case"]:
        try:
            resolve(one_by_one, case_id, "ana", "outage over", now=NOW)
        except claims.ClaimError:
            refused.append(case_id)
    done, failed = claims.resolve_all(
        at_once, [*ids, "no-such-case"], "ana", "outage over", now=NOW
    )
    assert done == [ids[0], ids[2], ids[4]]
    assert [f["case_id"] for f in failed] == refused == [ids[1], ids[3], "no-such-case"]
    assert "claimed by another agent" in failed[0]["error"]
    assert _events(at_once, "resolved") == _events(one_by_one, "resolved")
    assert [c["status"] for c in map(lambda i: get_case(at_once, i), ids)] == [
        c["status"] for c in map(lambda i: get_case(one_by_one, i), ids)
    ]

    for engine in (one_by_one, at_once):
        actions.tag(engine, ids[0], "ana", "Outage-1", now=NOW)
    for case_id in ids:
        actions.tag(one_by_one, case_id, "ana", "outage-1", now=NOW)
    done, failed = actions.tag_all(at_once, [*ids, "gone"], "ana", " OUTAGE-1 ", now=NOW)
    assert done == ids and failed == [{"case_id": "gone", "error": "no case gone"}]
    assert [get_case(at_once, i)["tags"] for i in ids] == [
        get_case(one_by_one, i)["tags"] for i in ids
    ]
    assert get_case(at_once, ids[0])["tags"].count("outage-1") == 1  # kept once
    assert _events(at_once, "tagged") == _events(one_by_one, "tagged")
    with pytest.raises(actions.CaseNotFound):
        actions.tag(at_once, "gone", "ana", "x")
    with pytest.raises(actions.ActionError):
        actions.tag_all(at_once, ids, "ana", "x" * 65)


def bulk_actions_on(path_or_url) -> list:
    """A store of `_store`'s cases after a reply to all, a tag on all and a resolve of all
    (one case held by another agent): what is left of each case, and the events."""
    engine = _store(path_or_url)
    ids = [case_id_for("x", f"c{i}") for i in range(12)]
    claim(engine, ids[4], "ben", now=NOW)
    replied, refused = actions.reply_all(engine, REFRESH, ids, "ana", TEXT, now=NOW)
    tagged, _ = actions.tag_all(engine, ids, "ana", "outage", now=NOW)
    resolved, kept = claims.resolve_all(engine, ids, "ana", now=NOW + timedelta(minutes=1))
    events = [_events(engine, kind) for kind in ("tagged", "resolved")]
    done = [replied, refused, tagged, resolved, kept]
    return [done, _what_replying_left(engine, ids), events]
