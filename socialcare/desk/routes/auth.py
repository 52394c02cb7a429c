"""Signing in and out, throttled; the API description for signed-in users."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from socialcare.desk.context import Desk, desk
from socialcare.desk.pages import back, page
from socialcare.desk.security import GRANTS, check_csrf, need
from socialcare.store.sessions import Throttle, close_session, open_session
from socialcare.store.users import User, authenticate
from socialcare.stream.schema import utcnow

router = APIRouter()
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz() -> dict:
    return {"ok": True}


@router.get("/openapi.json")
def openapi(request: Request, user: User = Depends(need(None))) -> dict:
    """The API description, for signed-in users (and tokens); /docs and /redoc are off."""
    return request.app.openapi()


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = Query("/", max_length=200)):
    return page(request, "login.html", None, next=next if next.startswith("/") else "/")


def _throttle(d: Desk) -> Throttle:
    s = d.settings
    return Throttle(
        d.engine, s.desk_login_max_failures, timedelta(minutes=s.desk_login_lockout_minutes)
    )


def _too_many(request: Request, until, next_url: str) -> HTMLResponse:
    wait = max(1, math.ceil((until - utcnow()).total_seconds()))
    minutes = max(1, math.ceil(wait / 60))
    response = page(
        request,
        "login.html",
        None,
        next=next_url,
        error=f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
    )
    response.status_code = 429
    response.headers["Retry-After"] = str(wait)
    return response


@router.post("/login")
async def login(
    request: Request,
    name: str = Form(..., max_length=64),
    password: str = Form(..., max_length=1024),
    next: str = Form("/"),
    d: Desk = Depends(desk),
):
    await check_csrf(request)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    address = request.client.host if request.client else "unknown"
    throttle = _throttle(d)
    keys = {f"user:{name.lower()}": throttle.limit, f"addr:{address}": throttle.limit * 4}
    locked = throttle.locked_until(list(keys))
    if locked is not None:
        log.warning("sign-in refused for %r from %s: locked until %s", name, address, locked)
        return _too_many(request, locked, target)
    user = authenticate(d.engine, name, password)
    if user is None:
        locked = throttle.failed(keys)
        if locked is not None:
            return _too_many(request, locked, target)
        return back(request, "/login", "Wrong name or password.")
    throttle.succeeded(f"user:{name.lower()}")
    request.session.clear()
    hours = timedelta(hours=d.settings.desk_session_hours)
    request.session["sid"] = open_session(d.engine, user.name, hours)
    if target == "/" and "agent" not in GRANTS[user.role]:
        target = "/reports"
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request, user: User = Depends(need(None)), d: Desk = Depends(desk)):
    sid = request.session.get("sid")
    if isinstance(sid, str):
        close_session(d.engine, sid)  # an old copy of the cookie is refused from now on
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
