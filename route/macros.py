"""Running a macro (route/saved_replies.py) on a case: its steps in order, each through the same
store action an agent's click would use, so each is recorded as its own event.

Everything a step could refuse for its input is checked before the first step runs (the reply
is filled in and measured against the network's limit, the snooze is parsed), so a macro never
stops half way for a reason known in advance. The collision guard is checked before the first
step (and inside it, when it is a reply or resolve); the later steps follow the agent's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from route.durations import parse_duration
from route.saved_replies import MacroSpec, SavedReplies, fill, values_for
from socialcare.errors import NotFoundError
from socialcare.store import actions, claims
from socialcare.store.actions import Refresh
from socialcare.store.collisions import guard
from socialcare.stream.reply_length import check as check_length


@dataclass(frozen=True)
class Step:
    kind: str  # reply, tag, topic, snooze, resolve
    value: str  # the filled reply text, the tag, the topic, the snooze end (ISO)


def plan(saved: SavedReplies, macro_id: str, case: dict, agent: str, now: datetime) -> list[Step]:
    """The macro's steps for this case, every input checked; raises before anything is done."""
    macro: MacroSpec | None = saved.macros.get(macro_id)
    if macro is None:
        known = ", ".join(saved.macros) or "none"
        raise NotFoundError(f"no macro {macro_id!r}; macros: {known}")
    steps = []
    for action in macro.actions:
        if action.reply:
            template = saved.templates[action.reply]  # parse() checked it exists
            text = fill(template.text, values_for(case, agent)).strip()
            check_length(case["network"], text)
            steps.append(Step("reply", text))
        elif action.tag:
            steps.append(Step("tag", action.tag))
        elif action.topic:
            steps.append(Step("topic", action.topic))
        elif action.snooze:
            steps.append(Step("snooze", (now + parse_duration(action.snooze)).isoformat()))
        elif action.resolve:
            steps.append(Step("resolve", ""))
    return steps


def run(
    engine: Engine,
    refresh: Refresh,
    saved: SavedReplies,
    macro_id: str,
    case: dict,
    agent: str,
    now: datetime,
    seen: int | None = None,
) -> list[str]:
    """Run the macro; return what each step did, as the agent reads it."""
    steps = plan(saved, macro_id, case, agent, now)
    with engine.connect() as conn:
        guard(conn, case["id"], seen, agent)
    done = []
    for i, step in enumerate(steps):
        first = seen if i == 0 else None
        if step.kind == "reply":
            actions.reply(engine, refresh, case["id"], agent, step.value, now, seen=first)
            done.append("replied")
        elif step.kind == "tag":
            actions.tag(engine, case["id"], agent, step.value, now)
            done.append(f"tagged {step.value}")
        elif step.kind == "topic":
            actions.correct(engine, case["id"], agent, "topic", step.value, now)
            done.append(f"topic set to {step.value}")
        elif step.kind == "snooze":
            actions.snooze(engine, case["id"], agent, datetime.fromisoformat(step.value), now)
            done.append(f"snoozed until {step.value[:16]} UTC")
        else:
            claims.resolve(engine, case["id"], agent, f"macro {macro_id}", now, seen=first)
            done.append("resolved")
    return done
