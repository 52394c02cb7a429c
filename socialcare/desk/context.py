"""What every desk route needs, built once per app: the case store, the rules in force and the
settings. Routes get it with `Depends(desk)`; nothing else is kept in the process, so several desk
processes can serve one PostgreSQL store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine

from route.rules import RuleSet
from socialcare.settings import Settings


@dataclass(frozen=True)
class Desk:
    engine: Engine
    rules: Callable[[], RuleSet]
    settings: Settings


def desk(request: Request) -> Desk:
    return request.app.state.desk
