"""What every desk route needs, built once per app: the case store, the rules in force and the
settings. Routes get it with `Depends(desk)`; nothing else is kept in the process, so several desk
processes can serve one PostgreSQL store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine

from classify.classifier import Classifier
from route.rules import RuleSet
from route.saved_replies import SavedReplies
from socialcare.settings import Settings


@dataclass(frozen=True)
class Desk:
    engine: Engine
    rules: Callable[[], RuleSet]
    settings: Settings
    saved_replies: Callable[[], SavedReplies]
    # the classifier in force (classify/registry.py), for the Review page's uncertainty
    classifier: Callable[[], Classifier]


def desk(request: Request) -> Desk:
    return request.app.state.desk


def just_published(provider: Callable[[], object]) -> None:
    """After this desk published a version (rules, saved replies), its next request sees it at
    once; other processes see it within the provider's few seconds (route/provider.py)."""
    refresh = getattr(provider, "refresh", None)
    if refresh is not None:
        refresh()
