"""Alerts reach people once: the webhook gets one Slack-compatible body per alert (a `text` line
and the alert's fields), however often the watchdog ticks; rules can test `alert.active`,
`incident.id` and `incident.size`."""

from __future__ import annotations

import threading
from datetime import timedelta

from route.rules import Facts, decide, parse_rules
from route.watchdog import Watchdog
from socialcare.pipeline import Pipeline
from socialcare.runtime import Runtime
from socialcare.settings import Settings
from tests.factories import classified
from tests.timelines import START, as_jsonl, burst, real_texts, timeline


def test_the_webhook_hears_each_alert_once(shared_data, tmp_path):
    texts = real_texts(shared_data)
    at = START + timedelta(days=1, hours=14)
    posts = timeline(texts, {"ShopNow": 0.6}, days=2, seed=9) + burst(
        "ShopNow", at, seed=9, problem=1
    )
    as_jsonl(posts, tmp_path / "two-days.jsonl")
    runtime = Runtime(Settings.resolve(tmp_path / "home"))
    pipeline = Pipeline(
        runtime, runtime.sources([f"replay:{tmp_path / 'two-days.jsonl'}"]), watchdog=False
    )
    pipeline.run(threading.Event(), until_idle=True)
    pipeline.close()
    sent: list[tuple[str, dict]] = []
    dog = Watchdog(
        runtime.engine,
        runtime.rules,
        post=lambda url, body: sent.append((url, body)),
        webhook_url="https://hooks.example/care",
    )
    first = dog.tick()
    second = dog.tick()
    runtime.close()
    bodies = [b for _u, b in sent if b.get("type") == "alert"]
    assert len(first.alerts) == 1 and second.alerts == [] and len(bodies) == 1
    (body,) = bodies
    assert body["text"].startswith(":rotating_light: volume spike for ShopNow")
    assert body["alert"]["id"] == first.alerts[0] and body["alert"]["incident_id"]
    assert {
        "started_at",
        "detected_at",
        "observed",
        "expected",
        "terms",
        "samples",
        "severity",
    } <= set(body["alert"])


def test_rules_can_test_alerts_and_incidents():
    rules = parse_rules(
        """
queues: {care: {}, storm: {}, big: {}}
sla_policies: {std: {first_response: 1h, resolution: 1d}}
rules:
  - id: big-incident
    when: {field: incident.size, op: gte, value: 100}
    then: {queue: big, priority: 80}
  - id: storm
    when:
      any:
        - {field: alert.active, op: equals, value: true}
        - {field: incident.id, op: exists, value: true}
    then: {queue: storm, priority: 60}
default: {queue: care, priority: 30, sla: std}
"""
    )
    post = classified("1")
    assert decide(rules, post, Facts()).queue == "care"
    assert decide(rules, post, Facts(alert_active=True)).queue == "storm"
    assert decide(rules, post, Facts(incident_id="i1", incident_size=3)).queue == "storm"
    assert decide(rules, post, Facts(incident_id="i1", incident_size=150)).queue == "big"
