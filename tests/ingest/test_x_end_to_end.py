"""The X source end to end: `socialcare ingest` against a fake X API on 127.0.0.1 (through
SOCIALCARE_X_API_URL), SIGKILLed mid-way and restarted; every mention arrives once, and a later
poll takes only what is new."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.ingest.fake_x import FakeX
from tests.ingest.x_api import tweet

CLI = [sys.executable, "-m", "socialcare.cli"]


def conversation_tweets(first: int, count: int) -> list[dict]:
    out = []
    for i in range(first, first + count):
        if i % 4 == 1:  # the brand answers the post before
            out.append(
                tweet(i, author="1", text="@maya_r sorry, DM us", conv=i - 1, reply_to=i - 1)
            )
        else:
            out.append(tweet(i, text=f"@AcmeAir still no bag, day {i % 9} 😡"))
    return out


@pytest.mark.timeout(300)
def test_killed_and_restarted_ingest_delivers_every_mention_once(tmp_path):
    fake = FakeX(conversation_tweets(1000, 200))
    home = tmp_path / "home"
    env = {
        **os.environ,
        "SOCIALCARE_X_API_URL": fake.url,
        "SOCIALCARE_X_BEARER_TOKEN": "test-token",
        "SOCIALCARE_X_POLL_SECONDS": "0.2",
        "SOCIALCARE_BRAND_HANDLES": "AcmeAir",
    }
    cmd = [*CLI, "ingest", "--source", "x:mentions:AcmeAir", "--home", str(home)]
    try:
        doomed = subprocess.Popen([*cmd, "--batch-size", "25"], env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(fake.requests) < 9 and time.monotonic() < deadline:
            time.sleep(0.01)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=30)
        served_before_kill = len(fake.requests)
        assert served_before_kill < 22, "the whole poll finished before the kill"
        subprocess.run(
            [*cmd, "--until-idle"], env=env, check=True, timeout=120, capture_output=True
        )
        fake.add(conversation_tweets(1200, 7))
        since_before = [r for r in fake.requests if "since_id" in r]
        subprocess.run(
            [*cmd, "--until-idle"], env=env, check=True, timeout=120, capture_output=True
        )
        for stage in ("classify", "route"):
            extra = ["--worker"] if stage == "classify" else []
            subprocess.run(
                [*CLI, stage, *extra, "--until-idle", "--idle-seconds", "1", "--home", str(home)],
                env=env,
                check=True,
                timeout=120,
                capture_output=True,
            )
    finally:
        fake.stop()
    conn = sqlite3.connect(home / "cases.db")
    stored = sorted(int(p) for (p,) in conn.execute("SELECT post_id FROM posts"))
    brand = conn.execute("SELECT COUNT(*) FROM posts WHERE from_brand").fetchone()[0]
    created = conn.execute("SELECT COUNT(*) FROM case_events WHERE type='created'").fetchone()[0]
    cases = conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    lines = subprocess.run(
        [*CLI, "ingest", "--status", "--home", str(home)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    status = json.loads(lines[0])  # the source; then the SLA clock of each network
    assert json.loads(lines[-1])["network"] == "x"
    conn.close()
    assert stored == list(range(1000, 1200)) + list(range(1200, 1207))
    assert brand == sum(1 for i in stored if i % 4 == 1)
    assert created == cases
    assert len([r for r in fake.requests if "since_id" in r]) > len(since_before)
    assert json.loads(status["cursor"])["since"] == "1206"
    assert status["error_count"] == 0 and status["last_success_at"]
    assert "test-token" not in json.dumps(status)


def test_the_token_never_reaches_the_logs_even_in_debug(tmp_path):
    fake = FakeX(conversation_tweets(1, 12))
    env = {
        **os.environ,
        "SOCIALCARE_X_API_URL": fake.url,
        "SOCIALCARE_X_BEARER_TOKEN": "test-token",
    }
    try:
        out = subprocess.run(
            [
                *CLI,
                "-v",
                "ingest",
                "--source",
                "x:mentions:AcmeAir",
                "--until-idle",
                "--home",
                str(tmp_path / "h"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        fake.stop()
    assert out.returncode == 0, out.stderr[-2000:]
    assert "DEBUG ingest.sources.polling: x:mentions:AcmeAir: page of 10 posts" in out.stderr
    assert "test-token" not in out.stderr + out.stdout
