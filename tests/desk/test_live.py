"""The desk at a team's size: the case list as JSON bytes with an ETag (304 when nothing in the
page changed), pages in a stable order, and the live stream of changed cases."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from tests.desk.conftest import HOT


def api(app, token, name: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token(name)}"})


def test_the_case_list_answers_304_until_something_in_it_changes(app, token):
    ana = api(app, token, "ana")
    first = ana.get("/api/cases?limit=50")
    assert first.status_code == 200 and first.headers["etag"]
    same = ana.get("/api/cases?limit=50", headers={"If-None-Match": first.headers["etag"]})
    assert same.status_code == 304 and same.content == b""
    assert ana.post(f"/api/cases/{HOT}/claim", json={}).status_code == 200
    changed = ana.get("/api/cases?limit=50", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    assert {c["id"]: c["status"] for c in changed.json()}[HOT] == "claimed"


def test_pages_follow_one_stable_order(app, token):
    ana = api(app, token, "ana")
    whole = [c["id"] for c in ana.get("/api/cases?limit=100").json()]
    pages = [
        c["id"] for o in range(len(whole)) for c in ana.get(f"/api/cases?limit=1&offset={o}").json()
    ]
    assert pages == whole and len(whole) == 2
    assert ana.get("/api/cases?offset=-1").status_code == 422


def test_the_stream_says_which_cases_changed_and_needs_an_agent(app, token):
    assert TestClient(app).get("/api/stream").status_code == 401
    assert api(app, token, "ann").get("/api/stream").status_code == 403
    ana = api(app, token, "ana")
    with ana.stream("GET", "/api/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        assert api(app, token, "bob").post(f"/api/cases/{HOT}/claim", json={}).status_code == 200
        change = next(json.loads(line[6:]) for line in lines if line.startswith("data: "))
    assert change == {"last": change["last"], "cases": [HOT], "all": False}
    # a page resuming from further back than the desk keeps is told to refresh everything
    with ana.stream("GET", "/api/stream?after=0") as stream:
        change = next(
            json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: ")
        )
    assert change["all"] is True and change["cases"] is None


def test_the_queue_page_shows_a_page_at_a_time_in_a_stable_order(engine, as_role, monkeypatch):
    from socialcare.desk.routes import cases as case_routes

    monkeypatch.setattr(case_routes, "QUEUE_PAGE", 1)
    ana = as_role("ana")
    first, second = ana.get("/").text, ana.get("/?page=2").text
    rows = [re.findall(r'<tr data-case="([^"]+)"', p) for p in (first, second)]
    assert len(rows[0]) == len(rows[1]) == 1 and rows[0] != rows[1]
    assert 'id="next-page"' in first and 'href="/?page=2"' in first
    assert 'id="prev-page"' in second and 'id="next-page"' not in second
    assert ana.get("/?page=0").status_code == 422
