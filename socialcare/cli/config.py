"""`socialcare config show`: the effective settings and where each came from."""

from __future__ import annotations

import click

from socialcare.cli.app import echo_json, format_option, main
from socialcare.settings import Settings


@main.group()
def config() -> None:
    """Settings: command-line options, SOCIALCARE_* variables, HOME/config.toml, defaults."""


@config.command("show")
@format_option(("table", "json"), "table")
@click.option("--home", help="The home whose config.toml to read [default: SOCIALCARE_HOME].")
def config_show(fmt, home) -> None:
    """Print every setting's effective value and its source (secrets masked)."""
    settings = Settings.resolve(home=home)
    rows = settings.shown({"home": home})
    if fmt == "json":
        for row in rows:
            echo_json(row)
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        value = "" if r["value"] in (None, "", []) else r["value"]
        click.echo(f"{r['name']:{width}}  {value!s:40}  {r['source']}")
