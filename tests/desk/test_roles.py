"""Every route refuses a request without the right role: no user → 401 (API) or a redirect to
the login page; a user without the role → 403. The list of routes comes from the app itself,
so a new route without a role check fails here."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from route.casebook import case_id_for

PUBLIC = {"/login", "/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
ENDLESS = {"/api/stream"}  # an event stream never ends: its roles are checked in test_live.py
EXPECTED_ROLE = {  # path prefix → the role a route needs
    "/api/rules": "admin",
    "/api/users": "admin",
    "/api/saved-replies/publish": "admin",
    "/api/models": "admin",
    "/admin": "admin",
    "/api/reports": "analyst",
    "/api/mentions": "analyst",
    "/reports": "analyst",
    "/listening": "analyst",
    "/incidents": "agent",
    "/alerts": "agent",
    "/api/": "agent",
    "/cases": "agent",
    "/customers": "agent",
    "/": "agent",
}
ROLE_OF = {"agent": "ana", "admin": "ada", "analyst": "ann"}


def routes(app):
    """Every (method, path) the app serves, from its OpenAPI description (which lists the
    routes of every included router), less the public ones."""
    for path, operations in app.openapi()["paths"].items():
        if path in PUBLIC or path in ENDLESS:
            continue
        for method in sorted(m.upper() for m in operations if m != "head"):
            yield method, path


def concrete(path: str) -> str:
    return (
        path.replace("{case_id}", case_id_for("x", "hot"))
        .replace("{name}", "claim")
        .replace("{network}", "x")
        .replace("{author_id}", "hot")
        .replace("{what}", "note")
        .replace("{macro}", "fixed-and-resolve")
        .replace("{kind}", "voice")
    )


def needed(path: str) -> str | None:
    if path == "/logout":
        return None
    return next(role for prefix, role in EXPECTED_ROLE.items() if path.startswith(prefix))


def test_every_route_is_listed(app):
    assert len(list(routes(app))) >= 23


@pytest.mark.parametrize("who", ["nobody", "agent", "admin", "analyst"])
def test_role_matrix(app, token, who):
    headers = {} if who == "nobody" else {"Authorization": f"Bearer {token(ROLE_OF[who])}"}
    client = TestClient(app, headers=headers, follow_redirects=False)
    for method, path in routes(app):
        url = concrete(path)
        response = client.request(method, url, json={} if method == "POST" else None)
        role = needed(path)
        if who == "nobody":
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path)
            else:
                assert response.status_code in (303, 403), (method, path)
                if response.status_code == 303:
                    assert response.headers["location"].startswith("/login")
            continue
        allowed = role is None or who == "admin" or role == who
        if allowed:
            assert response.status_code not in (401, 403), (who, method, path, response.text)
        else:
            assert response.status_code == 403, (who, method, path)


def test_pages_redirect_to_login_and_the_api_says_401(app):
    client = TestClient(app, follow_redirects=False)
    assert client.get("/reports").headers["location"] == "/login?next=/reports"
    assert client.get("/api/cases").status_code == 401
    assert (
        client.get("/api/cases", headers={"Authorization": "Bearer sc_forged"}).status_code == 401
    )
