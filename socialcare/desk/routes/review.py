"""Agents: the Review page, recent posts to label with one click, in the order that teaches the
classifier the most (classify/active.py: the least sure first once a learned model is in force,
mixed with the newest). A label is a correction like any other (store/corrections.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from classify.active import review_order
from socialcare.desk.context import Desk, desk
from socialcare.desk.pages import page
from socialcare.desk.security import need
from socialcare.store.corrections import CORRECTABLE
from socialcare.store.review import uncorrected
from socialcare.store.users import User

router = APIRouter()
AGENT = need("agent")
POOL = 500  # the newest uncorrected cases the least sure are chosen from


def least_sure(d: Desk, limit: int) -> list[dict[str, Any]]:
    """The `limit` cases to label first, in the Review page's order (classify/active.py)."""
    rows, seen = [], set()
    for row in uncorrected(d.engine, "sentiment", POOL):  # one click per text, however often
        key = " ".join(row["summary"].lower().split())  # it was posted
        if key not in seen:
            seen.add(key)
            rows.append(row)
    classifier = d.classifier()
    learned = "sentiment" in classifier.models
    margins = classifier.sentiment_margins([r["summary"] for r in rows])
    out = []
    for i in review_order(len(rows), margins if learned else None, limit):
        row = rows[i]
        row["margin"] = margins[i]
        row["opened_at"] = row["opened_at"].isoformat()
        out.append(row)
    return out


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    limit: int = Query(20, ge=1, le=100),
    user: User = Depends(AGENT),
    d: Desk = Depends(desk),
):
    return page(
        request,
        "review.html",
        user,
        rows=least_sure(d, limit),
        labels=CORRECTABLE["sentiment"],
        model=d.classifier().model_version,
    )


@router.get("/api/review")
def api_review(
    limit: int = Query(20, ge=1, le=100), user: User = Depends(AGENT), d: Desk = Depends(desk)
) -> list[dict[str, Any]]:
    return least_sure(d, limit)
