"""The desk: queue page sorted by priority, post text escaped, JSON API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from desk.app import create_app
from route.casebook import CaseBook, case_id_for
from route.ruleset import default_rules
from store.db import open_store
from tests.factories import T0, classified

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def client(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0 + timedelta(minutes=5)).apply(
            [
                classified(
                    "1", "calm", sentiment="neutral", score=0.0, text="what time is check-in?"
                ),
                classified(
                    "2",
                    "hot",
                    urgency="critical",
                    text=f"smoke in the cabin {XSS}",
                    author={"id": "u2", "handle": f"evil{XSS}"},
                ),
            ]
        )
    return TestClient(create_app(engine=engine))


def test_queue_page_lists_cases_by_priority_with_text_escaped(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    assert html.index(case_id_for("x", "hot")) < html.index(case_id_for("x", "calm"))


def test_case_page_shows_the_conversation_escaped_and_why_it_is_here(client):
    html = client.get(f"/cases/{case_id_for('x', 'hot')}").text
    assert "&lt;script&gt;alert" in html and "<script>alert" not in html
    assert "rule <b>critical</b>" in html and "base 70 · urgency +30" in html
    assert client.get("/cases/nope").status_code == 404


def test_api_lists_and_filters_cases(client):
    cases = client.get("/api/cases").json()
    assert [c["conversation_id"] for c in cases] == ["hot", "calm"]
    assert cases[0]["post_ids"] == ["2"]
    assert [c["queue"] for c in client.get("/api/cases", params={"queue": "urgent"}).json()] == [
        "urgent"
    ]
    assert client.get("/api/cases", params={"status": "bogus"}).status_code == 422
    one = client.get(f"/api/cases/{case_id_for('x', 'hot')}").json()
    assert one["posts"][0]["text"].endswith(XSS)  # JSON carries the raw text; pages escape it
    assert {e["type"] for e in one["events"]} == {"created", "routed"}
    queues = {q["queue"]: q for q in client.get("/api/queues").json()}
    assert queues["urgent"]["open"] == 1 and queues["urgent"]["unanswered"] == 1
