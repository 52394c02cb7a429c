"""Case events on the bus: orjson's bytes, read back as the stdlib's `json.dumps(default=str)`
wrote them (a datetime in event data stays `str(value)`; integers past 64 bits still go out)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from route.rules import DEFAULT_RULES_PATH, load_rules
from route.stage import RouteStage, _event_json
from socialcare.store.db import open_store
from socialcare.store.tables import case_events
from socialcare.stream.bus import TOPIC_CLASSIFIED, TOPIC_EVENTS, Record
from tests.factories import classified


@pytest.mark.parametrize(
    "data",
    [
        {"post_id": "p1", "opened_at": datetime(2026, 3, 1, 12, 0, tzinfo=UTC)},
        {"reason": "ünïcode \" ' 🚀", "n": 2**70},
        {1: "int key"},
    ],
)
def test_event_bytes_read_back_as_the_stdlib_wrote_them(data):
    payload = {"schema": 1, "case_id": "c1", "type": "created", "data": data}
    assert json.loads(_event_json(payload)) == json.loads(json.dumps(payload, default=str))


def test_each_event_on_the_bus_carries_its_own_time_as_stored(tmp_path):
    """The router writes each distinct event time once per batch; every event still says the
    time its case_events row holds."""
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    rules = load_rules(DEFAULT_RULES_PATH)
    records = [
        Record(TOPIC_CLASSIFIED, 0, i, None, classified(str(i), minutes=i).to_json())
        for i in range(5)
    ]
    out = RouteStage(engine, lambda: rules).process(records)
    sent = [json.loads(m.value) for m in out.messages if m.topic == TOPIC_EVENTS]
    with engine.connect() as conn:
        stored = conn.execute(select(case_events.c.case_id, case_events.c.at)).all()
    assert len(sent) == len(stored) >= 5
    assert sorted((e["case_id"], e["at"]) for e in sent) == sorted(
        (case_id, at.isoformat()) for case_id, at in stored
    )
