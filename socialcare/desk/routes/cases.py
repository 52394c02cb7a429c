"""Agents: the queue view and case pages, and the same actions in the JSON API."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Body, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from route import macros
from route.casebook import clock_refresher
from route.saved_replies import fill, values_for
from socialcare.desk import live
from socialcare.desk.context import Desk, desk
from socialcare.desk.inputs import CaseId, parse_time, unicode_text
from socialcare.desk.pages import back, held_back, page
from socialcare.desk.render import json_bytes, json_with_etag
from socialcare.desk.security import need
from socialcare.errors import InputError, NotFoundError, SocialcareError
from socialcare.store import actions, claims
from socialcare.store.assignment import change_presence
from socialcare.store.cases import (
    case_exists,
    get_case,
    incident_lines,
    list_cases,
    queue_summary,
)
from socialcare.store.collisions import StaleCase, viewers, viewing
from socialcare.store.corrections import CORRECTABLE
from socialcare.store.users import User, list_users
from socialcare.stream.reply_length import LIMITS
from socialcare.stream.schema import utcnow

router = APIRouter()
AGENT = need("agent")
# the case page shows the opening post and this many of the latest posts and events
CASE_PAGE_LATEST = 100

# -- case actions: one function each, found by name ------------------------------------------
Action = Callable[[Desk, str, dict[str, str], User], str]
ACTIONS: dict[str, Action] = {}


def action(name: str) -> Callable[[Action], Action]:
    def register(f: Action) -> Action:
        ACTIONS[name] = f
        return f

    return register


@action("claim")
def _claim(d: Desk, case_id: str, params: dict[str, str], user: User) -> str:
    claims.claim(d.engine, case_id, user.name)
    return "Claimed for 15 minutes; replying renews it."


@action("release")
def _release(d: Desk, case_id: str, params: dict[str, str], user: User) -> str:
    claims.release(d.engine, case_id, user.name)
    return "Released back to the queue."


def _seen(params: dict[str, str]) -> int | None:
    """The case version the agent's page showed (the collision guard), if it sent one."""
    raw = params.get("version", "")
    if raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise InputError("version is the number GET /api/cases/ID returned")
    return int(raw)


@action("reply")
def _reply(d: Desk, case_id: str, params: dict[str, str], user: User) -> str:
    refresh = clock_refresher(d.rules())
    actions.reply(d.engine, refresh, case_id, user.name, params.get("text", ""), seen=_seen(params))
    if d.settings.live_replies:
        return "Reply recorded and queued; it is posted on the network within seconds."
    return (
        "Reply recorded and queued (dry run: nothing is posted to the network until an admin "
        "sets SOCIALCARE_REPLIES=live)."
    )


@action("note")
def _note(d: Desk, case_id: str, params: dict[str, str], user: User) -> str:
    actions.note(d.engine, case_id, user.name, params.get("text", ""), seen=_seen(params))
    return "Note added."


@action("resolve")
def _resolve(d: Desk, case_id: str, params: dict[str, str], user: User) -> str:
    claims.resolve(d.engine, case_id, user.name, params.get("note", "")[:2000], seen=_seen(params))
    return "Resolved."


@action("reopen")
def _reopen(d: Desk, case_id: str, params: dict[str, str], user: User) -> str:
    actions.reopen(d.engine, clock_refresher(d.rules()), case_id, user.name)
    return "Reopened."


@action("snooze")
def _snooze(d: Desk, case_id: str, params: dict[str, str], user: User) -> str:
    until = parse_time(params.get("until", ""))
    actions.snooze(d.engine, case_id, user.name, until)
    return f"Snoozed until {until:%Y-%m-%d %H:%M} UTC."


@action("reassign")
def _reassign(d: Desk, case_id: str, params: dict[str, str], user: User) -> str:
    actions.reassign(d.engine, case_id, user.name, params.get("to", ""))
    return f"Reassigned to {params.get('to')}."


@action("correct")
def _correct(d: Desk, case_id: str, params: dict[str, str], user: User) -> str:
    actions.correct(d.engine, case_id, user.name, params.get("field", ""), params.get("value", ""))
    return "Tag corrected; kept as a training example."


@action("macro")
def _macro(d: Desk, case_id: str, params: dict[str, str], user: User) -> str:
    case = get_case(d.engine, case_id)
    if case is None:
        raise NotFoundError(f"no case {case_id!r}")
    name = params.get("macro", "")
    done = macros.run(
        d.engine,
        clock_refresher(d.rules()),
        d.saved_replies(),
        name,
        case,
        user.name,
        utcnow(),
        seen=_seen(params),
    )
    return f"Macro {name}: " + ", ".join(done) + "."


CASE_ACTIONS = tuple(ACTIONS)
# after a page action, these go back to the queue; the others stay on the case
_BACK_TO_QUEUE = {"resolve", "snooze", "release", "reassign", "macro"}


def do_action(d: Desk, case_id: str, name: str, params: dict[str, str], user: User) -> str:
    if name not in ACTIONS:
        raise HTTPException(404, f"no action {name!r}; actions: {', '.join(CASE_ACTIONS)}")
    return ACTIONS[name](d, case_id, params, user)


# -- pages ------------------------------------------------------------------------------------
QUEUE_PAGE = 100


@router.get("/", response_class=HTMLResponse)
def queues_page(
    request: Request,
    queue: str | None = Query(None, max_length=64),
    page_no: int = Query(1, alias="page", ge=1, le=10_000),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    """The queue, `QUEUE_PAGE` cases a page in the queue's stable order: a backlog of
    thousands during an incident stays quick to draw and to refresh. The cases of each
    incident are one line at the top of the first page (answered at once from the incident)."""
    rows = list_cases(
        d.engine,
        queue,
        "unresolved",
        QUEUE_PAGE + 1,
        hide_snoozed=True,
        offset=(page_no - 1) * QUEUE_PAGE,
        fold_incidents=True,
    )
    folded = incident_lines(d.engine, queue) if page_no == 1 else []
    return page(
        request,
        "queues.html",
        user,
        queues=queue_summary(d.engine),
        cases=folded + rows[:QUEUE_PAGE],
        queue=queue,
        page_no=page_no,
        page_size=QUEUE_PAGE,
        first=(page_no - 1) * QUEUE_PAGE + 1,
        shown=min(len(rows), QUEUE_PAGE),
        has_next=len(rows) > QUEUE_PAGE,
        live=True,
    )


def saved_replies_for(d: Desk, case: dict, agent: str) -> list[dict[str, str]]:
    """The saved replies offered for a case, each filled in for it."""
    values = values_for(case, agent)
    return [
        {"id": t.id, "template": t.text, "text": fill(t.text, values)}
        for t in d.saved_replies().offered(case)
    ]


def _case_view(
    request: Request,
    d: Desk,
    user: User,
    case_id: str,
    draft: dict[str, str] | None = None,
    stale: dict | None = None,
    show_all: bool = False,
) -> HTMLResponse:
    case = get_case(d.engine, case_id, None if show_all else CASE_PAGE_LATEST)
    if case is None:
        raise HTTPException(404, "no such case")
    agents = [
        u["name"]
        for u in list_users(d.engine)
        if u["role"] in ("agent", "admin") and not u["disabled"]
    ]
    response = page(
        request,
        "case.html",
        user,
        case=case,
        watch_case=case["id"],
        agents=agents,
        corrections=CORRECTABLE,
        saved_replies=saved_replies_for(d, case, user.name),
        macros=list(d.saved_replies().macros.values()),
        viewers=viewing(d.engine, case_id, user.name, utcnow()),
        reply_limit=LIMITS.get(case["network"], actions.MAX_TEXT),
        draft=draft or {},
        stale=stale,
    )
    if stale:
        response.status_code = 409
    return response


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: CaseId,
    show: str = Query("latest", pattern="^(latest|all)$"),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    """The case: its opening post and latest posts and events, `CASE_PAGE_LATEST` of each
    (`?show=all`: every one)."""
    return _case_view(request, d, user, case_id, show_all=show == "all")


@router.post("/cases/next")
async def claim_next_page(
    request: Request, queue: str = Form(""), user: User = Depends(AGENT), d: Desk = Depends(desk)
):
    case_id = claims.claim_next(d.engine, user.name, queue or None)
    if case_id is None:
        return back(request, "/", "Nothing to claim right now.")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/{name}")
async def case_action_page(
    request: Request,
    case_id: CaseId,
    name: str,
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    form = await request.form()
    params = {k: v for k, v in form.items() if k != "csrf" and isinstance(v, str)}
    try:
        message = do_action(d, case_id, name, params, user)
    except StaleCase as exc:
        # show the case as it is now, what changed, and the agent's draft to send again
        request.session["flash"] = f"Not sent: {exc}"
        return _case_view(
            request, d, user, case_id, draft={name: params.get("text", "")}, stale=exc.details
        )
    except SocialcareError as exc:
        return back(request, f"/cases/{case_id}", f"Not done: {exc}")
    if params.get("back") == "review":  # a label given on the Review page: next one there
        return back(request, "/review", message)
    return back(request, "/" if name in _BACK_TO_QUEUE else f"/cases/{case_id}", message)


# -- API --------------------------------------------------------------------------------------
@router.get("/api/queues")
def api_queues(user: User = Depends(AGENT), d: Desk = Depends(desk)) -> list[dict]:
    return queue_summary(d.engine)


@router.get("/api/sla-hold")
def api_sla_hold(request: Request, user: User = Depends(AGENT)) -> list[dict]:
    """The sources holding SLA decisions back, as the banner shows them."""
    return held_back(request)


@router.get("/api/cases")
def api_cases(
    request: Request,
    queue: str | None = Query(None, max_length=64),
    status: str | None = Query(None, pattern="^(open|claimed|resolved)$"),
    limit: int = Query(200, ge=1, le=5000),
    offset: int = Query(0, ge=0, le=1_000_000),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
) -> Response:
    """Cases in the queue's order, `limit` from `offset`. The body is JSON bytes (no per-field
    encoder pass) with an ETag: a client that sends it back in If-None-Match gets 304 and no
    body while nothing in its page changed."""
    body, tag = request.app.state.lists.get(
        (queue, status, limit, offset),
        lambda: json_bytes(
            list_cases(d.engine, queue, status, limit, with_posts=True, offset=offset)
        ),
    )
    return json_with_etag(request, body, tag)


@router.get("/api/stream")
async def api_stream(
    request: Request,
    after: int | None = Query(None, ge=0),
    user: User = Depends(AGENT),
) -> StreamingResponse:
    """Server-sent events: `changes` with the ids of the cases changed since `after` (or the
    Last-Event-ID a reconnecting browser sends), as they happen (socialcare/desk/live.py)."""
    resume = request.headers.get("last-event-id", "")
    if after is None and resume.isdigit():
        after = int(resume)
    return StreamingResponse(
        live.stream(request.app.state.feed, after, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/api/cases/{case_id}")
def api_case(
    case_id: CaseId,
    latest: int | None = Query(None, ge=1, le=10_000),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
) -> dict:
    """The case with its posts, events, `version` (send it back with a reply, note or resolve
    to be told if the case changed meanwhile) and who else is viewing it now. With `latest`:
    the opening post and the latest posts and events, that many of each; `posts_hidden` and
    `events_hidden` count the rest."""
    case = get_case(d.engine, case_id, latest)
    if case is None:
        raise HTTPException(404, f"no case {case_id!r}")
    with d.engine.connect() as conn:
        case["viewers"] = viewers(conn, case_id, utcnow(), excluding=user.name)
    return case


@router.get("/api/cases/{case_id}/saved-replies")
def api_case_saved_replies(
    case_id: CaseId, user: User = Depends(AGENT), d: Desk = Depends(desk)
) -> list[dict]:
    """The saved replies offered for the case, filled in for it (edit, then reply)."""
    case = get_case(d.engine, case_id)
    if case is None:
        raise HTTPException(404, f"no case {case_id!r}")
    return saved_replies_for(d, case, user.name)


@router.post("/api/cases/{case_id}/viewing")
def api_case_viewing(case_id: CaseId, user: User = Depends(AGENT), d: Desk = Depends(desk)):
    """Say you have the case open (the case page does every 20 s); returns who else has."""
    if not case_exists(d.engine, case_id):
        raise HTTPException(404, f"no case {case_id!r}")
    return {"viewers": viewing(d.engine, case_id, user.name, utcnow())}


@router.post("/api/cases/{case_id}/macro/{macro}")
def api_case_macro(
    case_id: CaseId,
    macro: str,
    body: dict = Body(default={}),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
) -> dict:
    """Run a macro: each of its steps is recorded as its own event."""
    if not isinstance(body, dict):
        raise HTTPException(422, "send a JSON object")
    version = body.get("version")
    params = {"version": "" if version is None else str(version)}
    params["macro"] = unicode_text(macro)[:64]
    return {"ok": True, "message": do_action(d, case_id, "macro", params, user)}


@router.post("/api/claim-next")
def api_claim_next(
    body: dict = Body(default={}), user: User = Depends(AGENT), d: Desk = Depends(desk)
) -> dict:
    queue = body.get("queue") if isinstance(body, dict) else None
    queue = unicode_text(queue)[:64] if isinstance(queue, str) else None
    return {"case_id": claims.claim_next(d.engine, user.name, queue)}


@router.post("/api/cases/{case_id}/{name}")
def api_case_action(
    case_id: CaseId,
    name: str,
    body: dict = Body(default={}),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
) -> dict:
    if not isinstance(body, dict):
        raise HTTPException(422, "send a JSON object")
    params = {k: unicode_text(v) for k, v in body.items() if isinstance(v, str)}
    if isinstance(body.get("version"), int) and not isinstance(body["version"], bool):
        params["version"] = str(body["version"])
    message = do_action(d, unicode_text(case_id), name, params, user)
    return {"ok": True, "message": message}


# -- presence ---------------------------------------------------------------------------------
@router.post("/api/presence")
def api_presence(
    body: dict = Body(...), user: User = Depends(AGENT), d: Desk = Depends(desk)
) -> dict:
    """Set your presence: online (cases are given to you), away (none new), offline (the cases
    you have not touched go back to the queue)."""
    status = body.get("status") if isinstance(body, dict) else None
    back_to_queue = change_presence(d.engine, user.name, str(status), utcnow())
    return {"status": status, "handed_back": back_to_queue}


@router.post("/presence")
async def presence_page(
    request: Request,
    status: str = Form(..., pattern="^(online|away|offline)$"),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    back_to_queue = change_presence(d.engine, user.name, status, utcnow())
    note = f" {len(back_to_queue)} untouched cases went back to the queue." if back_to_queue else ""
    return back(request, request.headers.get("x-return-to", "/"), f"You are {status}.{note}")
