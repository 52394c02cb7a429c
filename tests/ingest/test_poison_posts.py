"""One poison post never halts ingest (issue 15, part 2): a timestamp out of range in a replay
becomes a dead letter with its reason, the rest flows, and `audit` accounts for everything; a
source that fails outright is reported by `audit`, which then exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from socialcare.cli import main
from socialcare.store.db import open_store
from socialcare.store.ingest_state import IngestState, SourceOutcome
from tests.factories import mention_dict

TWCS_HEADER = (
    "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def audit(home: Path) -> tuple[int, dict]:
    result = run("audit", "--home", str(home))
    return result.exit_code, json.loads(result.output)


@pytest.mark.parametrize(
    "bad_time", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1900-01-01T00:00:00Z"]
)
def test_a_jsonl_line_with_a_time_out_of_range_is_a_dead_letter(tmp_path, bad_time):
    lines = [
        mention_dict("1", created_at="2026-11-01T10:00:00Z", text="my bag is lost"),
        mention_dict("2", created_at=bad_time, text="poison"),
        mention_dict("3", created_at="2026-11-01T10:05:00Z", text="refund please"),
    ]
    file = tmp_path / "in.jsonl"
    file.write_text("".join(json.dumps(x) + "\n" for x in lines))
    home = tmp_path / "home"
    result = run("run", "--source", f"replay:{file}", "--until-idle", "--home", str(home))
    assert result.exit_code == 0, result.output
    code, report = audit(home)
    assert code == 0, report
    assert report["ingested"] == 2 and report["in_cases"] == 2 and report["rejected_at_ingest"] == 1
    dead = [json.loads(x) for x in run("dlq", "list", "--home", str(home)).output.splitlines()]
    assert len(dead) == 1 and dead[0]["line"] == "2" and "out of range" in dead[0]["error"]


def test_twcs_rows_with_year_one_or_an_infinite_parent_are_dead_letters(tmp_path):
    file = tmp_path / "twcs.csv"
    file.write_text(
        TWCS_HEADER
        + "1,maya,True,Tue Oct 31 22:10:47 +0100 0001,@AcmeAir year one,,\n"
        + "2,maya,True,Tue Oct 31 22:11:47 +0000 2017,@AcmeAir infinite parent,,inf\n"
        + "3,maya,True,Tue Oct 31 22:12:47 +0000 2017,@AcmeAir fine,4,\n"
        + "4,AcmeAir,False,Tue Oct 31 22:13:47 +0000 2017,@maya sorry,,3\n"
    )
    home = tmp_path / "home"
    result = run("run", "--source", f"replay:{file}", "--until-idle", "--home", str(home))
    assert result.exit_code == 0, result.output
    code, report = audit(home)
    assert code == 0, report
    assert report["ingested"] == 2 and report["rejected_at_ingest"] == 2
    reasons = " ".join(
        json.loads(x)["error"] for x in run("dlq", "list", "--home", str(home)).output.splitlines()
    )
    assert "out of range" in reasons and "in_response_to_tweet_id" in reasons


def test_a_source_that_fails_outright_does_not_halt_run_and_audit_says_so(tmp_path):
    file = tmp_path / "not-twcs.csv"
    file.write_text("a,b\n1,2\n")
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(mention_dict("1", created_at="2026-11-01T10:00:00Z")) + "\n")
    home = tmp_path / "home"
    result = run(
        "run",
        "--source",
        f"replay:{file}",
        "--source",
        f"replay:{good}",
        "--until-idle",
        "--home",
        str(home),
    )
    assert result.exit_code == 0, result.output
    code, report = audit(home)
    assert code == 1
    assert report["in_cases"] == 1  # the other source flowed
    (problem,) = report["sources_failing_or_stalled"]
    assert problem["problem"] == "failing" and "missing columns" in problem["last_error"]


def test_a_replay_that_stopped_before_its_end_fails_the_audit(tmp_path):
    home = tmp_path / "home"
    engine = open_store(f"sqlite:///{home / 'cases.db'}")
    IngestState(engine).commit(
        "replay:/data/big.csv", '{"line": 10}', [], 0, SourceOutcome(finite=True, finished=False)
    )
    code, report = audit(home)
    assert code == 1 and report["sources_failing_or_stalled"][0]["problem"].startswith("stalled")
