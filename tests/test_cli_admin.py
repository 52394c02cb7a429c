"""Admin commands on a real home: replay changes nothing and says what would; audit accounts
for every ingested mention; publish/history/rollback; the watchdog once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from socialcare.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "rules.yaml"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("admin") / "home"
    result = CliRunner().invoke(
        main, ["run", "--source", "demo:120", "--until-idle", "--no-watchdog", "--home", str(home)]
    )
    assert result.exit_code == 0, result.output
    return home


def cases(home: Path) -> str:
    return CliRunner().invoke(main, ["cases", "--home", str(home), "--format", "json"]).output


def test_replay_reports_what_would_change_and_changes_nothing(home):
    before = cases(home)
    result = CliRunner().invoke(
        main, ["rules", "replay", str(EXAMPLE), "--home", str(home), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    n = len(before.splitlines())
    assert report["cases"] == n
    assert sum(v["before"] for v in report["queues"].values()) == n
    assert sum(v["after"] for v in report["queues"].values()) == n
    assert report["queues"]["international"]["after"] > 0  # the demo has non-English posts
    assert report["moved"] > 0 and report["examples"]
    assert set(report["first_response_breaches"]) == {"before", "after"}
    assert cases(home) == before
    text = (
        CliRunner()
        .invoke(
            main, ["rules", "replay", str(EXAMPLE), "--home", str(home), "--since", "2000-01-01"]
        )
        .output
    )
    assert "replayed" in text and "first-response SLA breaches" in text


def test_audit_accounts_for_every_mention(home):
    result = CliRunner().invoke(main, ["audit", "--home", str(home)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["unaccounted"] == 0 and report["in_flight"] == 0
    assert report["ingested"] == (
        report["in_cases"] + report["ignored_with_reason"] + report["brand_posts_without_case"]
    )


def test_audit_lists_a_mention_that_vanished(home, tmp_path):
    import shutil
    import sqlite3

    copy = tmp_path / "copy"
    shutil.copytree(home, copy)
    conn = sqlite3.connect(copy / "cases.db")
    (post_id,) = conn.execute(
        "SELECT post_id FROM posts WHERE case_id IS NOT NULL LIMIT 1"
    ).fetchone()
    conn.execute("DELETE FROM posts WHERE post_id = ?", (post_id,))
    conn.commit()
    conn.close()
    result = CliRunner().invoke(main, ["audit", "--home", str(copy)])
    assert result.exit_code == 1
    assert json.loads(result.output)["missing"] == [
        next(
            f"{net}:{post_id}"
            for net in ("x", "mastodon", "bluesky", "reddit")
            if f"{net}:{post_id}" in result.output
        )
    ]


def test_publish_history_rollback_and_watchdog(home, tmp_path):
    runner = CliRunner()
    h = ["--home", str(home)]
    out = runner.invoke(main, ["rules", "publish", str(EXAMPLE), "--author", "ana", "-m", "v1", *h])
    assert out.exit_code == 0 and out.output.startswith("published version")
    bad = tmp_path / "bad.yaml"
    bad.write_text("queues: {}\n")
    refused = runner.invoke(main, ["rules", "publish", str(bad), "--author", "ana", "-m", "x", *h])
    assert refused.exit_code == 1
    history = [
        json.loads(x) for x in runner.invoke(main, ["rules", "history", *h]).output.splitlines()
    ]
    assert len(history) == 1 and history[0]["author"] == "ana" and history[0]["in_force"]
    missing = runner.invoke(main, ["rules", "rollback", "nope", "--author", "ana", *h])
    assert missing.exit_code == 1 and "no published rule set" in missing.output
    dog = runner.invoke(main, ["watchdog", "--once", *h])
    assert dog.exit_code == 0
    assert set(json.loads(dog.output)) == {
        "warned",
        "escalated",
        "webhook_failures",
        "held_back",
        "escalated_by_router",
        "alerts",
    }
