"""`socialcare rules`: check, publish, history, rollback and replay routing rule files."""

from __future__ import annotations

import json
import sys
from datetime import UTC
from pathlib import Path

import click

from socialcare.cli.app import echo_json, main, with_runtime
from socialcare.runtime import Runtime


@main.group()
def rules() -> None:
    """Routing rule files."""


def _load_or_exit(file: Path, to_stderr: bool):
    """The rule file compiled, or its problems printed one `FILE:LINE: message` a line and
    exit 1."""
    from route.rules import RuleFileError, load_rules

    try:
        return load_rules(file)
    except RuleFileError as exc:
        for problem in exc.problems:
            click.echo(problem, err=to_stderr)
        sys.exit(1)


@rules.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def rules_check(file: Path) -> None:
    """Validate FILE: exit 0 if valid, else 1 with one `FILE:LINE: message` per problem."""
    rs = _load_or_exit(file, to_stderr=False)
    click.echo(
        f"{file}: ok, version {rs.version}, {len(rs.rules)} rules, {len(rs.queues)} queues",
        err=True,
    )


@rules.command("publish")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--author", required=True, help="Who publishes (kept in the history).")
@click.option("-m", "--message", required=True, help="Why (kept in the history).")
@with_runtime()
def rules_publish(rt: Runtime, file, author, message) -> None:
    """Validate FILE and make it the rule set in force; running routers pick it up."""
    from route.publishing import publish

    _load_or_exit(file, to_stderr=True)
    rs = publish(rt.engine, file.read_text(encoding="utf-8"), author, message, str(file))
    click.echo(f"published version {rs.version}")


@rules.command("history")
@with_runtime()
def rules_history(rt: Runtime) -> None:
    """Every published version, oldest first, as JSON lines."""
    from socialcare.store import rulesets

    for row in rulesets.history(rt.engine):
        echo_json(row)


@rules.command("rollback")
@click.argument("version")
@click.option("--author", required=True)
@click.option("-m", "--message", default="", help="Why (default: 'rollback to VERSION').")
@with_runtime()
def rules_rollback(rt: Runtime, version, author, message) -> None:
    """Put an earlier published VERSION back in force (recorded as a new history entry)."""
    from route.publishing import rollback

    rs = rollback(rt.engine, version, author, message)
    click.echo(f"version {rs.version} is in force again")


@rules.command("replay")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only cases opened since this date (UTC).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--examples", default=10, show_default=True, type=click.IntRange(0, 1000))
@with_runtime(rules=True)
def rules_replay(rt: Runtime, file, since, fmt, examples) -> None:
    """What FILE would change on stored past traffic; changes nothing."""
    from route.rule_replay import format_text, replay

    proposed = _load_or_exit(file, to_stderr=True)
    report = replay(
        rt.engine, rt.rules(), proposed, since.replace(tzinfo=UTC) if since else None, examples
    )
    click.echo(json.dumps(report, indent=2) if fmt == "json" else format_text(report))
