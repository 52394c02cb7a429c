"""Report figures on the replayed twcs sample equal an independent computation from the raw
file: first response = the first brand reply after the customer's first post."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest

from tests.twcs_truth import conversations

CLI = [sys.executable, "-m", "socialcare.cli"]


@pytest.fixture(scope="module")
def home(shared_data, tmp_path_factory):
    home = tmp_path_factory.mktemp("reports") / "home"
    subprocess.run(
        [
            *CLI,
            "run",
            "--source",
            f"replay:{shared_data / 'twcs_sample.csv'}",
            "--until-idle",
            "--no-watchdog",
            "--home",
            str(home),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return home


def report(home, *args: str) -> str:
    return subprocess.run(
        [*CLI, "report", "--home", str(home), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


def test_first_response_by_account_matches_the_raw_file(home, shared_data):
    rows = [json.loads(x) for x in report(home, "--format", "json", "--by", "account").splitlines()]
    by_account = {r["account"]: r for r in rows}
    truth: dict[str, list[float]] = defaultdict(list)
    for conv in conversations(shared_data / "twcs_sample.csv").values():
        if conv["first_response_at"] is not None:
            seconds = (conv["first_response_at"] - conv["first_customer_at"]).total_seconds()
            truth[conv["responder"]].append(seconds)
    assert truth, "the sample has answered conversations"
    for account, seconds in truth.items():
        row = by_account[account]
        assert row["answered"] == len(seconds), account
        assert row["first_response_median_s"] == pytest.approx(np.percentile(seconds, 50))
        assert row["first_response_p90_s"] == pytest.approx(np.percentile(seconds, 90))
    for row in rows:
        for key in (
            "account",
            "cases",
            "first_response_median_s",
            "first_response_p90_s",
            "resolution_median_s",
            "sla_attainment",
        ):
            assert key in row
    total = sum(
        len(c["inbound"]) > 0 for c in conversations(shared_data / "twcs_sample.csv").values()
    )
    assert sum(r["cases"] for r in rows) == total


def test_csv_html_and_other_views(home):
    parsed = list(csv.DictReader(io.StringIO(report(home, "--format", "csv", "--by", "hour"))))
    assert parsed and all(len(r["hour"]) == 2 for r in parsed)
    html = report(home, "--format", "html", "--by", "queue")
    assert html.startswith("<!doctype html>") and 'class="bars"' in html
    volume = [json.loads(x) for x in report(home, "--kind", "volume").splitlines()]
    assert [v["day"] for v in volume] == sorted(v["day"] for v in volume)
    assert sum(v["cases"] for v in volume) == sum(int(r["cases"]) for r in parsed)
    backlog = [json.loads(x) for x in report(home, "--kind", "backlog").splitlines()]
    assert sum(b["open_cases"] for b in backlog) > 1000  # nothing resolved in a replay
    dated = report(home, "--since", "2017-10-31", "--until", "2017-11-01", "--by", "priority")
    assert dated.strip()
