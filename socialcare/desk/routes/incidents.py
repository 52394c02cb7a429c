"""Agents: spike alerts (acknowledge, close) and incidents (the cases about one thing), with the
bulk actions a bad day needs: one reply to every open case, resolve all, tag all; merge two
incidents, take a case out. Each case gets its own event, as if handled one by one; a case
another agent holds is skipped and named in the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from route.casebook import clock_refresher
from socialcare.desk.context import Desk, desk
from socialcare.desk.inputs import unicode_text
from socialcare.desk.pages import back, page
from socialcare.desk.security import need
from socialcare.errors import SocialcareError
from socialcare.store import actions, claims
from socialcare.store import incidents as store
from socialcare.store.users import User
from socialcare.stream.schema import utcnow

router = APIRouter()
AGENT = need("agent")
INCIDENT_PAGE_CASES = 200  # cases listed on an incident's page (its bulk actions act on all)
Id = Annotated[str, PathParam(min_length=1, max_length=40)]


# -- bulk actions -----------------------------------------------------------------------------
def _held_by_other(case: dict, user: User) -> bool:
    expires = case["claim_expires"]
    return (
        bool(case["claimed_by"])
        and case["claimed_by"] != user.name
        and expires
        and expires > utcnow()
    )


def _open_cases(d: Desk, incident_id: str, user: User) -> tuple[list[str], list[dict]]:
    """The incident's open cases this agent may act on, and those another agent holds."""
    store.get_incident(d.engine, incident_id)  # 404 if unknown
    ready, skipped = [], []
    for case in store.incident_cases(d.engine, incident_id):
        if case["status"] == "resolved":
            continue
        if _held_by_other(case, user):
            skipped.append({"case_id": case["id"], "claimed_by": case["claimed_by"]})
            continue
        ready.append(case["id"])
    return ready, skipped


def bulk(d: Desk, incident_id: str, action: str, params: dict[str, str], user: User) -> dict:
    if action == "reply":
        ready, skipped = _open_cases(d, incident_id, user)
        done, failed = actions.reply_all(
            d.engine, clock_refresher(d.rules()), ready, user.name, params.get("text", "")
        )
        return {"replied": done, "skipped": skipped, "failed": failed}
    if action == "resolve":
        ready, skipped = _open_cases(d, incident_id, user)
        done, failed = claims.resolve_all(d.engine, ready, user.name, "incident resolved")
        return {"resolved": done, "skipped": skipped, "failed": failed}
    if action == "tag":
        ready, skipped = _open_cases(d, incident_id, user)
        done, failed = actions.tag_all(d.engine, ready, user.name, params.get("tag", ""))
        return {"tagged": done, "skipped": skipped, "failed": failed}
    if action == "close":
        store.close_incident(d.engine, incident_id, user.name)
        return {"closed": incident_id}
    if action == "merge":
        store.merge(d.engine, incident_id, params.get("into", ""), user.name)
        return {"merged_into": params.get("into")}
    if action == "remove-case":
        store.remove_case(d.engine, incident_id, params.get("case_id", ""), user.name)
        return {"removed": params.get("case_id")}
    raise HTTPException(404, f"no action {action!r}")


ACTIONS = "reply|resolve|tag|close|merge|remove-case"


# -- pages ------------------------------------------------------------------------------------
@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(
    request: Request,
    status: str | None = Query(None, pattern="^(open|closed|merged)$"),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    return page(
        request,
        "incidents.html",
        user,
        incidents=store.list_incidents(d.engine, status),
        status=status,
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(
    request: Request,
    incident_id: Id,
    show: str = Query("first", pattern="^(first|all)$"),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    """The incident: why it fired, its volume, the bulk actions and its cases, the first
    `INCIDENT_PAGE_CASES` in the queue's order (`?show=all`: every one)."""
    incident = store.get_incident(d.engine, incident_id)
    others = [
        i
        for i in store.list_incidents(d.engine, "open")
        if i["id"] != incident_id and i["brand"] == incident["brand"]
    ]
    return page(
        request,
        "incident.html",
        user,
        incident=incident,
        cases=store.incident_cases(
            d.engine, incident_id, None if show == "all" else INCIDENT_PAGE_CASES
        ),
        others=others,
    )


@router.post("/incidents/{incident_id}/{action}")
async def incident_action_page(
    request: Request,
    incident_id: Id,
    action: Annotated[str, PathParam(pattern=f"^({ACTIONS})$")],
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    form = await request.form()
    params = {k: v for k, v in form.items() if k != "csrf" and isinstance(v, str)}
    try:
        out = bulk(d, incident_id, action, params, user)
    except SocialcareError as exc:
        return back(request, f"/incidents/{incident_id}", f"Not done: {exc}")
    counts = ", ".join(f"{k} {len(v) if isinstance(v, list) else v}" for k, v in out.items())
    target = (
        f"/incidents/{params.get('into')}" if action == "merge" else f"/incidents/{incident_id}"
    )
    return back(request, target, f"Done: {counts}.")


@router.post("/alerts/{alert_id}/{action}")
async def alert_action_page(
    request: Request,
    alert_id: Id,
    action: Annotated[str, PathParam(pattern="^(ack|close)$")],
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    status = "acknowledged" if action == "ack" else "closed"
    try:
        store.set_alert_status(d.engine, alert_id, status, user.name)
    except SocialcareError as exc:
        return back(request, "/incidents", f"Not done: {exc}")
    return back(request, "/incidents", f"Alert {status}.")


# -- API --------------------------------------------------------------------------------------
@router.get("/api/alerts")
def api_alerts(
    active: bool = Query(False), user: User = Depends(AGENT), d: Desk = Depends(desk)
) -> list[dict]:
    return store.list_alerts(d.engine, active_only=active)


@router.post("/api/alerts/{alert_id}/{action}")
def api_alert_action(
    alert_id: Id,
    action: Annotated[str, PathParam(pattern="^(ack|close)$")],
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
) -> dict:
    return store.set_alert_status(
        d.engine, alert_id, "acknowledged" if action == "ack" else "closed", user.name
    )


@router.get("/api/incidents")
def api_incidents(
    status: str | None = Query(None, pattern="^(open|closed|merged)$"),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
) -> list[dict]:
    return store.list_incidents(d.engine, status)


@router.get("/api/incidents/{incident_id}")
def api_incident(incident_id: Id, user: User = Depends(AGENT), d: Desk = Depends(desk)) -> dict:
    return store.get_incident(d.engine, incident_id)


@router.post("/api/incidents/{incident_id}/{action}")
def api_incident_action(
    incident_id: Id,
    action: Annotated[str, PathParam(pattern=f"^({ACTIONS})$")],
    body: dict = Body(default={}),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
) -> dict:
    if not isinstance(body, dict):
        raise HTTPException(422, "send a JSON object")
    params = {k: unicode_text(v) for k, v in body.items() if isinstance(v, str)}
    return {"ok": True, **bulk(d, incident_id, action, params, user)}
