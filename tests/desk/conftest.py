from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from route.casebook import CaseBook, case_id_for
from route.rules import default_rules
from socialcare.desk.app import create_app
from socialcare.store.db import open_store
from socialcare.store.users import add_user, create_token
from tests.factories import T0, classified

HOT = case_id_for("x", "hot")
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PASSWORD = "correct horse battery"
USERS = {"ana": "agent", "ada": "admin", "ann": "analyst", "bob": "agent"}


@pytest.fixture
def engine(tmp_path):
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
    for name, role in USERS.items():
        add_user(engine, name, role, PASSWORD)
    return engine


@pytest.fixture
def app(engine):
    return create_app(engine=engine, rules=default_rules)


def login(app, name: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf})
    assert response.status_code == 303, response.text
    landing = client.get(response.headers["location"]).text  # a new session, a new token
    client.csrf = re.search(r'name="csrf-token" content="([^"]+)"', landing).group(1)  # type: ignore[attr-defined]
    assert client.csrf != csrf
    return client


@pytest.fixture
def as_role(app):
    return lambda name: login(app, name)


@pytest.fixture
def token(engine):
    return lambda name: create_token(engine, name)
