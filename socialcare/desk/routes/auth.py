"""Signing in and out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from socialcare.desk.context import Desk, desk
from socialcare.desk.pages import back, page
from socialcare.desk.security import GRANTS, check_csrf, need
from socialcare.store.users import User, authenticate

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict:
    return {"ok": True}


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = Query("/", max_length=200)):
    return page(request, "login.html", None, next=next if next.startswith("/") else "/")


@router.post("/login")
async def login(
    request: Request,
    name: str = Form(..., max_length=64),
    password: str = Form(..., max_length=1024),
    next: str = Form("/"),
    d: Desk = Depends(desk),
):
    await check_csrf(request)
    user = authenticate(d.engine, name, password)
    if user is None:
        return back(request, "/login", "Wrong name or password.")
    request.session.clear()
    request.session["user"] = user.name
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    if target == "/" and "agent" not in GRANTS[user.role]:
        target = "/reports"
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request, user: User = Depends(need(None))):
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
