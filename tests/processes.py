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
    assert cases_of(home, env) == cases_of(reference, env)  # SLA clocks included
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
