"""The agent's day on the desk: saved replies filled in for a case, reply limits per network,
macros recorded step by step, the collision guard (version, 409, what changed), who is viewing,
the customer profile, presence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from route.casebook import CaseBook, case_id_for
from route.rules import default_rules
from socialcare.store.tables import case_events, outbox
from tests.factories import T0, classified

HOT, CALM = case_id_for("x", "hot"), case_id_for("x", "calm")


@pytest.fixture
def api(app, token):
    def client(name: str) -> TestClient:
        return TestClient(app, headers={"Authorization": f"Bearer {token(name)}"})

    return client


def queued(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox)).scalar()


def events(engine, case_id: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(case_events.c.type)
                .where(case_events.c.case_id == case_id)
                .order_by(case_events.c.id)
            ).scalars()
        )


def customer_writes_again(engine, text="still waiting!!"):
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0 + timedelta(minutes=9)).apply(
            [
                classified(
                    "2b",
                    "hot",
                    urgency="critical",
                    text=text,
                    minutes=8,
                    author={"id": "u2", "handle": "evil"},
                )
            ]
        )


def test_a_stale_reply_gets_409_with_what_changed_and_nothing_is_queued(api, engine):
    ana = api("ana")
    seen = ana.get(f"/api/cases/{HOT}").json()["version"]
    assert ana.post(f"/api/cases/{HOT}/claim").status_code == 200  # her own change: not stale
    customer_writes_again(engine)
    stale = ana.post(f"/api/cases/{HOT}/reply", json={"text": "on it", "version": seen})
    assert stale.status_code == 409
    body = stale.json()
    assert "changed since you opened it" in body["detail"]
    assert [c["type"] for c in body["changes"]] == ["post_added"]
    assert body["changes"][0]["actor"] == "evil"
    assert queued(engine) == 0 and "replied" not in events(engine, HOT)
    fresh = ana.get(f"/api/cases/{HOT}").json()["version"]
    assert fresh > seen
    sent = ana.post(f"/api/cases/{HOT}/reply", json={"text": "on it", "version": fresh})
    assert sent.status_code == 200 and queued(engine) == 1


def test_notes_and_resolves_are_guarded_too_and_the_version_grows_with_each_change(api):
    ana, bob = api("ana"), api("bob")
    v1 = ana.get(f"/api/cases/{HOT}").json()["version"]
    bob.post(f"/api/cases/{HOT}/note", json={"text": "I called them"})
    v2 = ana.get(f"/api/cases/{HOT}").json()["version"]
    assert v2 > v1
    assert ana.post(f"/api/cases/{HOT}/note", json={"text": "x", "version": v1}).status_code == 409
    assert ana.post(f"/api/cases/{HOT}/resolve", json={"version": str(v1)}).status_code == 409
    assert ana.post(f"/api/cases/{HOT}/resolve", json={"version": v2}).status_code == 200
    assert (
        ana.post(f"/api/cases/{CALM}/note", json={"text": "x", "version": "abc"}).status_code == 422
    )


def test_a_reply_too_long_for_the_network_is_refused_before_anything_is_queued(api, engine):
    ana = api("ana")
    before = events(engine, HOT)
    too_long = ana.post(f"/api/cases/{HOT}/reply", json={"text": "a" * 281})
    assert too_long.status_code == 422
    assert "at most 280 characters; this one counts 281" in too_long.json()["detail"]
    assert queued(engine) == 0 and events(engine, HOT) == before
    link = "https://example.com/" + "x" * 300
    assert ana.post(f"/api/cases/{HOT}/reply", json={"text": f"see {link}"}).status_code == 200


def test_saved_replies_are_offered_filled_in_for_the_case(api):
    offered = api("ana").get(f"/api/cases/{HOT}/saved-replies").json()
    by_id = {t["id"]: t for t in offered}
    assert "outage" in by_id  # offered in the urgent queue
    assert by_id["sorry-dm"]["text"].startswith("Hi there, sorry")  # no display name: fallback
    assert by_id["sorry-dm"]["text"].endswith("^ana")
    assert "{{" not in by_id["fixed"]["text"] and "@evil" in by_id["fixed"]["text"]
    calm = {t["id"] for t in api("ana").get(f"/api/cases/{CALM}/saved-replies").json()}
    assert "outage" not in calm  # not for the questions queue


def test_a_macro_records_each_step_as_its_own_event(api, engine):
    ana = api("ana")
    before = len(events(engine, HOT))
    done = ana.post(f"/api/cases/{HOT}/macro/outage-reply-and-tag", json={})
    assert done.status_code == 200, done.text
    assert events(engine, HOT)[before:] == ["replied", "tagged"]
    case = ana.get(f"/api/cases/{HOT}").json()
    assert "outage" in case["tags"] and queued(engine) == 1
    assert case["posts"][-1]["text"].startswith("We know about the outage")
    closed = ana.post(f"/api/cases/{CALM}/macro/fixed-and-resolve", json={})
    assert closed.status_code == 200
    assert ana.get(f"/api/cases/{CALM}").json()["status"] == "resolved"
    assert ana.post(f"/api/cases/{HOT}/macro/nope", json={}).status_code == 404


def test_a_macro_that_would_fail_half_way_does_nothing(api, engine):
    long_text = "x" * 300
    published = api("ada").post(
        "/api/saved-replies/publish",
        json={
            "text": f"templates:\n  - id: long\n    text: '{long_text}'\n"
            "macros:\n  - id: tag-then-long\n    actions:\n      - tag: first\n"
            "      - reply: long\n",
            "message": "test",
        },
    )
    assert published.status_code == 200, published.text
    before = events(engine, HOT)
    refused = api("ana").post(f"/api/cases/{HOT}/macro/tag-then-long", json={})
    assert refused.status_code == 422 and events(engine, HOT) == before


def test_admins_publish_saved_replies_and_bad_ones_are_refused_with_lines(api):
    ada = api("ada")
    bad = ada.post(
        "/api/saved-replies/publish",
        json={
            "text": "templates:\n  - id: a\n    text: '{{customer.shoe_size}}'\n",
            "message": "m",
        },
    )
    assert bad.status_code == 422
    assert bad.json()["problems"][0].startswith(
        "saved_replies.yaml:3: unknown variable customer.shoe_size"
    )
    assert (
        api("ana").post("/api/saved-replies/publish", json={"text": "", "message": "m"}).status_code
        == 403
    )
    ok = ada.post(
        "/api/saved-replies/publish",
        json={
            "text": "templates:\n  - id: thanks\n    text: 'Thanks {{customer.handle}}!'\n",
            "message": "m",
        },
    )
    assert ok.status_code == 200
    assert [t["id"] for t in api("ana").get(f"/api/cases/{HOT}/saved-replies").json()] == ["thanks"]


def test_the_api_and_page_list_who_else_is_viewing(api, as_role):
    page = as_role("ana").get(f"/cases/{HOT}").text
    assert "Nobody else has this case open." in page
    bob = api("bob")
    assert bob.get(f"/api/cases/{HOT}").json()["viewers"] == ["ana"]
    assert bob.post(f"/api/cases/{HOT}/viewing").json() == {"viewers": ["ana"]}
    again = as_role("ana").get(f"/cases/{HOT}").text
    assert "Also viewing now: <b>bob</b>" in again
    assert bob.post("/api/cases/nope/viewing").status_code == 404


def test_the_customer_profile_notes_and_explicit_links(api, as_role, engine):
    ana = api("ana")
    profile = ana.get("/api/customers/x/u2").json()
    assert [c["id"] for c in profile["cases"]] == [HOT]
    assert profile["first_seen"].startswith("2024-05-01") and profile["sentiment"][0]["label"]
    assert ana.post("/api/customers/x/u2/note", json={"text": "flies weekly, gold member"}).json()[
        "ok"
    ]
    linked = ana.post("/api/customers/x/u2/link", json={"other": "x:u1"})
    assert linked.status_code == 200
    assert "customer_linked" in events(engine, HOT) and "customer_linked" in events(engine, CALM)
    profile = ana.get("/api/customers/x/u2").json()
    assert profile["notes"][0]["text"] == "flies weekly, gold member"
    assert profile["linked"] == [
        {"network": "x", "author_id": "u1", "by": "ana", "at": profile["linked"][0]["at"]}
    ]
    assert ana.post("/api/customers/x/u2/link", json={"other": "x:nobody"}).status_code == 404
    assert ana.post("/api/customers/x/u2/link", json={"other": "u1"}).status_code == 422
    assert ana.get("/api/customers/x/nobody").status_code == 404
    html = as_role("ana").get("/customers/x/u2").text
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "flies weekly" in html


def test_presence_is_set_and_checked(api, engine):
    ana = api("ana")
    assert ana.post("/api/presence", json={"status": "away"}).json()["status"] == "away"
    assert ana.post("/api/presence", json={"status": "asleep"}).status_code == 422
