"""Admins: desk users. Add, change role, disable (ends every session and stops the user's tokens
at once) and enable again; the same in the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from socialcare.desk.context import Desk, desk
from socialcare.desk.pages import back, page
from socialcare.desk.security import need
from socialcare.errors import SocialcareError
from socialcare.store.users import (
    ROLES,
    User,
    UserError,
    add_user,
    disable_user,
    enable_user,
    list_users,
    set_agent,
    set_role,
)

router = APIRouter()
ADMIN = need("admin")
UserName = Annotated[str, PathParam(min_length=1, max_length=64)]


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: User = Depends(ADMIN), d: Desk = Depends(desk)):
    return page(request, "users.html", user, users=list_users(d.engine), roles=ROLES)


@router.post("/admin/users")
async def users_add(
    request: Request,
    name: str = Form(..., max_length=64),
    role: str = Form(...),
    password: str = Form(..., max_length=1024),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
):
    try:
        add_user(d.engine, name, role, password)
    except UserError as exc:
        return back(request, "/admin/users", f"Not added: {exc}")
    return back(request, "/admin/users", f"Added {name} as {role}.")


def _change(d: Desk, admin: User, name: str, change: str, role: str | None) -> str:
    if name == admin.name and change in ("disable", "role"):
        raise UserError("you cannot disable yourself or change your own role; ask another admin")
    actions: dict[str, Callable[[], None]] = {
        "disable": lambda: disable_user(d.engine, name),
        "enable": lambda: enable_user(d.engine, name),
        "role": lambda: set_role(d.engine, name, role or ""),
    }
    actions[change]()
    return {
        "disable": f"{name} is disabled: their sessions and API tokens stopped working.",
        "enable": f"{name} can sign in again.",
        "role": f"{name} is now {role}.",
    }[change]


@router.post("/admin/users/{user_name}/{change}")
async def users_change_page(
    request: Request,
    user_name: UserName,
    change: Annotated[str, PathParam(pattern="^(disable|enable|role)$")],
    role: str = Form(""),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
):
    try:
        message = _change(d, user, user_name, change, role)
    except SocialcareError as exc:
        return back(request, "/admin/users", f"Not done: {exc}")
    return back(request, "/admin/users", message)


@router.post("/admin/users/{user_name}/agent")
async def users_agent_page(
    request: Request,
    user_name: UserName,
    capacity: int = Form(..., ge=0, le=1000),
    skills: str = Form("", max_length=500),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
):
    try:
        set_agent(d.engine, user_name, capacity, skills)
    except SocialcareError as exc:
        return back(request, "/admin/users", f"Not done: {exc}")
    return back(
        request, "/admin/users", f"{user_name}: capacity {capacity}, skills {skills or 'none'}."
    )


@router.get("/api/users")
def api_users(user: User = Depends(ADMIN), d: Desk = Depends(desk)) -> list[dict]:
    return list_users(d.engine)


@router.post("/api/users/{user_name}/agent")
def api_users_agent(
    user_name: UserName,
    body: dict = Body(default={}),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
) -> dict:
    capacity = body.get("capacity") if isinstance(body, dict) else None
    skills = body.get("skills") if isinstance(body, dict) else None
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)):
        raise UserError("capacity is a whole number")
    if skills is not None and not isinstance(skills, str | list):
        raise UserError("skills is a comma-separated text or a list")
    set_agent(d.engine, user_name, capacity, skills)
    return next(u for u in list_users(d.engine) if u["name"] == user_name)


@router.post("/api/users/{user_name}/{change}")
def api_users_change(
    user_name: UserName,
    change: Annotated[str, PathParam(pattern="^(disable|enable|role)$")],
    body: dict = Body(default={}),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
) -> dict:
    role = body.get("role") if isinstance(body, dict) else None
    message = _change(d, user, user_name, change, role if isinstance(role, str) else None)
    return {"ok": True, "message": message}
