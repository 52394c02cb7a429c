"""Durations as admins write them in rule files: 90s, 15m, 2h, 1d, 1h30m."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*([smhd])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[smhd]\s*)+$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | int) -> timedelta:
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise ValueError(f"a duration is like 15m, 2h or 1d, not {text!r}")
    if isinstance(text, int):
        raise ValueError(f"a duration needs a unit (s, m, h, d): write {text}m or {text}s")
    if not _WHOLE.match(text):
        raise ValueError(f"a duration is like 15m, 2h, 1d or 1h30m, not {text!r}")
    seconds = sum(int(n) * _UNIT[u] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise ValueError("a duration must be longer than zero")
    return timedelta(seconds=seconds)
