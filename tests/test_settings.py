"""Settings: one typed object; command line > env > HOME/config.toml > defaults; the example
config names every network setting; `config show` masks secrets and says where each came from."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from socialcare.cli import main
from socialcare.errors import ConfigError
from socialcare.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = ("x", "mastodon", "bluesky", "reddit")


def test_env_wins_over_the_config_file_and_options_win_over_env(tmp_path, monkeypatch):
    shutil.copy(ROOT / "examples" / "config.toml", tmp_path / "config.toml")
    monkeypatch.delenv("SOCIALCARE_MASTODON_API_URL", raising=False)
    assert Settings.resolve(tmp_path).network("mastodon").get("api_url") == (
        "https://mastodon.social"
    )
    monkeypatch.setenv("SOCIALCARE_MASTODON_API_URL", "https://eu.test")
    assert Settings.resolve(tmp_path).mastodon_api_url == "https://eu.test"
    monkeypatch.setenv("SOCIALCARE_PARTITIONS", "9")
    assert Settings.resolve(tmp_path).partitions == 9
    assert Settings.resolve(tmp_path, partitions=3).partitions == 3


def test_bad_settings_are_clear_errors(tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text("[x\nbearer_token = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.resolve(tmp_path)
    (tmp_path / "config.toml").write_text("")
    monkeypatch.setenv("SOCIALCARE_PARTITIONS", "many")
    with pytest.raises(ConfigError, match="SOCIALCARE_PARTITIONS"):
        Settings.resolve(tmp_path)
    monkeypatch.delenv("SOCIALCARE_PARTITIONS")
    monkeypatch.setenv("SOCIALCARE_REPLIES", "yolo")
    with pytest.raises(ConfigError, match="SOCIALCARE_REPLIES"):
        Settings.resolve(tmp_path)


def test_the_example_config_lists_every_network_setting():
    example = tomllib.loads((ROOT / "examples" / "config.toml").read_text())
    listed = {f"{net}_{key}" for net, table in example.items() for key in table}
    networked = {name for name in Settings.model_fields if name.split("_", 1)[0] in NETWORKS}
    optional = {f"{n}_poll_seconds" for n in NETWORKS} | {
        "x_api_url",
        "bluesky_api_url",
        "reddit_oauth_url",
        "reddit_www_url",
    }
    assert len(networked) >= 16
    assert networked - optional <= listed, networked - optional - listed


def test_a_home_with_url_characters_keeps_log_and_store_inside_it(tmp_path):
    home = tmp_path / "we%ird?home#1"
    ran = CliRunner().invoke(
        main, ["run", "--source", "demo:3", "--until-idle", "--home", str(home)]
    )
    assert ran.exit_code == 0, ran.output
    assert (home / "cases.db").is_file() and (home / "bus.db").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [home.name]


def test_a_bad_bus_url_is_a_clear_error(tmp_path):
    bad = CliRunner().invoke(
        main, ["dlq", "list", "--home", str(tmp_path), "--bus", "kafka://h:9x"]
    )
    assert bad.exit_code == 2 and "kafka://HOST:PORT" in bad.output


def test_config_show_masks_secrets_and_names_sources(tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text('[x]\nbearer_token = "very-secret"\n')
    monkeypatch.setenv("SOCIALCARE_KAFKA_REPLICATION", "3")
    monkeypatch.setenv("SOCIALCARE_DB", "postgresql://u:hunter2@db/care")
    out = CliRunner().invoke(main, ["config", "show", "--home", str(tmp_path), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert "very-secret" not in out.output and "hunter2" not in out.output
    rows = {r["name"]: r for r in map(json.loads, out.output.splitlines())}
    assert rows["x_bearer_token"]["value"] == "********"
    assert rows["x_bearer_token"]["source"].endswith("config.toml")
    assert rows["kafka_replication"] == {
        **rows["kafka_replication"],
        "value": 3,
        "source": "env SOCIALCARE_KAFKA_REPLICATION",
    }
    assert rows["partitions"]["source"] == "default"
    assert rows["home"]["source"] == "command line"


def test_sources_come_from_the_config_file_when_none_are_given(tmp_path):
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


def test_workers_starting_together_on_one_home_all_find_it_writable(tmp_path):
    """Workers started at once each probe the home; one's probe must not fail another's."""
    from concurrent.futures import ThreadPoolExecutor

    settings = Settings(home=tmp_path / "home")

    def start(_: int) -> None:
        for _ in range(200):
            settings.ensure_home()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(start, range(8)))  # re-raises a StorageError from any thread
    assert not list((tmp_path / "home").glob(".write-probe*"))
