"""SIGKILL a separate-process worker mid-stream, restart it: nothing lost, nothing doubled.

Stages run as their own processes on one --home (the embedded log + SQLite store). The classify
worker and then the router are killed with SIGKILL part-way through the twcs sample, restarted,
and the final cases must equal those of a clean all-in-one run, with no event recorded twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.processes import CLI, assert_same_as_a_clean_run, scalar

ENV = {**os.environ, "SOCIALCARE_EMBEDDED_SESSION_MS": "1500"}


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, *args], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen, timeout: float = 120) -> None:
    _out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]


def wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for progress")
        time.sleep(0.01)


def kill_mid_stream(proc: subprocess.Popen, progress, low: int, total: int) -> int:
    wait_until(lambda: progress() >= low)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done = progress()
    assert done < total, "the worker finished before it could be killed; lower the batch size"
    return done


@pytest.mark.timeout(600)
def test_sigkilled_workers_lose_nothing_and_double_nothing(shared_data, tmp_path):
    csv = shared_data / "twcs_sample.csv"
    total = 5000
    home = tmp_path / "multi"
    bus, store = home / "bus.db", home / "cases.db"
    h = ("--home", str(home))

    finish(start("ingest", "--source", f"replay:{csv}", "--until-idle", *h))
    raw = (  # the triaged lane and the rest; watermark markers (a control header) aside
        "SELECT COUNT(*) FROM messages WHERE topic IN ('mentions.raw', 'mentions.raw.urgent')"
        " AND (headers IS NULL OR headers NOT LIKE '%\"control\"%')"
    )
    assert scalar(bus, raw) == total

    classified = lambda: scalar(  # noqa: E731
        bus,
        "SELECT SUM(next_offset) FROM group_offsets "
        "WHERE grp IN ('classify', 'classify:mentions.raw.urgent')",
    )
    killed_at = kill_mid_stream(
        start("classify", "--worker", "--batch-size", "20", *h), classified, 1000, total
    )
    assert killed_at > 0

    routed = lambda: scalar(store, "SELECT COUNT(*) FROM posts")  # noqa: E731
    router = start("route", "--batch-size", "20", *h)
    classify_again = start("classify", "--worker", "--until-idle", "--idle-seconds", "3", *h)
    kill_mid_stream(router, routed, 300, total)
    finish(classify_again)
    everything_raw = "SELECT SUM(next_offset) FROM log_end WHERE topic IN ('mentions.raw', 'mentions.raw.urgent')"
    assert classified() == scalar(bus, everything_raw)  # every raw message, markers too
    finish(start("route", "--until-idle", "--idle-seconds", "3", *h))
    assert routed() == total

    assert_same_as_a_clean_run(home, csv, tmp_path / "single", ENV)
    # the killed classify batch was re-delivered: at-least-once on the bus, exactly-once effects
    assert (
        scalar(
            bus,
            "SELECT SUM(next_offset) FROM log_end "
            "WHERE topic IN ('mentions.classified', 'mentions.urgent')",
        )
        >= total
    )
