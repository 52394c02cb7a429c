"""Helpers for tests that run socialcare as separate processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

CLI = [sys.executable, "-m", "socialcare.cli"]
VOLATILE = {"created_at", "updated_at"}  # when this process wrote the row, not what it says


def cases_of(home: Path, env: dict | None = None) -> list[dict]:
    """Every case of a home, as `socialcare cases --format json` prints it, by id."""
    out = subprocess.run(
        [*CLI, "cases", "--home", str(home), "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    return sorted(
        ({k: v for k, v in r.items() if k not in VOLATILE} for r in rows), key=lambda c: c["id"]
    )


def scalar(db: Path, sql: str) -> int:
    """One number from a SQLite file another process is writing (0 while it does not exist)."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(db, timeout=30)
        try:
            return conn.execute(sql).fetchone()[0] or 0
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def assert_same_as_a_clean_run(home: Path, csv: Path, reference: Path, env: dict) -> None:
    """The cases of `home` (built by processes that were killed and restarted) equal those of a
    clean single-process run over the same file, and no effect was recorded twice."""
    subprocess.run(
        [
            *CLI,
            "run",
            "--source",
            f"replay:{csv}",
            "--until-idle",
            "--no-watchdog",
            "--home",
            str(reference),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    got, want = cases_of(home, env), cases_of(reference, env)
    assert got == want, case_differences(got, want)  # SLA clocks included
    conn = sqlite3.connect(home / "cases.db")
    try:
        effects = conn.execute(
            "SELECT case_id, type, json_extract(data, '$.post_id') FROM case_events"
            " WHERE type IN ('created', 'replied', 'post_added')"
        ).fetchall()
    finally:
        conn.close()
    doubled = [e for e, n in Counter(effects).items() if n > 1]
    assert doubled == []


def case_differences(got: list[dict], want: list[dict], show: int = 5) -> str:
    """What differs between two lists of cases (as `cases_of` gives them), for a failure
    message: the ids on one side only, then each differing case's fields, both ways."""
    by_id_got, by_id_want = {c["id"]: c for c in got}, {c["id"]: c for c in want}
    lines = [f"{len(got)} cases against {len(want)} in the clean run"]
    for label, ids in (
        ("only here", sorted(by_id_got.keys() - by_id_want.keys())),
        ("only in the clean run", sorted(by_id_want.keys() - by_id_got.keys())),
    ):
        if ids:
            lines.append(f"{label}: {len(ids)}, e.g. {ids[:show]}")
    differing = [
        i for i in sorted(by_id_got.keys() & by_id_want.keys()) if by_id_got[i] != by_id_want[i]
    ]
    lines.append(f"{len(differing)} cases differ")
    for case_id in differing[:show]:
        a, b = by_id_got[case_id], by_id_want[case_id]
        fields = {
            k: (a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)
        }
        lines.append(f"  {case_id}: {fields}")
    return "\n".join(lines)
