"""The learning loop on the desk: the Review page (least sure first, one click labels), the
Models page and API (retrain behind the gate, versions, rollback)."""

from __future__ import annotations

import csv
import random
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from route.casebook import CaseBook, case_id_for
from route.rules import default_rules
from socialcare.store import corrections
from socialcare.store import models as stored
from socialcare.stream.schema import utcnow
from tests.desk.conftest import XSS
from tests.factories import T0, classified

CALM = case_id_for("x", "calm")


def test_review_lists_the_newest_first_and_a_click_labels(engine, as_role):
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0 + timedelta(minutes=9)).apply(
            [
                classified("3", "angry", text="Worst airline ever, lost my bag, nobody helps"),
                classified("4", "meh", text="ok thanks i guess"),
            ]
        )
    ana = as_role("ana")
    listed = ana.get("/api/review").json()
    opened = [r["opened_at"] for r in listed]
    assert opened == sorted(opened, reverse=True) and len(listed) == 4  # no model yet: newest

    page = ana.get("/review").text
    assert XSS not in page and "&lt;script&gt;" in page  # post text is escaped
    done = ana.post(
        f"/cases/{CALM}/correct",
        data={"csrf": ana.csrf, "field": "sentiment", "value": "neutral", "back": "review"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/review"
    assert CALM not in [r["id"] for r in ana.get("/api/review").json()]
    assert corrections.count_since(engine, "sentiment", 0) == 1


def test_admins_retrain_and_roll_back_from_the_desk(engine, as_role, token, shared_data, app):
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0 + timedelta(minutes=9)).apply(
            [
                classified("3", "angry", text="Worst airline ever, lost my bag, nobody helps"),
                classified("4", "meh", text="ok thanks i guess"),
                classified("5", "fine", text="flight was fine, landed on time"),
            ]
        )
    with (shared_data / "airline_tweets.csv").open(newline="", encoding="utf-8") as fh:
        rows = [(r["text"], r["sentiment"]) for r in csv.DictReader(fh) if r["sentiment"]]
    random.Random(5).shuffle(rows)
    corrections.import_rows(engine, "sentiment", rows[:600], "import", "import:x", utcnow())

    ada = as_role("ada")
    before = ada.get("/admin/models").text
    assert "600 corrections since this version" in before and "untrained default" in before
    done = ada.post("/admin/models/retrain", data={"csrf": ada.csrf, "task": "sentiment"})
    assert done.status_code == 303
    page = ada.get("/admin/models").text
    assert "Promoted sentiment-" in page
    version = stored.in_force(engine, "sentiment").version
    assert f"{version} <b>(in force)</b>" in page and "rows: the agents' label" in page
    # the desk's own classifier follows at once: the Review page names the new version, and
    # puts the post the model is least sure of first
    assert version in ada.get("/review").text
    listed = ada.get("/api/review").json()
    assert listed[0]["margin"] == min(r["margin"] for r in listed)

    headers = {"Authorization": f"Bearer {token('ada')}"}
    api = TestClient(app, headers=headers)
    again = api.post("/api/models/retrain", json={"task": "sentiment"}).json()
    assert again["promoted"] is False and "only 0 corrections since" in again["reason"]
    # the page says why the last retrain was turned down; the API lists every decision
    card = ada.get("/admin/models").text.split('data-task="sentiment"')[1]
    assert "not promoted" in card and "only 0 corrections since" in card
    decided = api.get("/api/models").json()["attempts"]
    assert [(a["author"], a["promoted"]) for a in decided] == [("ada", False), ("ada", True)]
    assert api.post("/api/models/retrain", json={"task": "mood"}).status_code == 422
    rolled = api.post("/api/models/rollback", json={"task": "sentiment", "version": "default"})
    assert rolled.status_code == 200
    in_force = {t["task"]: t["version"] for t in api.get("/api/models").json()["in_force"]}
    assert in_force["sentiment"] == "default"
    missing = api.post("/api/models/rollback", json={"task": "sentiment", "version": "nope"})
    assert missing.status_code == 404 and re.search("no model version", missing.text)
