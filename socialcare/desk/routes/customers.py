"""Agents: the customer profile (store/customers.py): their cases, first seen, sentiment over
time, notes about them, and identities on other networks an agent linked by hand."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from socialcare.desk.context import Desk, desk
from socialcare.desk.inputs import unicode_text
from socialcare.desk.pages import back, page
from socialcare.desk.security import need
from socialcare.errors import InputError, SocialcareError
from socialcare.store import customers
from socialcare.store.users import User
from socialcare.stream.schema import utcnow

router = APIRouter()
AGENT = need("agent")
Network = Annotated[str, PathParam(pattern=r"^[a-z0-9_-]{1,32}$")]
AuthorId = Annotated[str, PathParam(min_length=1, max_length=128)]


def _url(network: str, author_id: str) -> str:
    return f"/customers/{quote(network, safe='')}/{quote(author_id, safe='')}"


def _identity(value: str) -> tuple[str, str]:
    """`network:author_id`, as the link form and API take the other identity."""
    network, sep, author_id = value.strip().partition(":")
    if not sep or not network or not author_id or len(author_id) > 128:
        raise InputError("name the other identity as network:author_id, e.g. mastodon:10923")
    return network.lower(), author_id


@router.get("/customers/{network}/{author_id}", response_class=HTMLResponse)
def customer_page(
    request: Request,
    network: Network,
    author_id: AuthorId,
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    return page(
        request,
        "customer.html",
        user,
        profile=customers.profile(d.engine, network, author_id),
        self_url=_url(network, author_id),
    )


@router.post("/customers/{network}/{author_id}/{what}")
async def customer_form(
    request: Request,
    network: Network,
    author_id: AuthorId,
    what: str,
    text: str = Form("", max_length=5000),
    other: str = Form("", max_length=200),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    here = _url(network, author_id)
    try:
        message = _change(d, network, author_id, what, text, other, user)
    except SocialcareError as exc:
        return back(request, here, f"Not done: {exc}")
    return back(request, here, message)


def _change(
    d: Desk, network: str, author_id: str, what: str, text: str, other: str, user: User
) -> str:
    if what == "note":
        customers.profile(d.engine, network, author_id)  # 404 for a customer never seen
        customers.add_note(d.engine, network, author_id, user.name, text, utcnow())
        return "Note about the customer added."
    if what == "link":
        customers.link(d.engine, (network, author_id), _identity(other), user.name, utcnow())
        return "Linked; the link is in the case history with your name."
    raise InputError("a customer takes a note or a link")


@router.get("/api/customers/{network}/{author_id}")
def api_customer(
    network: Network, author_id: AuthorId, user: User = Depends(AGENT), d: Desk = Depends(desk)
) -> dict:
    return customers.profile(d.engine, network, author_id)


@router.post("/api/customers/{network}/{author_id}/{what}")
def api_customer_change(
    network: Network,
    author_id: AuthorId,
    what: str,
    body: dict = Body(...),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
) -> dict:
    """`note` {"text": …} or `link` {"other": "network:author_id"}."""
    if not isinstance(body, dict):
        raise InputError("send a JSON object")
    text = unicode_text(str(body.get("text", "")))
    other = unicode_text(str(body.get("other", "")))
    return {"ok": True, "message": _change(d, network, author_id, what, text, other, user)}
