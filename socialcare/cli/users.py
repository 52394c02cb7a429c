"""`socialcare user` and `socialcare token`: desk users, their roles and API tokens. Access can
be taken back: disabling a user ends their sessions and stops their tokens at once; a token can
be revoked, or made to expire."""

from __future__ import annotations

import sys

import click

from socialcare.cli.app import echo_json, main, with_runtime
from socialcare.runtime import Runtime

ROLE = click.Choice(["agent", "admin", "analyst"])


def _password_from_stdin() -> str:
    return sys.stdin.readline().rstrip("\r\n")


@main.group()
def user() -> None:
    """Desk users."""


CAPACITY = click.option(
    "--capacity",
    type=click.IntRange(0, 1000),
    help="Most open cases the assigner gives the agent at once [default: 5].",
)
SKILLS = click.option(
    "--skills",
    help="Comma-separated languages, queues and networks the agent covers (es,urgent,mastodon).",
)


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=ROLE)
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from the command line).",
)
@CAPACITY
@SKILLS
@with_runtime()
def user_add(rt: Runtime, name, role, password_stdin, capacity, skills) -> None:
    """Add a desk user with a role; the password comes from stdin."""
    from socialcare.store.users import add_user

    add_user(rt.engine, name, role, _password_from_stdin(), capacity, skills)
    click.echo(f"added {name} ({role})", err=True)


@user.command("set")
@click.argument("name")
@CAPACITY
@SKILLS
@with_runtime()
def user_set(rt: Runtime, name, capacity, skills) -> None:
    """Change an agent's capacity or skills."""
    from socialcare.store.users import set_agent

    if capacity is None and skills is None:
        raise click.UsageError("give --capacity and/or --skills")
    set_agent(rt.engine, name, capacity, skills)
    click.echo(f"{name} updated", err=True)


@user.command("presence")
@click.argument("name")
@click.argument("status", type=click.Choice(["online", "away", "offline"]))
@with_runtime()
def user_presence(rt: Runtime, name, status) -> None:
    """Set an agent's presence (offline hands back the cases they have not touched)."""
    from socialcare.store.assignment import change_presence
    from socialcare.stream.schema import utcnow

    back = change_presence(rt.engine, name, status, utcnow())
    click.echo(
        f"{name} is {status}" + (f"; {len(back)} cases handed back" if back else ""), err=True
    )


@user.command("list")
@with_runtime()
def user_list(rt: Runtime) -> None:
    """Every user, with role and state, one JSON object per line."""
    from socialcare.store.users import list_users

    for row in list_users(rt.engine):
        echo_json(row)


@user.command("disable")
@click.argument("name")
@with_runtime()
def user_disable(rt: Runtime, name) -> None:
    """NAME can no longer sign in; their sessions and API tokens stop working at once."""
    from socialcare.store.users import disable_user

    disable_user(rt.engine, name)
    click.echo(f"disabled {name}: sessions ended, tokens refused", err=True)


@user.command("enable")
@click.argument("name")
@with_runtime()
def user_enable(rt: Runtime, name) -> None:
    """NAME can sign in again (tokens not revoked work again)."""
    from socialcare.store.users import enable_user

    enable_user(rt.engine, name)
    click.echo(f"enabled {name}", err=True)


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, required=True, help="Read it from stdin.")
@with_runtime()
def user_passwd(rt: Runtime, name, password_stdin) -> None:
    """Set NAME's password (from stdin); every session of NAME ends."""
    from socialcare.store.users import set_password

    set_password(rt.engine, name, _password_from_stdin())
    click.echo(f"password of {name} changed; their sessions ended", err=True)


@user.command("role")
@click.argument("name")
@click.argument("role", type=ROLE)
@with_runtime()
def user_role(rt: Runtime, name, role) -> None:
    """Give NAME another role (it applies to their next request)."""
    from socialcare.store.users import set_role

    set_role(rt.engine, name, role)
    click.echo(f"{name} is now {role}", err=True)


@main.group()
def token() -> None:
    """API tokens (sent as Authorization: Bearer TOKEN)."""


@token.command("create")
@click.argument("name")
@click.option(
    "--expires",
    metavar="DURATION",
    help="Make it expire after this long: 30d, 12h, 90m (default: until revoked).",
)
@with_runtime()
def token_create(rt: Runtime, name, expires) -> None:
    """Print a new API token for user NAME (shown once; only its hash is stored)."""
    from route.durations import parse_duration
    from socialcare.store.users import create_token, token_hash, token_id

    try:
        lasts = parse_duration(expires) if expires else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--expires") from None
    secret = create_token(rt.engine, name, lasts)
    click.echo(secret)
    click.echo(
        f"token id {token_id(token_hash(secret))}"
        + (f", expires in {expires}" if expires else "")
        + " (revoke with `socialcare token revoke ID`)",
        err=True,
    )


@token.command("list")
@click.argument("name")
@with_runtime()
def token_list(rt: Runtime, name) -> None:
    """NAME's tokens: id, created, expires (never the token itself)."""
    from socialcare.store.users import list_tokens

    for row in list_tokens(rt.engine, name):
        echo_json(row)


@token.command("revoke")
@click.argument("token_id")
@with_runtime()
def token_revoke(rt: Runtime, token_id) -> None:
    """Revoke the token with this id (from `token list`); it stops working at once."""
    from socialcare.store.users import revoke_token

    owner = revoke_token(rt.engine, token_id)
    click.echo(f"revoked token {token_id} of {owner}", err=True)
