"""Credentials: env vars win over HOME/config.toml; the example config names every key read."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from ingest.credentials import credential

ROOT = Path(__file__).resolve().parents[2]


def test_env_wins_over_the_config_file(tmp_path, monkeypatch):
    shutil.copy(ROOT / "examples" / "config.toml", tmp_path / "config.toml")
    monkeypatch.delenv("SOCIALCARE_MASTODON_API_URL", raising=False)
    assert credential("mastodon", "api_url", tmp_path) == "https://mastodon.social"
    monkeypatch.setenv("SOCIALCARE_MASTODON_API_URL", "https://eu.test")
    assert credential("mastodon", "api_url", tmp_path) == "https://eu.test"
    assert credential("reddit", "nothing", tmp_path) == ""


def test_a_broken_config_file_is_a_clear_error(tmp_path):
    (tmp_path / "config.toml").write_text("[x\nbearer_token = 1")
    with pytest.raises(ValueError, match="not valid TOML"):
        credential("x", "bearer_token", tmp_path)


def test_the_example_config_lists_every_key_the_code_reads():
    example = tomllib.loads((ROOT / "examples" / "config.toml").read_text())
    source = "".join(p.read_text() for p in (ROOT / "ingest").rglob("*.py"))
    read = set(re.findall(r'credential\(\s*"(\w+)",\s*"(\w+)"', source))
    assert len(read) >= 12  # the scan itself still finds the calls
    listed = {(net, key) for net, table in example.items() for key in table}
    optional = {("bluesky", "api_url"), ("reddit", "oauth_url"), ("reddit", "www_url")}
    assert read - optional <= listed, read - listed


def test_sources_come_from_the_config_file_when_none_are_given(tmp_path):
    from click.testing import CliRunner

    from socialcare.cli import main

    runner = CliRunner()
    none = runner.invoke(main, ["ingest", "--until-idle", "--home", str(tmp_path)])
    assert none.exit_code == 2 and "[ingest] sources" in none.output
    (tmp_path / "config.toml").write_text('[ingest]\nsources = ["demo:3"]\n')
    ran = runner.invoke(main, ["ingest", "--until-idle", "--home", str(tmp_path)])
    assert ran.exit_code == 0, ran.output
    status = runner.invoke(main, ["ingest", "--status", "--home", str(tmp_path)])
    assert "demo" in status.output
    (tmp_path / "config.toml").write_text("[ingest]\nsources = 3\n")
    bad = runner.invoke(main, ["ingest", "--until-idle", "--home", str(tmp_path)])
    assert bad.exit_code == 2 and "must be a list" in bad.output
