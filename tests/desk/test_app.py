"""The desk for agents: queue page sorted by priority, post text escaped, the conversation and
why a case is here, and the case actions through pages and the API."""

from __future__ import annotations

import re

from route.casebook import case_id_for
from tests.desk.conftest import XSS

HOT, CALM = case_id_for("x", "hot"), case_id_for("x", "calm")


def test_queue_page_lists_cases_by_priority_with_text_escaped(as_role):
    html = as_role("ana").get("/").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    assert html.index(HOT) < html.index(CALM)
    assert " · 1 post<" in html and " 1 posts" not in html  # each case here has one post


def test_case_page_shows_the_conversation_escaped_and_why_it_is_here(as_role):
    client = as_role("ana")
    html = client.get(f"/cases/{HOT}").text
    assert "&lt;script&gt;alert" in html and "<script>alert" not in html
    assert "rule <b>critical</b>" in html and "base 70 · urgency +30" in html
    assert client.get("/cases/nope").status_code == 404


def test_pages_send_a_strict_content_security_policy(as_role):
    response = as_role("ana").get("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_api_lists_and_filters_cases(token, app):
    from fastapi.testclient import TestClient

    client = TestClient(app, headers={"Authorization": f"Bearer {token('ana')}"})
    cases = client.get("/api/cases").json()
    assert [c["conversation_id"] for c in cases] == ["hot", "calm"]
    assert cases[0]["post_ids"] == ["2"]
    assert client.get("/api/cases", params={"status": "bogus"}).status_code == 422
    one = client.get(f"/api/cases/{HOT}").json()
    assert one["posts"][0]["text"].endswith(XSS)  # JSON carries the raw text; pages escape it
    queues = {q["queue"]: q for q in client.get("/api/queues").json()}
    assert queues["urgent"]["open"] == 1 and queues["urgent"]["unanswered"] == 1


def test_agent_claims_replies_notes_corrects_and_resolves_through_the_api(token, app, engine):
    from fastapi.testclient import TestClient

    from socialcare.store.corrections import export as export_corrections

    ana = TestClient(app, headers={"Authorization": f"Bearer {token('ana')}"})
    bob = TestClient(app, headers={"Authorization": f"Bearer {token('bob')}"})
    assert ana.post("/api/claim-next", json={}).json() == {"case_id": HOT}
    taken = bob.post(f"/api/cases/{HOT}/claim")
    assert taken.status_code == 409 and "claimed by ana" in taken.json()["detail"]
    assert ana.post(f"/api/cases/{HOT}/reply", json={"text": "So sorry, crew alerted."}).json()[
        "ok"
    ]
    assert ana.post(f"/api/cases/{HOT}/note", json={"text": "called the station"}).json()["ok"]
    assert ana.post(f"/api/cases/{HOT}/correct", json={"field": "topic", "value": "safety"}).json()[
        "ok"
    ]
    bad = ana.post(f"/api/cases/{HOT}/correct", json={"field": "urgency", "value": "meh"})
    assert bad.status_code == 422  # the request is wrong, not in conflict
    case = ana.get(f"/api/cases/{HOT}").json()
    assert case["first_response_at"] is not None and case["sla_due"] is None  # waiting on them
    assert case["posts"][-1]["text"] == "So sorry, crew alerted."
    assert ana.post(f"/api/cases/{HOT}/resolve", json={}).json()["ok"]
    assert ana.post(f"/api/cases/{HOT}/reopen", json={}).json()["ok"]
    assert ana.post(f"/api/cases/{HOT}/reassign", json={"to": "bob"}).json()["ok"]
    assert ana.post(f"/api/cases/{HOT}/reassign", json={"to": "ann"}).status_code == 422
    assert bob.post(f"/api/cases/{HOT}/snooze", json={"until": "2999-01-01T00:00"}).json()["ok"]
    types = [e["type"] for e in ana.get(f"/api/cases/{HOT}").json()["events"]]
    for kind in (
        "claimed",
        "replied",
        "note",
        "corrected",
        "resolved",
        "reopened",
        "reassigned",
        "snoozed",
    ):
        assert kind in types
    assert export_corrections(engine, "topic")[0]["label"] == "safety"
    assert ana.post(f"/api/cases/{HOT}/fly").status_code == 404


def test_forms_need_the_csrf_token(as_role):
    client = as_role("ana")
    refused = client.post(f"/cases/{HOT}/claim", data={})
    assert refused.status_code == 403
    done = client.post(f"/cases/{HOT}/claim", data={"csrf": client.csrf})
    assert done.status_code == 303


def test_login_refuses_a_wrong_password_and_logout_ends_the_session(app):
    import re

    from fastapi.testclient import TestClient

    client = TestClient(app, follow_redirects=False)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    wrong = client.post("/login", data={"name": "ana", "password": "nope", "csrf": csrf})
    assert wrong.headers["location"] == "/login"
    assert client.get("/").status_code == 303


def test_a_thread_of_hundreds_of_posts_shows_its_opening_and_latest_posts_and_events(
    as_role, token, app, engine
):
    """A reply thread to an outage notice can run to thousands of posts. The case page shows
    the opening post and the latest ones (CASE_PAGE_LATEST), says how many it left out and links
    to all; its actions stay close. The API does the same when asked for `latest`."""
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from route.casebook import CaseBook
    from route.rules import default_rules
    from socialcare.desk.routes.cases import CASE_PAGE_LATEST
    from tests.factories import T0, classified

    thread = [
        classified(f"t{i}", "outage", minutes=i, text=f"still down, post {i}") for i in range(250)
    ]
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0 + timedelta(hours=5)).apply(thread)
    case_id = case_id_for("x", "outage")
    client = as_role("ana")
    html = client.get(f"/cases/{case_id}").text
    shown = re.findall(r"still down, post (\d+)<", html)
    assert shown == ["0", *map(str, range(250 - CASE_PAGE_LATEST + 1, 250))]
    hidden = 250 - CASE_PAGE_LATEST
    assert f"{hidden} posts in between not shown" in html and "show all 250" in html
    assert html.index("posts-hidden") < html.index("post 249<") < html.index('id="reply-form"')
    assert "earlier not shown" in html  # 250 post_added events and the created one
    everything = client.get(f"/cases/{case_id}", params={"show": "all"}).text
    assert len(re.findall(r"still down, post \d+<", everything)) == 250
    assert "not shown" not in everything
    assert client.get(f"/cases/{case_id}", params={"show": "most"}).status_code == 422

    api = TestClient(app, headers={"Authorization": f"Bearer {token('ana')}"})
    full = api.get(f"/api/cases/{case_id}").json()
    latest = api.get(f"/api/cases/{case_id}", params={"latest": 3}).json()
    assert [p["post_id"] for p in latest["posts"]] == ["t0", "t248", "t249"]
    assert latest["posts_hidden"] == 247 and full["posts_hidden"] == 0
    assert latest["events"] == full["events"][-3:]
    assert latest["events_hidden"] == len(full["events"]) - 3
    assert latest["version"] == full["version"]  # the collision guard reads the latest event
    assert api.get(f"/api/cases/{case_id}", params={"latest": 0}).status_code == 422


def test_an_incident_of_hundreds_of_cases_lists_the_first_and_acts_on_all(token, app, engine):
    """An incident's page lists its first INCIDENT_PAGE_CASES cases in the queue's order (a
    page of 20,000 rows took a second and 9 MB) and links to all; its bulk actions act on every
    open case, listed or not."""
    from datetime import timedelta

    from fastapi.testclient import TestClient
    from sqlalchemy import update

    from route.casebook import CaseBook
    from route.rules import default_rules
    from socialcare.desk.routes.incidents import INCIDENT_PAGE_CASES
    from socialcare.store.incidents import add_incident
    from socialcare.store.tables import cases
    from tests.factories import T0, classified

    many = INCIDENT_PAGE_CASES + 50
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0 + timedelta(hours=1)).apply(
            [
                classified(f"o{i}", f"out{i}", urgency=("high" if i % 7 == 0 else "normal"))
                for i in range(many)
            ]
        )
        add_incident(
            conn,
            {
                "id": "inc-big",
                "brand": "AcmeAir",
                "title": "check-in down",
                "terms": ["check-in"],
                "signature": {},
                "idf": {},
                "status": "open",
                "first_seen": T0,
                "last_seen": T0,
                "created_at": T0,
            },
        )
        conn.execute(
            update(cases).where(cases.c.conversation_id.like("out%")).values(incident_id="inc-big")
        )
    client = TestClient(app, headers={"Authorization": f"Bearer {token('ana')}"})
    page = client.get("/incidents/inc-big").text
    rows = re.findall(r"<td>(\d+)</td><td>(?:yes|no)</td>", page)  # each listed case's priority
    assert len(rows) == INCIDENT_PAGE_CASES
    assert [int(p) for p in rows] == sorted((int(p) for p in rows), reverse=True)
    assert f"The first {INCIDENT_PAGE_CASES} of {many} cases" in page
    everything = client.get("/incidents/inc-big", params={"show": "all"}).text
    assert len(re.findall(r"<td>\d+</td><td>(?:yes|no)</td>", everything)) == many
    assert "show all" not in everything
    replied = client.post("/api/incidents/inc-big/reply", json={"text": "We are on it."}).json()
    assert len(replied["replied"]) == many and replied["failed"] == []
