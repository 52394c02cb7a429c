"""Admins: desk users."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from socialcare.desk.context import Desk, desk
from socialcare.desk.pages import back, page
from socialcare.desk.security import need
from socialcare.store.users import ROLES, User, UserError, add_user, list_users

router = APIRouter()
ADMIN = need("admin")


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


@router.get("/api/users")
def api_users(user: User = Depends(ADMIN), d: Desk = Depends(desk)) -> list[dict]:
    return list_users(d.engine)
