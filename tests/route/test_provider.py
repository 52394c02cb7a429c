"""Running routers pick up a new rule version without restart; a broken edit never takes over."""

from __future__ import annotations

import os

from route.provider import PublishedRules, RulesFile
from route.publishing import publish, rollback
from route.rules import DEFAULT_RULES_PATH
from route.stage import RouteStage
from socialcare.store import rulesets
from socialcare.store.cases import list_cases
from socialcare.store.db import open_store
from socialcare.stream.bus import TOPIC_CLASSIFIED, OutMessage
from socialcare.stream.embedded import EmbeddedBus
from socialcare.stream.worker import Worker
from tests.factories import classified

SIMPLE = """queues: {only: {}}
sla_policies: {s: {first_response: 1h, resolution: 1d}}
default: {queue: only, priority: 5, sla: s}
"""


def test_a_published_version_reaches_a_running_router(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    bus = EmbeddedBus(tmp_path / "bus.db")
    provider = PublishedRules(engine, DEFAULT_RULES_PATH, check_s=0)
    worker = Worker(RouteStage(engine, provider), bus, poll_timeout_s=0)

    def route(post_id: str) -> None:
        p = bus.producer()
        p.send(OutMessage(TOPIC_CLASSIFIED, post_id, classified(post_id).to_json()))
        p.flush()
        while worker.step(0):
            pass

    route("1")
    published = publish(engine, SIMPLE, "ana", "one queue for all")
    route("2")
    queues = {c["conversation_id"]: (c["queue"], c["ruleset_version"]) for c in list_cases(engine)}
    assert queues["1"][0] == "complaints"
    assert queues["2"] == ("only", published.version)
    first = rulesets.history(engine)[0]["version"]
    publish(engine, SIMPLE.replace("priority: 5", "priority: 6"), "ana", "tweak")
    rollback(engine, first, "ben")
    history = rulesets.history(engine)
    assert [h["action"] for h in history] == ["publish", "publish", "rollback"]
    assert history[-1]["version"] == first and history[-1]["in_force"]
    assert provider().version == first


def test_a_rule_file_is_reread_when_it_changes_and_a_broken_edit_is_ignored(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(SIMPLE)
    provider = RulesFile(path)
    first = provider().version
    path.write_text(SIMPLE.replace("priority: 5", "priority: 7"))
    os.utime(path, ns=(1, 10**18))
    second = provider()
    assert second.version != first and second.default.priority == 7
    path.write_text("queues: [broken")
    os.utime(path, ns=(1, 2 * 10**18))
    assert provider().version == second.version
