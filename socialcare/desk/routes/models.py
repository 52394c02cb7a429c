"""Admins: the classifier's versions (figures and confusion matrix of each, who/when/why),
retrain behind the gate, roll back; and the same as an API. The learning loop itself is
classify/learning.py; promoted versions reach every classify worker on their own
(classify/registry.py)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Body, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from classify.learned import TASKS
from classify.registry import rollback
from classify.schedule import TASK_FIELD, pending
from socialcare.desk.context import Desk, desk, just_published
from socialcare.desk.pages import back, page
from socialcare.desk.security import need
from socialcare.errors import SocialcareError
from socialcare.store import models as stored
from socialcare.store.users import User

router = APIRouter()
ADMIN = need("admin")
# one retrain at a time in this process (it takes a core for seconds to a minute)
_RETRAINING = threading.Lock()
DEFAULT_IS = {
    "sentiment": "the untrained default: VADER and the care cues",
    "complaint": "the untrained default: urgency rules and care cues, no complaint model",
    "topic": "the untrained default: the keyword taxonomy",
}


def _retrain(d: Desk, task: str, author: str) -> dict[str, Any]:
    if task not in TASKS:
        raise HTTPException(422, f"task is one of {', '.join(TASKS)}")
    if not _RETRAINING.acquire(blocking=False):
        raise HTTPException(409, "a retrain is already running; try again when it is done")
    try:
        from classify.learning import retrain  # sklearn is imported only when it is needed

        result = retrain(d.engine, task, author)
    finally:
        _RETRAINING.release()
    if result["promoted"]:
        just_published(d.classifier)
    return result


def _summary(d: Desk) -> list[dict[str, Any]]:
    waiting = pending(d.engine)
    out = []
    for task in TASKS:
        row = stored.in_force(d.engine, task)
        out.append(
            {
                "task": task,
                "field": TASK_FIELD[task],
                "version": row.version if row else stored.DEFAULT,
                "author": row.author if row else "",
                "published_at": row.published_at if row else None,
                "message": row.message if row else DEFAULT_IS[task],
                "evaluation": (row.meta if row else {}).get("evaluation", {}),
                "new_corrections": waiting[task][1],
                "last_attempt": next(iter(stored.attempts(d.engine, task, 1)), None),
            }
        )
    return out


@router.get("/admin/models", response_class=HTMLResponse)
def models_page(request: Request, user: User = Depends(ADMIN), d: Desk = Depends(desk)):
    return page(
        request,
        "models.html",
        user,
        tasks=_summary(d),
        history=list(reversed(stored.history(d.engine))),
        every=d.settings.retrain_every,
    )


@router.post("/admin/models/retrain")
def models_retrain_page(
    request: Request,
    task: str = Form(..., max_length=32),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
):
    result = _retrain(d, task, user.name)
    if result["promoted"]:
        message = (
            f"Promoted {result['version']}: macro-F1 {result['macro_f1']} against "
            f"{result['current_macro_f1']} in force."
        )
    else:
        message = f"Not promoted: {result['reason']}"
    return back(request, "/admin/models", message)


@router.post("/admin/models/rollback")
def models_rollback_page(
    request: Request,
    task: str = Form(..., max_length=32),
    version: str = Form(..., max_length=64),
    user: User = Depends(ADMIN),
    d: Desk = Depends(desk),
):
    try:
        rollback(d.engine, task, version, user.name)
    except SocialcareError as exc:
        return back(request, "/admin/models", f"Not rolled back: {exc}")
    just_published(d.classifier)
    return back(request, "/admin/models", f"{task}: version {version} is in force again.")


@router.get("/api/models")
def api_models(user: User = Depends(ADMIN), d: Desk = Depends(desk)) -> dict:
    return {
        "in_force": _summary(d),
        "history": stored.history(d.engine),
        "attempts": stored.attempts(d.engine),
    }


@router.post("/api/models/retrain")
def api_models_retrain(
    body: dict = Body(...), user: User = Depends(ADMIN), d: Desk = Depends(desk)
) -> dict:
    """What `socialcare models retrain` prints: promoted or not, the figures, the reason."""
    return _retrain(d, str(body.get("task", "")), user.name)


@router.post("/api/models/rollback")
def api_models_rollback(
    body: dict = Body(...), user: User = Depends(ADMIN), d: Desk = Depends(desk)
) -> dict:
    task, version = str(body.get("task", "")), str(body.get("version", ""))
    if task not in TASKS or not version:
        raise HTTPException(422, f"give a task ({', '.join(TASKS)}) and a version")
    rollback(d.engine, task, version[:64], user.name)
    just_published(d.classifier)
    return {"task": task, "version": version}
