"""The desk web app: pages for agents, admins and analysts (server-rendered, autoescaped: post
text is untrusted) and the JSON API behind them. Every route but /login, /healthz and the static
files needs a signed-in user holding the route's role (socialcare/desk/security.py).

`create_app` wires the routers (one module per page family under socialcare/desk/routes/) to one
`Desk` context and maps errors to HTTP statuses in one place: a `SocialcareError` answers with its
kind's status (socialcare/errors.py), a request that does not validate with 422 naming where.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from classify.registry import ClassifierSource
from route.provider import saved_replies_provider
from route.rules import RuleSet
from route.saved_replies import SavedReplies
from socialcare.desk import routes
from socialcare.desk.context import Desk
from socialcare.desk.live import ChangeFeed, ListCache
from socialcare.desk.pages import HERE
from socialcare.desk.security import Guard, LoginRequired
from socialcare.errors import SocialcareError
from socialcare.settings import Settings
from socialcare.store.users import session_secret


class DeskApp(FastAPI):
    """FastAPI with the desk's `Guard` (security headers, body limit) outside everything,
    FastAPI's own error handling included."""

    max_body = 2 * 1024 * 1024

    def build_middleware_stack(self) -> ASGIApp:
        return Guard(super().build_middleware_stack(), self.max_body)


def create_app(
    engine: Engine,
    rules: Callable[[], RuleSet],
    settings: Settings | None = None,
    saved_replies: Callable[[], SavedReplies] | None = None,
) -> FastAPI:
    settings = settings or Settings()
    saved_replies = saved_replies or saved_replies_provider(engine, None)
    # /docs and /redoc are off; the API description is for signed-in users (see routes/auth)
    app = DeskApp(
        title="socialcare desk", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.max_body = settings.desk_max_body_bytes
    app.state.desk = Desk(engine, rules, settings, saved_replies, ClassifierSource(engine))
    app.state.engine = engine
    app.state.feed = ChangeFeed(engine)  # live queues: one reader of case events per process
    app.state.lists = ListCache(engine)  # case lists reused while no case changed
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(engine),
        session_cookie="socialcare_session",
        max_age=int(settings.desk_session_hours * 3600),
        same_site="strict",
        https_only=settings.desk_secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in routes.MODULES:
        app.include_router(module.router)

    @app.exception_handler(SocialcareError)
    async def known_error(request: Request, exc: SocialcareError):
        body = {"detail": str(exc)}
        if getattr(exc, "details", None):  # e.g. a stale case: what changed (store/collisions.py)
            body.update(exc.details)
        return JSONResponse(body, status_code=exc.http_status)

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

    return app


def app_for(runtime) -> FastAPI:
    """The desk of a runtime: its case store, rules in force and settings."""
    return create_app(runtime.engine, runtime.rules, runtime.settings, runtime.saved_replies)
