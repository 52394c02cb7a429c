"""Admins: the rules editor (validate, replay preview, publish, history, rollback) and its API."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from route.publishing import publish, rollback
from route.rule_replay import replay
from route.rules import RuleFileError, RuleSet, parse_rules
from socialcare.desk.context import Desk, desk
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


@router.get("/admin/rules", response_class=HTMLResponse)
def rules_page(request: Request, user: User = Depends(ADMIN), d: Desk = Depends(desk)):
    current = d.rules()
    return page(
        request,
        "rules.html",
        user,
        text=request.session.pop("draft", None) or current.source,
        version=current.version,
        history=list(reversed(rulesets.history(d.engine))),
        problems=request.session.pop("problems", []),
        preview=request.session.pop("preview", None),
    )


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
        request.session["draft"] = text
        request.session["problems"] = exc.problems[:50]
        return back(request, "/admin/rules", "The rules have problems; nothing was published.")
    if action == "publish":
        if not message.strip():
            request.session["draft"] = text
            return back(request, "/admin/rules", "Say why in the message to publish.")
        publish(d.engine, text, user.name, message.strip())
        return back(request, "/admin/rules", f"Published version {proposed.version}.")
    request.session["draft"] = text
    if action == "preview":
        request.session["preview"] = replay(d.engine, d.rules(), proposed, examples=10)
        return back(request, "/admin/rules", "Replay preview below; nothing was changed.")
    return back(request, "/admin/rules", f"Valid: version {proposed.version}.")


@router.post("/admin/rules/rollback")
async def rules_rollback(
    request: Request,
    version: str = Form(..., max_length=64),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
):
    try:
        rollback(d.engine, version, user.name)
    except SocialcareError as exc:
        return back(request, "/admin/rules", str(exc))
    return back(request, "/admin/rules", f"Version {version} is in force again.")


@router.get("/api/rules")
def api_rules(user: User = Depends(ADMIN), d: Desk = Depends(desk)) -> dict:
    current = d.rules()
    return {"version": current.version, "text": current.source}


@router.post("/api/rules/validate")
def api_rules_validate(body: dict = Body(...), user: User = Depends(ADMIN)) -> dict:
    try:
        rs = _check_text(unicode_text(str(body.get("text", ""))))
    except RuleFileError as exc:
        return {"ok": False, "problems": exc.problems}
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
    return {"ok": True, "version": rs.version}


@router.get("/api/rules/history")
def api_rules_history(user: User = Depends(ADMIN), d: Desk = Depends(desk)) -> list[dict]:
    return rulesets.history(d.engine)
