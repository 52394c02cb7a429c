"""`socialcare report` (response times and SLA, and the listening reports) and `socialcare
mentions`, the drill-down from any listening figure to the posts behind it. The same figures as
the desk's Reports and Listening pages (socialcare/store/reports.py, socialcare/store/listening.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from socialcare.cli.app import echo_json, format_option, main, with_runtime
from socialcare.runtime import Runtime

DATE = click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
RESPONSE_KINDS = ("response", "backlog", "volume")
LISTENING_KINDS = ("voice", "trends", "sentiment", "topics", "networks")
RESPONSE_BY = ("queue", "account", "priority", "topic", "hour", "agent")


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value else None


def _scope(since, until, brand, network, sentiment=None, topic=None, term=None):
    from socialcare.store.listening import Scope

    return Scope(_utc(since), _utc(until), brand, network, sentiment, topic, term)


def _emit(rows: list[dict], fmt: str, label: str, title: str) -> None:
    from socialcare.desk.render import to_csv, to_html

    if fmt == "json":
        for row in rows:
            echo_json(row)
    elif fmt == "csv":
        click.echo(to_csv(rows), nl=False)
    else:
        click.echo(to_html(rows, label, title))


@main.command()
@format_option(("json", "csv", "html"), "json", "json: one object per line.")
@click.option(
    "--kind",
    type=click.Choice(RESPONSE_KINDS + LISTENING_KINDS),
    default="response",
    show_default=True,
    help="response: first response / resolution / SLA; backlog: open cases by age; volume: "
    "cases per day; voice: share of voice per account; trends: rising terms of --brand; "
    "sentiment: sentiment over time; topics: topic mix; networks: mentions per network.",
)
@click.option(
    "--by",
    type=click.Choice((*RESPONSE_BY, "day")),
    default=None,
    help="response: queue (default), account, priority, topic, hour (of day), agent. "
    "voice, sentiment, topics, networks: day or hour (a time series; sentiment defaults to day).",
)
@click.option("--since", type=DATE, help="From this time (UTC): cases opened / posts posted.")
@click.option("--until", type=DATE, help="Before this time (UTC).")
@click.option("--brand", help="Listening: only this account (trends: required).")
@click.option("--network", help="Listening: only this network.")
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="trends: at most this many terms.",
)
@with_runtime()
def report(rt: Runtime, fmt, kind, by, since, until, brand, network, limit) -> None:
    """Response-time, SLA and listening reports: the same figures as the desk's pages."""
    engine = rt.require_store()
    if kind in LISTENING_KINDS:
        from socialcare.store.listening import run_listening

        if by not in (None, "day", "hour"):
            raise click.UsageError(f"--by for --kind {kind} is day or hour")
        rows = run_listening(engine, kind, _scope(since, until, brand, network), by, limit)
        label = {"trends": "term", "networks": "network", "sentiment": "period"}.get(
            kind, "account"
        )
        _emit(rows, fmt, label, f"socialcare {kind} report")
        return
    from socialcare.store.reports import run_report

    if by == "day" or (kind != "response" and (brand or network)):
        raise click.UsageError(
            f"--kind {kind} takes --by {', '.join(RESPONSE_BY)}, no --brand/--network"
        )
    rows, label = run_report(engine, kind, by or "queue", _utc(since), _utc(until))
    _emit(rows, fmt, label, f"socialcare {kind} report by {label}")


@main.command()
@format_option(("json", "table"), "json", "json: one object per line.")
@click.option("--term", help="Mentions containing this word or two-word phrase.")
@click.option("--brand", help="Mentions of this account.")
@click.option("--since", type=DATE, help="Posted at or after (UTC).")
@click.option("--until", type=DATE, help="Posted before (UTC).")
@click.option("--sentiment", type=click.Choice(["positive", "neutral", "negative"]))
@click.option("--topic")
@click.option("--network")
@click.option("--limit", type=click.IntRange(1), help="At most this many, newest first.")
@with_runtime()
def mentions(rt: Runtime, fmt, term, brand, since, until, sentiment, topic, network, limit) -> None:
    """The customer posts behind a listening figure, newest first: given the figure's filters,
    as many as the figure counts."""
    from socialcare.store.listening import mentions as find

    scope = _scope(since, until, brand, network, sentiment, topic, term)
    rows = find(rt.require_store(), scope, limit)
    if fmt == "json":
        for row in rows:
            echo_json(row)
        return
    click.echo(f"{'posted':17} {'network':9} {'account':16} {'sentiment':9} text")
    for r in rows:
        text = " ".join(r["text"].split())[:90]
        click.echo(
            f"{r['created_at'][:16]:17} {r['network']:9} {r['account'][:16]:16} "
            f"{(r['sentiment'] or ''):9} {text}"
        )
