"""The `socialcare` command group, the options commands share, and the one place where errors
become exit codes.

Commands only parse options and hand a `Runtime` (settings, bus, store, rules, built on first use
and closed once) to the code that does the work. A `SocialcareError` becomes one clear line and
its kind's exit code (see socialcare/errors.py); a storage failure (disk full, read-only state)
becomes one clear line and exit 1.
"""

from __future__ import annotations

import functools
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import click

from socialcare.errors import SocialcareError, storage_problem
from socialcare.runtime import Runtime

log = logging.getLogger("socialcare")


class _Group(click.Group):
    """Maps errors to exit codes, once for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except SocialcareError as exc:
            error = click.ClickException(str(exc))
            error.exit_code = exc.exit_code
            raise error from None
        except Exception as exc:
            reason = storage_problem(exc)
            if reason is None:
                raise
            raise click.ClickException(
                f"cannot write state: {reason}. What was committed is intact: "
                "free space or fix permissions and run the same command again; it resumes "
                "where it stopped."
            ) from None


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.version_option(package_name="socialcare")
def main(verbose: bool) -> None:
    """socialcare: every brand mention heard, classified and routed as a case."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: the loop finishes its batch, then stops."""
    stop = threading.Event()

    def handle(signum, _frame):
        log.info("signal %s: finishing the current batch, then stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def with_runtime(rules: bool = False) -> Callable:
    """Give a command --home, --bus, --db (and --rules), and call it with a `Runtime` built from
    them as its first argument, closed when the command returns."""

    def decorate(f: Callable) -> Callable:
        @functools.wraps(f)
        def command(*args: Any, home=None, bus=None, db=None, rules_path=None, **kwargs: Any):
            runtime = Runtime.from_options(home=home, bus=bus, db=db, rules=rules_path)
            try:
                return f(runtime, *args, **kwargs)
            finally:
                runtime.close()

        command = click.option("--db", help="Case store URL (default: SQLite in HOME).")(command)
        command = click.option(
            "--bus", help="Transport: embedded:///PATH (default, in HOME) or kafka://HOST:PORT."
        )(command)
        command = click.option(
            "--home",
            help="Directory of the embedded log, the SQLite case store, rules.yaml and "
            "config.toml [default: SOCIALCARE_HOME, else ./.socialcare].",
        )(command)
        if rules:
            command = click.option(
                "--rules",
                "rules_path",
                type=click.Path(dir_okay=False),
                help="Routing rules YAML (default: the published version, else HOME/rules.yaml, "
                "else the built-in).",
            )(command)
        return command

    return decorate


def source_option(f: Callable) -> Callable:
    return click.option(
        "--source",
        "sources",
        multiple=True,
        help="demo, demo:COUNT, replay:PATH (.jsonl or twcs .csv), or NETWORK:mentions:ACCOUNT, "
        "NETWORK:search:QUERY for x, mastodon, bluesky, reddit; repeatable.",
    )(f)


def serve_options(f: Callable) -> Callable:
    f = click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))(f)
    return click.option("--host", default="127.0.0.1", show_default=True)(f)


def batch_option(default: int = 500) -> Callable[[Callable], Callable]:
    return click.option(
        "--batch-size",
        default=default,
        show_default=True,
        type=click.IntRange(1, 10_000),
        help="Messages per poll, at most.",
    )


def format_option(choices: tuple[str, ...], default: str, help: str | None = None) -> Callable:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help=help,
    )


def echo_json(row: Any) -> None:
    """One JSON object per line (dates as ISO text)."""
    click.echo(json.dumps(row, default=_iso, ensure_ascii=False))


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
