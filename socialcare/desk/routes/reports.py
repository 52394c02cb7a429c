"""Analysts: the reports page, CSV downloads and the reports API (the same figures as
`socialcare report`, from socialcare/store/reports.py)."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class ReportQuery:
    """The filters every report route takes (the same names as `socialcare report`)."""

    kind: str = Query("response", pattern="^(response|backlog|volume)$")
    by: str = Query("queue", pattern="^(queue|account|priority|topic|hour|agent)$")
    since: str | None = Query(None, max_length=32)
    until: str | None = Query(None, max_length=32)

    def rows(self, d: Desk, kind: str | None = None) -> list[dict]:
        lo = parse_time(self.since) if self.since else None
        hi = parse_time(self.until) if self.until else None
        return run_report(d.engine, kind or self.kind, self.by, lo, hi)[0]


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    q: ReportQuery = Depends(),
    user: User = Depends(ANALYST),
    d: Desk = Depends(desk),
):
    return page(
        request,
        "reports.html",
        user,
        rows=q.rows(d, "response"),
        by=q.by,
        since=q.since or "",
        until=q.until or "",
        backlog=backlog_report(d.engine),
        volume=volume_report(d.engine)[-30:],
    )


@router.get("/reports.csv", response_class=PlainTextResponse)
def reports_csv(q: ReportQuery = Depends(), user: User = Depends(ANALYST), d: Desk = Depends(desk)):
    return PlainTextResponse(
        to_csv(q.rows(d)),
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="socialcare-{q.kind}-by-{q.by}.csv"'
        },
    )


@router.get("/api/reports")
def api_reports(
    q: ReportQuery = Depends(), user: User = Depends(ANALYST), d: Desk = Depends(desk)
) -> list[dict]:
    return q.rows(d)
