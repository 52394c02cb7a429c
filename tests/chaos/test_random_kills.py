"""Chaos: workers SIGKILLed at random moments, many times, and restarted, while the twcs sample
flows through separate processes (ingest, two classify workers, two routers). Afterwards every
mention is in exactly one case, no effect is doubled, and every case (SLA clocks included)
equals the one a clean, single-process run produces.

`make test` runs a short round (SOCIALCARE_CHAOS_KILLS, default 4 kills); `make chaos` runs a
long one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import pytest

from tests.processes import CLI, assert_same_as_a_clean_run, scalar

KILLS = int(os.environ.get("SOCIALCARE_CHAOS_KILLS", "4"))


@pytest.mark.timeout(1800)
def test_random_sigkills_change_nothing(shared_data, tmp_path):
    rng = random.Random(int(os.environ.get("SOCIALCARE_CHAOS_SEED", "7")))
    csv = shared_data / "twcs_sample.csv"
    env = {**os.environ, "SOCIALCARE_EMBEDDED_SESSION_MS": "1500"}
    home = tmp_path / "chaos"
    h = ["--home", str(home)]
    roles = {
        "ingest": [*CLI, "ingest", "--source", f"replay:{csv}", "--batch-size", "100", *h],
        "classify-a": [*CLI, "classify", "--worker", "--batch-size", "25", *h],
        "classify-b": [*CLI, "classify", "--worker", "--batch-size", "25", *h],
        "route-a": [*CLI, "route", "--batch-size", "25", *h],
        "route-b": [*CLI, "route", "--batch-size", "25", *h],
    }
    procs = {
        name: subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name, cmd in roles.items()
    }
    store = home / "cases.db"
    total = 5000
    kills = 0
    deadline = time.monotonic() + 1500
    try:
        while scalar(store, "SELECT COUNT(*) FROM posts") < total:
            assert time.monotonic() < deadline, "the pipeline did not finish"
            time.sleep(rng.uniform(0.05, max(0.1, 5.0 / KILLS)))  # more kills, closer together
            if kills < KILLS:
                name = rng.choice(sorted(roles))
                procs[name].send_signal(signal.SIGKILL)
                procs[name].wait(timeout=30)
                kills += 1
                procs[name] = subprocess.Popen(
                    roles[name], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            for name, proc in procs.items():  # ingest exits when done; nothing else may
                if proc.poll() is not None and name != "ingest":
                    raise AssertionError(f"{name} exited with {proc.returncode}")
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=60)
    assert kills == KILLS

    assert_same_as_a_clean_run(home, csv, tmp_path / "reference", env)
