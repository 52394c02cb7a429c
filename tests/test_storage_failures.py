"""A full disk or read-only state: one clear error, exit 1, no traceback, no corrupt state;
after the space comes back, the same command finishes and the result equals a clean run.
Uses a tiny tmpfs, which needs root (as on CI); skipped with the reason elsewhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "socialcare.cli"]


def mount(path: Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip()}); needs root")


@pytest.fixture
def tmpfs(tmp_path):
    """mount(size) → a fresh tmpfs of that size, unmounted after the test."""
    mounted: list[Path] = []

    def make(size: str) -> Path:
        where = tmp_path / f"tmpfs{len(mounted)}"
        mount(where, f"size={size}")
        mounted.append(where)
        return where

    yield make
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)


def cases(home: Path) -> list[dict]:
    out = run("cases", "--home", str(home), "--format", "json").stdout
    # demo traffic is timed from each run's start, so compare what does not depend on the clock
    stable = (
        "id",
        "conversation_id",
        "queue",
        "priority",
        "status",
        "rule_id",
        "account",
        "post_count",
        "post_ids",
        "sentiment",
        "urgency",
        "topic",
        "tags",
    )
    rows = [json.loads(line) for line in out.splitlines()]
    return sorted(({k: row[k] for k in stable} for row in rows), key=lambda c: c["id"])


@pytest.mark.timeout(300)
def test_disk_full_is_a_clear_error_and_a_rerun_with_space_finishes(tmpfs, tmp_path):
    tiny = tmpfs("700k")
    home = tiny / "home"
    args = ["run", "--source", "demo:1500", "--until-idle", "--no-watchdog", "--home", str(home)]
    full = run(*args)
    assert full.returncode == 1, full.stderr[-2000:]
    assert "cannot write state: the disk is full" in full.stderr
    assert "Traceback" not in full.stderr
    subprocess.run(["mount", "-o", "remount,size=200m", str(tiny)], check=True)
    again = run(*args)
    assert again.returncode == 0, again.stderr[-2000:]
    reference = tmp_path / "reference"
    assert run(*args[:-1], str(reference)).returncode == 0
    assert cases(home) == cases(reference)
    audit = run("audit", "--home", str(home))
    assert audit.returncode == 0, audit.stdout


@pytest.mark.timeout(300)
def test_read_only_state_is_a_clear_error(tmpfs):
    tiny = tmpfs("64m")
    home = tiny / "home"
    assert run("run", "--source", "demo:20", "--until-idle", "--home", str(home)).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tiny)], check=True)
    result = run("run", "--source", "demo:40", "--until-idle", "--home", str(home))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "read-only" in result.stderr or "not writable" in result.stderr
