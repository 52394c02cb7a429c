"""Commands that read what the pipeline made: cases, the audit, dead letters, and the agents'
tag corrections (reports: socialcare/cli/reports.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from socialcare.cli.app import echo_json, format_option, main, with_runtime
from socialcare.runtime import Runtime


@main.command()
@format_option(("json", "table"), "table")
@click.option("--queue", help="Only this queue.")
@click.option("--status", type=click.Choice(["open", "claimed", "resolved"]))
@click.option("--limit", type=click.IntRange(1), help="At most this many, highest priority first.")
@with_runtime()
def cases(rt: Runtime, fmt, queue, status, limit) -> None:
    """List cases, highest priority first (json: one object per line)."""
    from socialcare.store.cases import list_cases

    rows = list_cases(rt.require_store(), queue, status, limit, with_posts=True)
    if fmt == "json":
        for row in rows:
            echo_json(row)
        return
    click.echo(f"{'case':17} {'queue':11} {'pri':>3} {'status':8} {'sla due':20} posts  customer")
    for r in rows:
        due = (r["sla_due"] or "")[:19]
        click.echo(
            f"{r['id']:17} {r['queue']:11} {r['priority']:>3} {r['status']:8} {due:20} "
            f"{len(r['post_ids']):>5}  {r['customer_handle']}"
        )


@main.command()
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1))
@with_runtime()
def audit(rt: Runtime, limit) -> None:
    """Prove nothing was dropped: every ingested mention is in a case, ignored with a reason,
    a brand response, or a dead letter. Exit 1 listing any that are none of these."""
    import json

    from classify.stage import ClassifyStage
    from route.stage import RouteStage
    from socialcare.store.audit import audit as run_audit

    lags = [
        rt.bus.group_lag(group, [topic])
        for stage in (ClassifyStage, RouteStage)
        for group, topic in stage.groups()
    ]
    lag = None if None in lags else sum(lags)
    report = run_audit(rt.engine, rt.bus, lag, limit)
    click.echo(json.dumps(report, indent=2))
    if not report["ok"]:
        sys.exit(1)


@main.group()
def dlq() -> None:
    """Dead letters: what could not be parsed or processed, with the reason."""


@dlq.command("list")
@click.option(
    "--topic",
    default="mentions.raw",
    show_default=True,
    help="The topic whose dead letters to show (reads TOPIC.dlq).",
)
@click.option("--limit", type=click.IntRange(1), default=None)
@with_runtime()
def dlq_list(rt: Runtime, topic, limit) -> None:
    """Print each dead letter as one JSON object per line."""
    from socialcare.stream.bus import dlq_topic
    from socialcare.stream.deadletter import dead_letter_json

    for record in rt.bus.read_all(dlq_topic(topic), limit):
        click.echo(dead_letter_json(record))


@main.group()
def corrections() -> None:
    """Tag corrections agents made on the desk (or imported): what the classifier learns from
    (`socialcare models retrain`)."""


@corrections.command("import")
@click.option("--field", required=True, type=click.Choice(["sentiment", "urgency", "topic"]))
@click.option("--data", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--text-column", required=True)
@click.option("--label-column", required=True)
@click.option(
    "--author", default="import", show_default=True, help="Recorded as the agent who made them."
)
@with_runtime()
def corrections_import(rt: Runtime, field, data, text_column, label_column, author) -> None:
    """Add labeled rows as corrections, as if agents had made them (all or none: a bad label
    refuses the file and names the rows)."""
    from classify.dataset import read_labeled
    from socialcare.store.corrections import import_rows
    from socialcare.stream.schema import utcnow

    rows = read_labeled(data, text_column, label_column)
    added = import_rows(
        rt.engine,
        field,
        list(zip(rows.texts, rows.labels, strict=True)),
        author,
        f"import:{data.name}",
        utcnow(),
    )
    click.echo(
        f"{added} {field} corrections imported from {data}"
        + (f" ({rows.skipped} rows without a label skipped)" if rows.skipped else ""),
        err=True,
    )


@corrections.command("discard")
@click.option("--field", required=True, type=click.Choice(["sentiment", "urgency", "topic"]))
@click.option("--source", help="An import's source, as `models retrain` names it (import:FILE).")
@click.option("--agent", help="Only the corrections recorded under this agent (or --author).")
@with_runtime()
def corrections_discard(rt: Runtime, field, source, agent) -> None:
    """Delete a wrong batch of corrections (one import, or one agent's) so the next retrain
    neither trains on them nor is refused because of them."""
    from socialcare.store.corrections import discard

    removed = discard(rt.require_store(), field, source, agent)
    click.echo(f"{removed} {field} corrections discarded", err=True)


@corrections.command("export")
@click.option("--field", required=True, type=click.Choice(["sentiment", "urgency", "topic"]))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV with columns text,label (train with --text-column text --label-column label).",
)
@with_runtime()
def corrections_export(rt: Runtime, field, out) -> None:
    """Write every usable correction (the latest per case, and imported rows) as text,label."""
    from socialcare.desk.render import to_csv
    from socialcare.store.corrections import export as export_corrections

    rows = export_corrections(rt.engine, field)
    out.write_text(to_csv(rows) or "text,label\n", encoding="utf-8")
    click.echo(f"{len(rows)} corrected examples written to {out}", err=True)
