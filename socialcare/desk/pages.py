"""Server-rendered pages: the Jinja2 templates (autoescaped: post text is untrusted), their
filters, and the two helpers every page route uses, `page` and `back` (flash and redirect)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from route.event_time import EventClock
from socialcare.desk.render import BAR_CSS, bar_chart, stacked_chart
from socialcare.desk.security import GRANTS, csrf_token
from socialcare.store.incidents import list_alerts
from socialcare.store.users import User, presence_of
from socialcare.stream.schema import utcnow

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


def _parts(parts: dict[str, int] | None) -> str:
    """Priority parts as an agent reads them: base 45 · urgency +15 · sentiment +7."""
    if not parts:
        return ""
    return " · ".join(f"base {v}" if k == "rule" else f"{k} {v:+d}" for k, v in parts.items())


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}"


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["parts"] = _parts
TEMPLATES.env.filters["minutes"] = _minutes
TEMPLATES.env.globals["bar_chart"] = bar_chart
TEMPLATES.env.globals["stacked_chart"] = stacked_chart
TEMPLATES.env.globals["bar_css"] = BAR_CSS


def held_back(request: Request) -> list[dict[str, Any]]:
    """The sources holding SLA decisions back (route/event_time.py), for the banner."""
    d = request.app.state.desk
    with d.engine.connect() as conn:
        clock = EventClock.load(conn, utcnow())
    return clock.holding_back(timedelta(minutes=d.settings.source_lag_alert_minutes))


def page(request: Request, name: str, user: User | None, **context: Any) -> HTMLResponse:
    flash = request.session.pop("flash", None)
    if user is not None:
        context.setdefault("held_back", held_back(request))
        d = request.app.state.desk
        context.setdefault("active_alerts", list_alerts(d.engine, True, 10))
        context.setdefault("presence", presence_of(d.engine, user.name))
        context.setdefault("idle_minutes", d.settings.desk_idle_away_minutes)
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "csrf": csrf_token(request),
            "flash": flash,
            "grants": GRANTS.get(user.role, set()) if user else set(),
            **context,
        },
    )


def back(request: Request, url: str, message: str) -> RedirectResponse:
    request.session["flash"] = message
    return RedirectResponse(url, status_code=303)
