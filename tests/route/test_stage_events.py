"""Case events on the bus: orjson's bytes, read back as the stdlib's `json.dumps(default=str)`
wrote them (a datetime in event data stays `str(value)`; integers past 64 bits still go out)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from route.stage import _event_json


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
