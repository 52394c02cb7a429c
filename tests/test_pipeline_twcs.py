"""Issue 2's acceptance on real data: replaying twcs_sample.csv yields one case per customer
conversation, every inbound post in exactly one case, the brand's first reply as first response,
and replaying again adds nothing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from tests.twcs_truth import by_post, conversations

CLI = [sys.executable, "-m", "socialcare.cli"]


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def cases_json(home: Path) -> list[dict]:
    out = run_cli("cases", "--home", str(home), "--format", "json").stdout
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture(scope="module")
def replayed(shared_data, tmp_path_factory):
    home = tmp_path_factory.mktemp("twcs") / "home"
    csv = shared_data / "twcs_sample.csv"
    run_cli(
        "run", "--source", f"replay:{csv}", "--until-idle", "--no-watchdog", "--home", str(home)
    )
    return home, csv, cases_json(home)


def test_one_case_per_customer_conversation_with_every_inbound_post_once(replayed):
    _, csv, cases = replayed
    truth = conversations(csv)
    assert len(cases) == len(truth)
    assert len({c["conversation_id"] for c in cases}) == len(cases)
    of_post = by_post(truth)
    inbound_seen: Counter[str] = Counter()
    for case in cases:
        t = of_post[case["post_ids"][0]]
        assert sorted(case["post_ids"]) == sorted(t["inbound"] + t["outbound"])
        inbound_seen.update(p for p in case["post_ids"] if p in set(t["inbound"]))
    total_inbound = sum(len(t["inbound"]) for t in truth.values())
    assert sum(inbound_seen.values()) == total_inbound
    assert set(inbound_seen.values()) == {1}


def test_first_response_is_the_brands_first_reply(replayed):
    _, csv, cases = replayed
    of_post = by_post(conversations(csv))
    answered = 0
    for c in cases:
        t = of_post[c["post_ids"][0]]
        want = t["first_response_at"]
        got = c["first_response_at"] and datetime.fromisoformat(c["first_response_at"])
        assert got == want, c["conversation_id"]
        if want is not None:
            answered += 1
            assert c["account"] == t["responder"]
    assert answered > 1000  # the sample is mostly answered conversations


def test_replaying_again_adds_nothing(replayed, tmp_path):
    home, csv, before = replayed
    run_cli(
        "run", "--source", f"replay:{csv}", "--until-idle", "--no-watchdog", "--home", str(home)
    )
    assert cases_json(home) == before
    # a copy of the same file under another name: new cursor, but dedup keeps every effect once
    copy = tmp_path / "copy.csv"
    shutil.copy(csv, copy)
    run_cli(
        "run", "--source", f"replay:{copy}", "--until-idle", "--no-watchdog", "--home", str(home)
    )
    after = cases_json(home)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "updated_at"} for r in rows]  # noqa: E731
    assert strip(after) == strip(before)


def test_malformed_lines_go_to_the_dead_letter_topic_and_the_rest_is_processed(tmp_path):
    from tests.factories import mention_dict

    lines = [json.dumps(mention_dict(str(i), text=f"my bag is lost {i}")) for i in range(20)]
    lines[3] = "{broken json"
    lines[7] = json.dumps({**mention_dict("7"), "created_at": "not a date"})
    lines[12] = "\ufffd" * 3
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    home = tmp_path / "home"
    run_cli(
        "run", "--source", f"replay:{path}", "--until-idle", "--no-watchdog", "--home", str(home)
    )
    cases = cases_json(home)
    assert len(cases) == 17
    dead = [json.loads(x) for x in run_cli("dlq", "list", "--home", str(home)).stdout.splitlines()]
    assert [(d["line"], d["error"].split(":")[0]) for d in dead] == [
        ("4", "not JSON"),
        ("8", "created_at"),
        ("13", "not JSON"),
    ]
    assert dead[0]["original"] == "{broken json"
    assert all(d["source"] == f"replay:{path}" for d in dead)


def _stored(runtime) -> dict[str, list]:
    """Every case, post and event the pipeline stored, without what only says when it ran."""
    from sqlalchemy import select

    from socialcare.store.tables import case_events, cases, posts

    def mention(text: str) -> tuple[dict, str]:
        data = json.loads(text)
        data["ingest"].pop("fetched_at")
        return data, re.sub(r'"fetched_at":"[^"]*"', "", text)  # the same fields, same text

    with runtime.engine.connect() as conn:
        case_rows = [
            {k: v for k, v in r._mapping.items() if k not in ("created_at", "updated_at")}
            for r in conn.execute(select(cases).order_by(cases.c.id))
        ]
        post_rows = [
            {
                **{k: v for k, v in r._mapping.items() if k != "stored_at"},
                "mention": mention(r.mention),
            }
            for r in conn.execute(select(posts).order_by(posts.c.network, posts.c.post_id))
        ]
        events = sorted(
            (e.case_id, e.type, e.actor, json.dumps(e.data, sort_keys=True))
            for e in conn.execute(select(case_events))
        )
    return {"cases": case_rows, "posts": post_rows, "events": events}


def test_handing_decoded_mentions_between_stages_changes_nothing_stored(shared_data, tmp_path):
    """The all-in-one pipeline hands each stage the objects the stage before encoded (issue 20);
    run without it (every stage parses the log, as separate processes do), the replay stores
    the same cases, posts (the stored mention JSON included) and events."""
    import threading

    from socialcare.pipeline import Pipeline
    from socialcare.runtime import Runtime
    from socialcare.settings import Settings

    stored, taken = [], []
    for handoff in (True, False):
        runtime = Runtime(Settings.resolve(tmp_path / f"home-{handoff}"))
        try:
            sources = runtime.sources([f"replay:{shared_data / 'twcs_sample.csv'}"])
            pipeline = Pipeline(runtime, sources, watchdog=False, handoff=handoff)
            pipeline.run(threading.Event(), until_idle=True)
            pipeline.close()
            handed = runtime.bus.handoff
            taken.append(handed.taken if handed is not None else 0)
            stored.append(_stored(runtime))
        finally:
            runtime.close()
    with_handoff, parsed = stored
    assert taken[0] >= 2 * 5000 and taken[1] == 0  # raw and classified, every post
    assert len(parsed["cases"]) > 1000 and len(parsed["events"]) > len(parsed["cases"])
    for table in ("cases", "posts", "events"):
        assert with_handoff[table] == parsed[table], table


def test_ingest_waits_while_too_much_is_in_flight(shared_data, tmp_path):
    """Back-pressure: the replay can be read far faster than it is routed, but ingest never runs
    more than its bound ahead of the router (every message in between is held decoded)."""
    import itertools
    import threading

    from socialcare.pipeline import Pipeline
    from socialcare.runtime import Runtime
    from socialcare.settings import Settings

    runtime = Runtime(Settings.resolve(tmp_path / "home"))
    try:
        sources = runtime.sources([f"replay:{shared_data / 'twcs_sample.csv'}"])
        pipeline = Pipeline(runtime, sources, batch_size=200, watchdog=False)
        pipeline.max_in_flight = 400
        ahead: list[int] = []
        ingest_step, classify_step = pipeline.ingest.step, pipeline.classify.step
        turns = itertools.count()

        def step() -> int:
            done = ingest_step()
            ahead.append(pipeline.classify.lag() + pipeline.route.lag())
            return done

        def slow_classify(timeout_s=None) -> int:  # a classifier at half the source's pace
            return classify_step(timeout_s) if next(turns) % 2 else 0

        pipeline.ingest.step = step
        pipeline.classify.step = slow_classify
        pipeline.run(threading.Event(), until_idle=True)
        pipeline.close()
        markers = 4 * 2  # at most a marker per partition of each raw and classified topic
        assert max(ahead) <= 400 + 200 + markers
        assert pipeline.progress().routed >= 5000 and pipeline.ingest.exhausted
    finally:
        runtime.close()


def test_escalations_do_not_depend_on_when_the_watchdog_looks(shared_data, tmp_path, monkeypatch):
    """The twcs replay with the watchdog looking after every step, and again with no watchdog
    until one look at the end: the same cases (queue, priority and its parts, tags, what was
    escalated) and the same escalation and routing events. The router escalates a case whose due
    time passed before a post it routes, so a replay that runs past a due time between two
    looks decides as a watchdog looking every moment would."""
    import threading

    from sqlalchemy import select

    import socialcare.pipeline
    from route.watchdog import Watchdog
    from socialcare.pipeline import Pipeline
    from socialcare.runtime import Runtime
    from socialcare.settings import Settings
    from socialcare.store.tables import case_events, cases

    monkeypatch.setattr(socialcare.pipeline, "WATCH_EVERY_S", 0.0)
    kept = ("queue", "priority", "priority_parts", "tags", "sla_due", "sla_escalated_due")
    decided = ("escalated", "escalation_retracted", "reprioritized")
    outcomes = []
    for looking in (True, False):
        runtime = Runtime(Settings.resolve(tmp_path / f"home-{looking}"))
        try:
            sources = runtime.sources([f"replay:{shared_data / 'twcs_sample.csv'}"])
            pipeline = Pipeline(runtime, sources, watchdog=looking)
            pipeline.run(threading.Event(), until_idle=True)
            pipeline.close()
            if not looking:
                Watchdog(runtime.engine, runtime.rules).tick()
            with runtime.engine.connect() as conn:
                case_rows = {
                    r.id: tuple(getattr(r, k) for k in (*kept, "sla_escalated_target"))
                    for r in conn.execute(select(cases))
                }
                events = sorted(
                    (e.case_id, e.type, e.actor, json.dumps(_without_event_time(e.data)))
                    for e in conn.execute(
                        select(case_events).where(case_events.c.type.in_(decided))
                    )
                )
            outcomes.append((case_rows, events))
        finally:
            runtime.close()
    (often, often_events), (once, once_events) = outcomes
    escalations = [e for e in often_events if e[1] == "escalated"]
    assert len(escalations) > 100 and len(often) > 1000  # the test proves something
    assert often == once
    assert often_events == once_events


def _without_event_time(data: dict) -> dict:
    """An escalation's data without the event-time clock of whoever decided it (the watchdog's
    clock at its look, or the time of the post the router was routing)."""
    return {k: v for k, v in sorted(data.items()) if k != "event_time"}
