"""`socialcare user` and `socialcare token`: desk users, their roles and API tokens."""

from __future__ import annotations

import sys

import click

from socialcare.cli.app import main, with_runtime
from socialcare.runtime import Runtime


@main.group()
def user() -> None:
    """Desk users."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["agent", "admin", "analyst"]))
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from the command line).",
)
@with_runtime()
def user_add(rt: Runtime, name, role, password_stdin) -> None:
    """Add a desk user with a role; the password comes from stdin."""
    from socialcare.store.users import add_user

    add_user(rt.engine, name, role, sys.stdin.readline().rstrip("\r\n"))
    click.echo(f"added {name} ({role})", err=True)


@main.group()
def token() -> None:
    """API tokens (sent as Authorization: Bearer TOKEN)."""


@token.command("create")
@click.argument("name")
@with_runtime()
def token_create(rt: Runtime, name) -> None:
    """Print a new API token for user NAME (shown once; only its hash is stored)."""
    from socialcare.store.users import create_token

    click.echo(create_token(rt.engine, name))
