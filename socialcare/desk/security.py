"""Who is asking, and may they: sessions (login form) or API tokens (Authorization: Bearer),
roles on every route, CSRF on every session-authenticated POST, and security headers."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from sqlalchemy import Engine
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import Response

from socialcare.store.users import User, get_user, user_for_token

#: which roles a user of each role holds: an admin may do everything
GRANTS = {"agent": {"agent"}, "analyst": {"analyst"}, "admin": {"admin", "agent", "analyst"}}


class LoginRequired(Exception):
    """A page needs a signed-in user: the app redirects to the login form."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def principal(request: Request) -> tuple[User | None, bool]:
    """(user, by_token). Token requests carry no cookies, so they need no CSRF check."""
    engine: Engine = request.app.state.desk.engine
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return user_for_token(engine, auth[7:].strip()), True
    name = request.session.get("user")
    return (get_user(engine, name) if isinstance(name, str) else None), False


async def check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and try again")


def need(role: str | None) -> Callable[[Request], Awaitable[User]]:
    """A dependency: the signed-in user, who must hold `role` (None: any role)."""

    async def dependency(request: Request) -> User:
        user, by_token = principal(request)
        if user is None:
            if request.url.path.startswith("/api/"):
                raise HTTPException(
                    401,
                    "sign in, or send Authorization: Bearer TOKEN",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            raise LoginRequired()
        if role is not None and role not in GRANTS.get(user.role, set()):
            raise HTTPException(403, f"this needs the {role} role; you are {user.role}")
        if request.method not in ("GET", "HEAD") and not by_token:
            await check_csrf(request)
        return user

    return dependency


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response
