"""The desk web app: server-rendered pages (Jinja2, autoescaped: post text is untrusted) and a
JSON API over the case store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from socialcare.settings import Settings
from store.cases import get_case, list_cases, queue_summary
from store.db import open_store

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


def _parts(parts: dict[str, int] | None) -> str:
    """Priority parts as an agent reads them: base 45 · urgency +15 · sentiment +7."""
    if not parts:
        return ""
    return " · ".join(f"base {v}" if k == "rule" else f"{k} {v:+d}" for k, v in parts.items())


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["parts"] = _parts


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    if engine is None:
        if settings is None:
            raise ValueError("create_app needs settings or an engine")
        engine = open_store(settings.db_url)
    app = FastAPI(title="socialcare desk", version="0.1.0")
    app.state.engine = engine

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/api/queues")
    def api_queues() -> list[dict]:
        return queue_summary(engine)

    @app.get("/api/cases")
    def api_cases(
        queue: str | None = Query(None, max_length=64),
        status: str | None = Query(None, pattern="^(open|claimed|resolved)$"),
        limit: int = Query(200, ge=1, le=5000),
    ) -> list[dict]:
        return list_cases(engine, queue, status, limit, with_posts=True)

    @app.get("/api/cases/{case_id}")
    def api_case(case_id: str) -> dict:
        case = get_case(engine, case_id[:64])
        if case is None:
            raise HTTPException(404, f"no case {case_id[:64]!r}")
        return case

    @app.get("/", response_class=HTMLResponse)
    def queues_page(request: Request, queue: str | None = Query(None, max_length=64)):
        summary = queue_summary(engine)
        rows = list_cases(engine, queue, None, 300)
        rows = [r for r in rows if r["status"] != "resolved"]
        return TEMPLATES.TemplateResponse(
            request, "queues.html", {"queues": summary, "cases": rows, "queue": queue}
        )

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: str):
        case = get_case(engine, case_id[:64])
        if case is None:
            raise HTTPException(404, "no such case")
        return TEMPLATES.TemplateResponse(request, "case.html", {"case": case})

    return app
