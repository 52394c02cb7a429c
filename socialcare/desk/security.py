"""Who is asking, and may they: sessions (login form) or API tokens (Authorization: Bearer),
roles on every route, CSRF on every session-authenticated POST, and security headers."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from socialcare.store.sessions import session_user
from socialcare.store.users import User, get_user, seen, user_for_token

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
    """(user, by_token). Token requests carry no cookies, so they need no CSRF check. A
    session counts only while its row lives in the store (signing out, disabling the user or a
    new password end it at once), and only for a user who is not disabled."""
    engine: Engine = request.app.state.desk.engine
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return user_for_token(engine, auth[7:].strip()), True
    sid = request.session.get("sid")
    name = session_user(engine, sid) if isinstance(sid, str) else None
    return (get_user(engine, name) if name else None), False


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
        # the store lookups run on a worker thread: on PostgreSQL a lookup waits on the
        # network (and on a pooled connection), which must never stall the event loop
        user, by_token = await run_in_threadpool(principal, request)
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
        if _seen_due(user.name):
            await run_in_threadpool(seen, request.app.state.desk.engine, user.name)
        return user

    return dependency


_SEEN: dict[str, float] = {}  # a write-saving cache only: the store holds the truth
SEEN_EVERY_S = 30.0


def _seen_due(name: str) -> bool:
    """Whether to record that the user's desk is in use (an idle desk turns away): at most
    every 30 s per user and process."""
    now = time.monotonic()
    if now - _SEEN.get(name, -SEEN_EVERY_S) >= SEEN_EVERY_S:
        _SEEN[name] = now
        return True
    return False


SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class Guard:
    """The outermost layer of the desk (outside FastAPI's own error handling, so a 500 is
    covered too): every response carries the security headers, and a request body larger than
    `max_body` is refused with 413 before it is read into memory (by its Content-Length, or
    while it streams in: at most `max_body` bytes are ever held)."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in SECURITY_HEADERS if k not in names),
                ]
            await send(message)

        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await self._too_large(send_with_headers)
            return
        if scope.get("method") in ("POST", "PUT", "PATCH"):
            body, more = b"", True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > self.max_body:
                    await self._too_large(send_with_headers)
                    return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    async def _too_large(self, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body larger than {self.max_body} bytes"}, status_code=413
        )
        await response({"type": "http"}, _nothing, send)


async def _nothing() -> Message:  # pragma: no cover - a response never reads the request
    return {"type": "http.disconnect"}
