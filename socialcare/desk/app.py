"""The desk web app: pages for agents, admins and analysts (server-rendered, Jinja2 autoescape:
post text is untrusted) and the JSON API behind them. Every route but /login, /healthz and the
static files needs a signed-in user holding the route's role (see desk/security.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Body, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware

from ingest.replies import live_from_env
from route.provider import rules_provider
from route.rule_replay import replay
from route.ruleset import RuleFileError, RuleSet, parse_rules
from socialcare.desk import reports
from socialcare.desk.security import (
    GRANTS,
    LoginRequired,
    SecurityHeaders,
    check_csrf,
    csrf_token,
    need,
)
from socialcare.settings import Settings
from socialcare.store import actions, claims, rulesets
from socialcare.store.cases import get_case, list_cases, queue_summary
from socialcare.store.claims import ClaimError
from socialcare.store.db import open_store
from socialcare.store.users import (
    ROLES,
    User,
    UserError,
    add_user,
    authenticate,
    list_users,
    session_secret,
)

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
MAX_RULES_BYTES = 1 << 20


def replies_live() -> bool:
    """Whether queued replies are posted for real (SOCIALCARE_REPLIES=live) or dry-run."""
    try:
        return live_from_env()
    except ValueError:  # a bad value: the sender refuses to start, so nothing is posted
        return False


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
TEMPLATES.env.globals["bar_chart"] = reports.bar_chart

AGENT, ADMIN, ANALYST = need("agent"), need("admin"), need("analyst")
CASE_ACTIONS = (
    "claim",
    "release",
    "reply",
    "note",
    "resolve",
    "reopen",
    "snooze",
    "reassign",
    "correct",
)


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    rules: Callable[[], RuleSet] | None = None,
) -> FastAPI:
    if engine is None:
        if settings is None:
            raise ValueError("create_app needs settings or an engine")
        engine = open_store(settings.db_url)
    if rules is None:
        rules = rules_provider(
            engine, settings.rules_path if settings else None, settings.home if settings else None
        )
    app = FastAPI(title="socialcare desk", version="0.1.0")
    app.state.engine = engine
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(engine),
        session_cookie="socialcare_session",
        max_age=12 * 3600,
        same_site="strict",
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def page(request: Request, name: str, user: User | None, **context: Any) -> HTMLResponse:
        flash = request.session.pop("flash", None)
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

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        # FastAPI's default echoes the client's input back, which fails to encode for lone
        # surrogates or Infinity (a 500); report where and what, never the input itself
        detail = [
            {
                "loc": [str(p)[:100] for p in err.get("loc", ())],
                "msg": str(err.get("msg", ""))[:300],
                "type": str(err.get("type", "")),
            }
            for err in exc.errors()[:20]
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    # -- sign in ----------------------------------------------------------------------------
    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = Query("/", max_length=200)):
        return page(request, "login.html", None, next=next if next.startswith("/") else "/")

    @app.post("/login")
    async def login(
        request: Request,
        name: str = Form(..., max_length=64),
        password: str = Form(..., max_length=1024),
        next: str = Form("/"),
    ):
        await check_csrf(request)
        user = authenticate(engine, name, password)
        if user is None:
            return back(request, "/login", "Wrong name or password.")
        request.session.clear()
        request.session["user"] = user.name
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        if target == "/" and "agent" not in GRANTS[user.role]:
            target = "/reports"
        return RedirectResponse(target, status_code=303)

    @app.post("/logout")
    async def logout(request: Request, user: User = Depends(need(None))):
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # -- agents: pages ----------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def queues_page(
        request: Request,
        queue: str | None = Query(None, max_length=64),
        user: User = Depends(AGENT),
    ):
        rows = [
            r
            for r in list_cases(engine, queue, None, 300, hide_snoozed=True)
            if r["status"] != "resolved"
        ]
        return page(
            request,
            "queues.html",
            user,
            queues=queue_summary(engine),
            cases=rows,
            queue=queue,
            live=True,
        )

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: str, user: User = Depends(AGENT)):
        case = get_case(engine, case_id[:64])
        if case is None:
            raise HTTPException(404, "no such case")
        agents = [
            u["name"]
            for u in list_users(engine)
            if u["role"] in ("agent", "admin") and not u["disabled"]
        ]
        return page(
            request, "case.html", user, case=case, agents=agents, corrections=actions.CORRECTABLE
        )

    @app.post("/cases/next")
    async def claim_next_page(request: Request, queue: str = Form(""), user: User = Depends(AGENT)):
        case_id = claims.claim_next(engine, user.name, queue or None)
        if case_id is None:
            return back(request, "/", "Nothing to claim right now.")
        return RedirectResponse(f"/cases/{case_id}", status_code=303)

    @app.post("/cases/{case_id}/{action}")
    async def case_action_page(
        request: Request, case_id: str, action: str, user: User = Depends(AGENT)
    ):
        form = await request.form()
        params = {k: v for k, v in form.items() if k != "csrf" and isinstance(v, str)}
        try:
            message = do_action(case_id[:64], action, params, user)
        except (ClaimError, ValueError) as exc:
            return back(request, f"/cases/{case_id[:64]}", f"Not done: {exc}")
        target = (
            "/"
            if action in ("resolve", "snooze", "release", "reassign")
            else (f"/cases/{case_id[:64]}")
        )
        return back(request, target, message)

    # -- agents: API --------------------------------------------------------------------------
    @app.get("/api/queues")
    def api_queues(user: User = Depends(AGENT)) -> list[dict]:
        return queue_summary(engine)

    @app.get("/api/cases")
    def api_cases(
        queue: str | None = Query(None, max_length=64),
        status: str | None = Query(None, pattern="^(open|claimed|resolved)$"),
        limit: int = Query(200, ge=1, le=5000),
        user: User = Depends(AGENT),
    ) -> list[dict]:
        return list_cases(engine, queue, status, limit, with_posts=True)

    @app.get("/api/cases/{case_id}")
    def api_case(case_id: str, user: User = Depends(AGENT)) -> dict:
        case = get_case(engine, case_id[:64])
        if case is None:
            raise HTTPException(404, f"no case {case_id[:64]!r}")
        return case

    @app.post("/api/claim-next")
    def api_claim_next(body: dict = Body(default={}), user: User = Depends(AGENT)) -> dict:
        queue = body.get("queue") if isinstance(body, dict) else None
        queue = _unicode(queue)[:64] if isinstance(queue, str) else None
        return {"case_id": claims.claim_next(engine, user.name, queue)}

    @app.post("/api/cases/{case_id}/{action}")
    def api_case_action(
        case_id: str, action: str, body: dict = Body(default={}), user: User = Depends(AGENT)
    ) -> dict:
        if not isinstance(body, dict):
            raise HTTPException(422, "send a JSON object")
        params = {k: _unicode(v) for k, v in body.items() if isinstance(v, str)}
        try:
            message = do_action(_unicode(case_id)[:64], action, params, user)
        except ClaimError as exc:
            raise HTTPException(409, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return {"ok": True, "message": message}

    def do_action(case_id: str, action: str, params: dict[str, str], user: User) -> str:
        if action not in CASE_ACTIONS:
            raise HTTPException(404, f"no action {action!r}; actions: {', '.join(CASE_ACTIONS)}")
        if action == "claim":
            claims.claim(engine, case_id, user.name)
            return "Claimed for 15 minutes; replying renews it."
        if action == "release":
            claims.release(engine, case_id, user.name)
            return "Released back to the queue."
        if action == "reply":
            actions.reply(engine, rules(), case_id, user.name, params.get("text", ""))
            return (
                "Reply recorded and queued; it is posted on the network within seconds."
                if replies_live()
                else "Reply recorded and queued (dry run: nothing is posted to the network "
                "until an admin sets SOCIALCARE_REPLIES=live)."
            )
        if action == "note":
            actions.note(engine, case_id, user.name, params.get("text", ""))
            return "Note added."
        if action == "resolve":
            claims.resolve(engine, case_id, user.name, params.get("note", "")[:2000])
            return "Resolved."
        if action == "reopen":
            actions.reopen(engine, rules(), case_id, user.name)
            return "Reopened."
        if action == "snooze":
            until = _parse_time(params.get("until", ""))
            actions.snooze(engine, case_id, user.name, until)
            return f"Snoozed until {until:%Y-%m-%d %H:%M} UTC."
        if action == "reassign":
            actions.reassign(engine, case_id, user.name, params.get("to", ""))
            return f"Reassigned to {params.get('to')}."
        actions.correct(
            engine, case_id, user.name, params.get("field", ""), params.get("value", "")
        )
        return "Tag corrected; kept as a training example."

    # -- analysts -----------------------------------------------------------------------------
    def _report(kind: str, by: str, since: str | None, until: str | None) -> list[dict]:
        lo = _parse_time(since) if since else None
        hi = _parse_time(until) if until else None
        if kind == "backlog":
            return reports.backlog_report(engine)
        if kind == "volume":
            return reports.volume_report(engine, lo, hi)
        return reports.response_report(engine, by, lo, hi)

    report_query = {
        "kind": Query("response", pattern="^(response|backlog|volume)$"),
        "by": Query("queue", pattern="^(queue|account|priority|topic|hour|agent)$"),
    }

    @app.get("/reports", response_class=HTMLResponse)
    def reports_page(
        request: Request,
        by: str = report_query["by"],
        since: str | None = Query(None, max_length=20),
        until: str | None = Query(None, max_length=20),
        user: User = Depends(ANALYST),
    ):
        try:
            rows = _report("response", by, since, until)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return page(
            request,
            "reports.html",
            user,
            rows=rows,
            by=by,
            since=since or "",
            until=until or "",
            backlog=reports.backlog_report(engine),
            volume=reports.volume_report(engine)[-30:],
        )

    @app.get("/reports.csv", response_class=PlainTextResponse)
    def reports_csv(
        kind: str = report_query["kind"],
        by: str = report_query["by"],
        since: str | None = Query(None, max_length=20),
        until: str | None = Query(None, max_length=20),
        user: User = Depends(ANALYST),
    ):
        try:
            body = reports.to_csv(_report(kind, by, since, until))
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return PlainTextResponse(
            body,
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="socialcare-{kind}-by-{by}.csv"'
            },
        )

    @app.get("/api/reports")
    def api_reports(
        kind: str = report_query["kind"],
        by: str = report_query["by"],
        since: str | None = Query(None, max_length=20),
        until: str | None = Query(None, max_length=20),
        user: User = Depends(ANALYST),
    ) -> list[dict]:
        try:
            return _report(kind, by, since, until)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    # -- admins -------------------------------------------------------------------------------
    def _check_text(text: str) -> RuleSet:
        if len(text.encode("utf-8", "replace")) > MAX_RULES_BYTES:
            raise RuleFileError([f"<desk>:1: rule file larger than {MAX_RULES_BYTES} bytes"])
        return parse_rules(text, "rules.yaml")

    @app.get("/admin/rules", response_class=HTMLResponse)
    def rules_page(request: Request, user: User = Depends(ADMIN)):
        current = rules()
        return page(
            request,
            "rules.html",
            user,
            text=request.session.pop("draft", None) or current.source,
            version=current.version,
            history=list(reversed(rulesets.history(engine))),
            problems=request.session.pop("problems", []),
            preview=request.session.pop("preview", None),
        )

    @app.post("/admin/rules")
    async def rules_submit(
        request: Request,
        text: str = Form(..., max_length=MAX_RULES_BYTES),
        action: str = Form(...),
        message: str = Form("", max_length=1000),
        user: User = Depends(ADMIN),
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
            rulesets.publish(engine, text, user.name, message.strip())
            return back(request, "/admin/rules", f"Published version {proposed.version}.")
        request.session["draft"] = text
        if action == "preview":
            report = replay(engine, rules(), proposed, examples=10)
            request.session["preview"] = report
            return back(request, "/admin/rules", "Replay preview below; nothing was changed.")
        return back(request, "/admin/rules", f"Valid: version {proposed.version}.")

    @app.post("/admin/rules/rollback")
    async def rules_rollback(
        request: Request, version: str = Form(..., max_length=64), user: User = Depends(ADMIN)
    ):
        try:
            rulesets.rollback(engine, version, user.name)
        except rulesets.VersionError as exc:
            return back(request, "/admin/rules", str(exc))
        return back(request, "/admin/rules", f"Version {version} is in force again.")

    @app.get("/admin/users", response_class=HTMLResponse)
    def users_page(request: Request, user: User = Depends(ADMIN)):
        return page(request, "users.html", user, users=list_users(engine), roles=ROLES)

    @app.post("/admin/users")
    async def users_add(
        request: Request,
        name: str = Form(..., max_length=64),
        role: str = Form(...),
        password: str = Form(..., max_length=1024),
        user: User = Depends(ADMIN),
    ):
        try:
            add_user(engine, name, role, password)
        except UserError as exc:
            return back(request, "/admin/users", f"Not added: {exc}")
        return back(request, "/admin/users", f"Added {name} as {role}.")

    @app.get("/api/rules")
    def api_rules(user: User = Depends(ADMIN)) -> dict:
        current = rules()
        return {"version": current.version, "text": current.source}

    @app.post("/api/rules/validate")
    def api_rules_validate(body: dict = Body(...), user: User = Depends(ADMIN)) -> dict:
        try:
            rs = _check_text(_unicode(str(body.get("text", ""))))
        except RuleFileError as exc:
            return {"ok": False, "problems": exc.problems}
        return {"ok": True, "version": rs.version}

    @app.post("/api/rules/publish")
    def api_rules_publish(body: dict = Body(...), user: User = Depends(ADMIN)) -> dict:
        message = _unicode(str(body.get("message", ""))).strip()
        if not message:
            raise HTTPException(422, "a message saying why is required")
        try:
            rs = rulesets.publish(engine, _unicode(str(body.get("text", ""))), user.name, message)
        except RuleFileError as exc:
            raise HTTPException(422, {"problems": exc.problems}) from None
        return {"ok": True, "version": rs.version}

    @app.get("/api/rules/history")
    def api_rules_history(user: User = Depends(ADMIN)) -> list[dict]:
        return rulesets.history(engine)

    @app.get("/api/users")
    def api_users(user: User = Depends(ADMIN)) -> list[dict]:
        return list_users(engine)

    return app


def _unicode(text: str) -> str:
    """Client text must be valid Unicode (JSON can smuggle in lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise HTTPException(422, "text is not valid Unicode (a lone surrogate)") from None
    return text


def _parse_time(text: str) -> datetime:
    """`2026-11-23`, `2026-11-23T14:30` or with seconds / a zone; naive means UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date or time: {text[:40]!r} (use 2026-11-23T14:30)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
