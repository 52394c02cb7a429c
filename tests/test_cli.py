"""The command-line contract other checks build on."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from route.rules import DEFAULT_RULES_PATH
from socialcare.cli import main
from socialcare.stream.bus import CONSUMED_TOPICS, TOPIC_EVENTS
from socialcare.stream.embedded import EmbeddedBus

CLI = [sys.executable, "-m", "socialcare.cli"]


def test_run_demo_until_idle_then_cases_json_has_the_contract_fields(tmp_path: Path):
    home = tmp_path / "h"
    runner = CliRunner()
    result = runner.invoke(
        main, ["run", "--source", "demo:60", "--until-idle", "--home", str(home)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["cases", "--home", str(home), "--format", "json"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert 40 <= len(rows) <= 60
    for row in rows:
        for key in (
            "id",
            "conversation_id",
            "queue",
            "priority",
            "status",
            "sla_due",
            "post_ids",
            "first_response_at",
        ):
            assert key in row
    assert [r["priority"] for r in rows] == sorted((r["priority"] for r in rows), reverse=True)
    assert {r["queue"] for r in rows} >= {"complaints", "questions"}


def test_cases_without_a_store_is_a_clear_error(tmp_path: Path):
    result = CliRunner().invoke(main, ["cases", "--home", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no case store" in result.output


def test_bad_source_spec_is_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(main, ["run", "--source", "ftp:x", "--home", str(tmp_path)])
    assert result.exit_code == 2 and "unknown source" in result.output


def test_rules_check_exit_codes_and_line_messages(tmp_path: Path):
    ok = CliRunner().invoke(main, ["rules", "check", str(DEFAULT_RULES_PATH)])
    assert ok.exit_code == 0
    broken = tmp_path / "rules.yaml"
    text = DEFAULT_RULES_PATH.read_text().replace("queue: urgent,", "queue: urgnt,", 1)
    broken.write_text(text)
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "urgnt" in x)
    result = CliRunner().invoke(main, ["rules", "check", str(broken)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{broken}:{line}: queue 'urgnt' does not exist (queues: urgent, complaints, questions, "
        "praise, spam)"
    ]


def test_run_refuses_an_invalid_rules_file(tmp_path: Path):
    bad = tmp_path / "r.yaml"
    bad.write_text("queues: {}\n")
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--source",
            "demo:1",
            "--until-idle",
            "--home",
            str(tmp_path / "h"),
            "--rules",
            str(bad),
        ],
    )
    assert result.exit_code == 1 and "invalid rules" in result.output


def test_classify_stdin_one_line_out_per_line_in():
    lines = [
        json.dumps({"text": "flight cancelled, stranded at the airport with my kids"}),
        "not json",
        "",
        json.dumps({"text": "thank you so much, amazing crew!", "id": 7}),
        json.dumps({"nope": 1}),
        json.dumps({"text": "\ud83d\ude00" * 5000}),
    ]
    proc = subprocess.run(
        [*CLI, "classify"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["sentiment"]["label"] == "negative" and out[0]["urgency"]["level"] in (
        "high",
        "critical",
    )
    assert "error" in out[1] and "error" in out[2] and "error" in out[4]
    assert out[3]["sentiment"]["label"] == "positive" and out[3]["id"] == 7
    assert {"sentiment", "urgency", "topic", "spam"} <= set(out[5])


def test_batch_size_defaults_per_stage_and_out_of_range_is_a_usage_error(tmp_path: Path):
    from socialcare.cli.stages import ROUTE_BATCH

    route = CliRunner().invoke(main, ["route", "--help"])
    classify = CliRunner().invoke(main, ["classify", "--help"])
    assert f"default: {ROUTE_BATCH};" in route.output and ROUTE_BATCH > 500
    assert "default: 500;" in classify.output
    bad = CliRunner().invoke(main, ["route", "--batch-size", "0", "--home", str(tmp_path)])
    assert bad.exit_code == 2 and "--batch-size" in bad.output


def _run_demo(runner: CliRunner, home: Path, env: dict[str, str] | None = None) -> EmbeddedBus:
    """`run --source demo:40 --until-idle` on `home`; its embedded log."""
    ran = runner.invoke(
        main, ["run", "--source", "demo:40", "--until-idle", "--home", str(home)], env=env
    )
    assert ran.exit_code == 0, ran.output
    return EmbeddedBus(home / "bus.db")


def _consumed(bus: EmbeddedBus) -> int:
    return sum(len(bus.read_all(t)) for t in CONSUMED_TOPICS)


def test_log_prune_keeps_what_the_audit_and_the_pipeline_need(tmp_path: Path):
    home, runner = tmp_path / "h", CliRunner()
    bus = _run_demo(runner, home)
    before = {t: len(bus.read_all(t)) for t in bus.topics()}
    bad = runner.invoke(main, ["log", "prune", "--older-than", "soon", "--home", str(home)])
    assert bad.exit_code == 2 and "--older-than" in bad.output
    time.sleep(1.1)
    pruned = runner.invoke(main, ["log", "prune", "--older-than", "1s", "--home", str(home)])
    assert pruned.exit_code == 0, pruned.output
    after = {t: len(bus.read_all(t)) for t in bus.topics()}
    assert json.loads(pruned.stdout)["deleted"] == sum(before.values()) - sum(after.values()) > 0
    assert after["mentions.raw"] == after["mentions.classified"] == after["care.events"] == 0
    assert all(after[t] == n for t, n in before.items() if t.endswith(".dlq"))
    audit = runner.invoke(main, ["audit", "--home", str(home)])
    assert audit.exit_code == 0, audit.output  # every mention is still accounted for
    _run_demo(runner, home)
    assert len(bus.read_all("mentions.raw")) > 0  # the log goes on after the gap


def test_run_prunes_the_log_by_its_retention_setting(tmp_path: Path):
    home, runner = tmp_path / "h", CliRunner()
    bus = _run_demo(runner, home, {"SOCIALCARE_LOG_RETENTION_HOURS": "0"})
    first = {t: len(bus.read_all(t)) for t in bus.topics()}
    assert first["mentions.raw"] > 0 and first["care.events"] > 0
    time.sleep(1.2)
    second_started_ms = int(time.time() * 1000)
    _run_demo(runner, home, {"SOCIALCARE_LOG_RETENTION_HOURS": str(1 / 3600)})
    for topic in (*CONSUMED_TOPICS, TOPIC_EVENTS):  # the first run's messages are gone
        assert all(r.timestamp_ms >= second_started_ms for r in bus.read_all(topic)), topic
    assert len(bus.read_all("mentions.raw")) > 0  # the second run's are there
    for topic in (t for t in first if t.endswith(".dlq")):  # dead letters stay
        assert len(bus.read_all(topic)) >= first[topic]
    audit = runner.invoke(main, ["audit", "--home", str(home)])
    assert audit.exit_code == 0, audit.output


def test_the_watchdog_prunes_the_log_for_stages_run_apart(tmp_path: Path):
    home, runner = tmp_path / "h", CliRunner()
    bus = _run_demo(runner, home)
    assert _consumed(bus) > 0
    time.sleep(1.2)
    look = ["watchdog", "--once", "--home", str(home)]
    kept = runner.invoke(main, look, env={"SOCIALCARE_LOG_RETENTION_HOURS": "0"})
    assert kept.exit_code == 0, kept.output
    assert _consumed(bus) > 0
    pruned = runner.invoke(main, look, env={"SOCIALCARE_LOG_RETENTION_HOURS": str(1 / 3600)})
    assert pruned.exit_code == 0, pruned.output
    assert _consumed(bus) == 0  # every message was consumed
