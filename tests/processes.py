"""Helpers for tests that run socialcare as separate processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
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
