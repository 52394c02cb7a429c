"""Admins: the saved replies and macros editor (validate, publish, history, rollback), versioned
like the rules (route/publishing.py), and its API."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse

from route.publishing import publish_text, rollback_text
from route.saved_replies import VARIABLES, SavedReplies, SavedRepliesError, parse
from socialcare.desk.context import Desk, desk, just_published
from socialcare.desk.inputs import unicode_text
from socialcare.desk.pages import back, page
from socialcare.desk.security import need
from socialcare.errors import SocialcareError
from socialcare.store.saved_replies import SAVED_REPLIES
from socialcare.store.users import User

router = APIRouter()
ADMIN = need("admin")
MAX_BYTES = 1 << 20
FILENAME = "saved_replies.yaml"


def _check(text: str) -> SavedReplies:
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise SavedRepliesError([f"{FILENAME}:1: larger than {MAX_BYTES} bytes"])
    return parse(text, FILENAME)


def _editor(
    request: Request,
    user: User,
    d: Desk,
    text: str | None = None,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    current = d.saved_replies()
    response = page(
        request,
        "saved_replies.html",
        user,
        text=text or current.source,
        version=current.version,
        variables=VARIABLES,
        history=list(reversed(SAVED_REPLIES.history(d.engine))),
        problems=problems or [],
    )
    response.status_code = status_code
    return response


@router.get("/admin/saved-replies", response_class=HTMLResponse)
def saved_replies_page(request: Request, user: User = Depends(ADMIN), d: Desk = Depends(desk)):
    return _editor(request, user, d)


@router.post("/admin/saved-replies")
async def saved_replies_submit(
    request: Request,
    text: str = Form(..., max_length=MAX_BYTES),
    action: str = Form(...),
    message: str = Form("", max_length=1000),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
):
    text = text.replace("\r\n", "\n")
    try:
        proposed = _check(text)
    except SavedRepliesError as exc:
        request.session["flash"] = "The saved replies have problems; nothing was published."
        return _editor(request, user, d, text, problems=exc.problems[:50], status_code=422)
    if action == "publish":
        if not message.strip():
            request.session["flash"] = "Say why in the message to publish."
            return _editor(request, user, d, text, status_code=422)
        publish_text(d.engine, SAVED_REPLIES, parse, text, user.name, message.strip(), FILENAME)
        just_published(d.saved_replies)
        return back(request, "/admin/saved-replies", f"Published version {proposed.version}.")
    request.session["flash"] = (
        f"Valid: version {proposed.version}, {len(proposed.templates)} saved replies, "
        f"{len(proposed.macros)} macros."
    )
    return _editor(request, user, d, text)


@router.post("/admin/saved-replies/rollback")
async def saved_replies_rollback(
    request: Request,
    version: str = Form(..., max_length=64),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
):
    try:
        rollback_text(d.engine, SAVED_REPLIES, parse, version, user.name)
        just_published(d.saved_replies)
    except SocialcareError as exc:
        return back(request, "/admin/saved-replies", str(exc))
    return back(request, "/admin/saved-replies", f"Version {version} is in force again.")


@router.get("/api/saved-replies")
def api_saved_replies(user: User = Depends(need("agent")), d: Desk = Depends(desk)) -> dict:
    current = d.saved_replies()
    return {
        "version": current.version,
        "templates": [t.model_dump() for t in current.templates.values()],
        "macros": [m.model_dump(exclude_none=True) for m in current.macros.values()],
    }


@router.post("/api/saved-replies/publish")
def api_saved_replies_publish(
    body: dict = Body(...), user: User = Depends(ADMIN), d: Desk = Depends(desk)
):
    """Validate and publish; 422 with every problem as `FILE:LINE: message`."""
    message = unicode_text(str(body.get("message", ""))).strip()
    if not message:
        raise HTTPException(422, "a message saying why is required")
    try:
        saved = _check(unicode_text(str(body.get("text", ""))))
    except SavedRepliesError as exc:
        return JSONResponse({"ok": False, "problems": exc.problems}, status_code=422)
    publish_text(d.engine, SAVED_REPLIES, parse, saved.source, user.name, message, FILENAME)
    just_published(d.saved_replies)
    return {"ok": True, "version": saved.version}
