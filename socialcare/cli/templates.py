"""`socialcare templates`: saved replies and macros (route/saved_replies.py): check a file,
publish it, read the history, roll back."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from socialcare.cli.app import echo_json, main, with_runtime
from socialcare.runtime import Runtime


@main.group()
def templates() -> None:
    """Saved replies and macros."""


def _load_or_exit(file: Path, to_stderr: bool):
    from route.saved_replies import SavedRepliesError, load

    try:
        return load(file)
    except SavedRepliesError as exc:
        for problem in exc.problems:
            click.echo(problem, err=to_stderr)
        sys.exit(1)


@templates.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def templates_check(file: Path) -> None:
    """Validate FILE: exit 0 if valid, else 1 with one `FILE:LINE: message` per problem."""
    saved = _load_or_exit(file, to_stderr=False)
    click.echo(
        f"{file}: ok, version {saved.version}, {len(saved.templates)} saved replies, "
        f"{len(saved.macros)} macros",
        err=True,
    )


@templates.command("publish")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--author", required=True)
@click.option("-m", "--message", required=True)
@with_runtime()
def templates_publish(rt: Runtime, file, author, message) -> None:
    """Validate FILE and put it in force on every desk."""
    from route.publishing import publish_text
    from route.saved_replies import parse
    from socialcare.store.saved_replies import SAVED_REPLIES

    _load_or_exit(file, to_stderr=True)
    saved = publish_text(
        rt.engine,
        SAVED_REPLIES,
        parse,
        file.read_text(encoding="utf-8"),
        author,
        message,
        str(file),
    )
    click.echo(f"published version {saved.version}")


@templates.command("history")
@with_runtime()
def templates_history(rt: Runtime) -> None:
    """Every published version, oldest first, as JSON lines."""
    from socialcare.store.saved_replies import SAVED_REPLIES

    for row in SAVED_REPLIES.history(rt.engine):
        echo_json(row)


@templates.command("rollback")
@click.argument("version")
@click.option("--author", required=True)
@click.option("-m", "--message", default="")
@with_runtime()
def templates_rollback(rt: Runtime, version, author, message) -> None:
    """Put an earlier published VERSION back in force."""
    from route.publishing import rollback_text
    from route.saved_replies import parse
    from socialcare.store.saved_replies import SAVED_REPLIES

    saved = rollback_text(rt.engine, SAVED_REPLIES, parse, version, author, message)
    click.echo(f"version {saved.version} is in force again")
