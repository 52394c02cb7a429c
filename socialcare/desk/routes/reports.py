"""Analysts: the reports page, CSV downloads and the reports API (the same figures as
`socialcare report`, from socialcare/store/reports.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from socialcare.desk.context import Desk, desk
from socialcare.desk.inputs import parse_time
from socialcare.desk.pages import page
from socialcare.desk.render import to_csv
from socialcare.desk.security import need
from socialcare.store.reports import backlog_report, run_report, volume_report
from socialcare.store.users import User

router = APIRouter()
ANALYST = need("analyst")
KIND = Query("response", pattern="^(response|backlog|volume)$")
BY = Query("queue", pattern="^(queue|account|priority|topic|hour|agent)$")
DAY = Query(None, max_length=32)


def _rows(d: Desk, kind: str, by: str, since: str | None, until: str | None) -> list[dict]:
    lo = parse_time(since) if since else None
    hi = parse_time(until) if until else None
    return run_report(d.engine, kind, by, lo, hi)[0]


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    by: str = BY,
    since: str | None = DAY,
    until: str | None = DAY,
    user: User = Depends(ANALYST),
    d: Desk = Depends(desk),
):
    return page(
        request,
        "reports.html",
        user,
        rows=_rows(d, "response", by, since, until),
        by=by,
        since=since or "",
        until=until or "",
        backlog=backlog_report(d.engine),
        volume=volume_report(d.engine)[-30:],
    )


@router.get("/reports.csv", response_class=PlainTextResponse)
def reports_csv(
    kind: str = KIND,
    by: str = BY,
    since: str | None = DAY,
    until: str | None = DAY,
    user: User = Depends(ANALYST),
    d: Desk = Depends(desk),
):
    return PlainTextResponse(
        to_csv(_rows(d, kind, by, since, until)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="socialcare-{kind}-by-{by}.csv"'},
    )


@router.get("/api/reports")
def api_reports(
    kind: str = KIND,
    by: str = BY,
    since: str | None = DAY,
    until: str | None = DAY,
    user: User = Depends(ANALYST),
    d: Desk = Depends(desk),
) -> list[dict]:
    return _rows(d, kind, by, since, until)
