"""Admins: the rules editor (validate, replay preview, publish, history, rollback) and its API."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse

from route.publishing import publish, rollback
from route.rule_replay import replay
from route.rules import RuleFileError, RuleSet, parse_rules
from socialcare.desk.context import Desk, desk, just_published
from socialcare.desk.inputs import unicode_text
from socialcare.desk.pages import back, page
from socialcare.desk.security import need
from socialcare.errors import SocialcareError
from socialcare.store import rulesets
from socialcare.store.users import User

router = APIRouter()
ADMIN = need("admin")
MAX_RULES_BYTES = 1 << 20


def _check_text(text: str) -> RuleSet:
    if len(text.encode("utf-8", "replace")) > MAX_RULES_BYTES:
        raise RuleFileError([f"<desk>:1: rule file larger than {MAX_RULES_BYTES} bytes"])
    return parse_rules(text, "rules.yaml")


def _editor(
    request: Request,
    user: User,
    d: Desk,
    text: str | None = None,
    problems: list[str] | None = None,
    preview: dict | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The rules editor, with a draft, its problems or a replay preview shown in place (kept
    out of the session cookie, which a preview of many cases would overflow)."""
    current = d.rules()
    response = page(
        request,
        "rules.html",
        user,
        text=text or current.source,
        version=current.version,
        history=list(reversed(rulesets.history(d.engine))),
        problems=problems or [],
        preview=preview,
    )
    response.status_code = status_code
    return response


@router.get("/admin/rules", response_class=HTMLResponse)
def rules_page(request: Request, user: User = Depends(ADMIN), d: Desk = Depends(desk)):
    return _editor(request, user, d)


@router.post("/admin/rules")
async def rules_submit(
    request: Request,
    text: str = Form(..., max_length=MAX_RULES_BYTES),
    action: str = Form(...),
    message: str = Form("", max_length=1000),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
):
    text = text.replace("\r\n", "\n")
    try:
        proposed = _check_text(text)
    except RuleFileError as exc:
        request.session["flash"] = "The rules have problems; nothing was published."
        return _editor(request, user, d, text, problems=exc.problems[:50], status_code=422)
    if action == "publish":
        if not message.strip():
            request.session["flash"] = "Say why in the message to publish."
            return _editor(request, user, d, text, status_code=422)
        publish(d.engine, text, user.name, message.strip())
        just_published(d.rules)
        return back(request, "/admin/rules", f"Published version {proposed.version}.")
    if action == "preview":
        request.session["flash"] = "Replay preview below; nothing was changed."
        report = replay(d.engine, d.rules(), proposed, examples=10)
        return _editor(request, user, d, text, preview=report)
    request.session["flash"] = f"Valid: version {proposed.version}."
    return _editor(request, user, d, text)


@router.post("/admin/rules/rollback")
async def rules_rollback(
    request: Request,
    version: str = Form(..., max_length=64),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
):
    try:
        rollback(d.engine, version, user.name)
        just_published(d.rules)
    except SocialcareError as exc:
        return back(request, "/admin/rules", str(exc))
    return back(request, "/admin/rules", f"Version {version} is in force again.")


@router.get("/api/rules")
def api_rules(user: User = Depends(ADMIN), d: Desk = Depends(desk)) -> dict:
    current = d.rules()
    return {"version": current.version, "text": current.source}


@router.post("/api/rules/validate")
def api_rules_validate(body: dict = Body(...), user: User = Depends(ADMIN)):
    """200 with the version if valid, else 422 with every problem as `FILE:LINE: message`."""
    try:
        rs = _check_text(unicode_text(str(body.get("text", ""))))
    except RuleFileError as exc:
        return JSONResponse({"ok": False, "problems": exc.problems}, status_code=422)
    return {"ok": True, "version": rs.version}


@router.post("/api/rules/publish")
def api_rules_publish(
    body: dict = Body(...), user: User = Depends(ADMIN), d: Desk = Depends(desk)
) -> dict:
    message = unicode_text(str(body.get("message", ""))).strip()
    if not message:
        raise HTTPException(422, "a message saying why is required")
    try:
        rs = publish(d.engine, unicode_text(str(body.get("text", ""))), user.name, message)
    except RuleFileError as exc:
        raise HTTPException(422, {"problems": exc.problems}) from None
    just_published(d.rules)
    return {"ok": True, "version": rs.version}


@router.get("/api/rules/history")
def api_rules_history(user: User = Depends(ADMIN), d: Desk = Depends(desk)) -> list[dict]:
    return rulesets.history(d.engine)
