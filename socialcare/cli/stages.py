"""Commands that run the pipeline: `run` (every stage in one process), each stage alone
(`ingest`, `classify`, `route`, `watchdog`), the desk, and the reply sender."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from socialcare.cli.app import (
    batch_option,
    echo_json,
    main,
    serve_options,
    source_option,
    stop_on_signals,
    with_runtime,
)
from socialcare.errors import NotFoundError
from socialcare.runtime import Runtime
from socialcare.stream.worker import Stage, Worker, run_loop, settle_heap

#: the router's batch, at most: each batch costs five look-up queries, a commit, a flush and an
#: offset commit whatever its size, and one router alone on Kafka catching up a backlog
#: (benchmarks/kafka_router.py) did 3,415-3,622 posts/s with 500, 3,609-4,168/s with 2,000;
#: a batch is only that large when that much is waiting, so it adds nothing at a steady rate
ROUTE_BATCH = 2000


def _print_progress(p) -> None:
    click.echo(
        f"ingested {p.ingested}  classified {p.classified}  routed {p.routed}  "
        f"dead letters {p.dead_letters}",
        err=True,
    )


@main.command()
@source_option
@click.option(
    "--until-idle", is_flag=True, help="Exit 0 once every input message has been fully processed."
)
@click.option("--no-desk", is_flag=True, help="Do not serve the desk.")
@click.option(
    "--no-watchdog",
    is_flag=True,
    help="Do not run the watchdog: no warnings, no webhook, and a case is escalated only when "
    "a post routed later shows its due time passed (the watchdog decides in event time: see "
    "README).",
)
@serve_options
@with_runtime(rules=True)
def run(rt: Runtime, sources, until_idle, no_desk, no_watchdog, host, port) -> None:
    """Run every stage in one process (and serve the desk unless --until-idle or --no-desk)."""
    from socialcare.pipeline import Pipeline

    pipeline = Pipeline(rt, rt.sources(sources), watchdog=not no_watchdog)
    stop = stop_on_signals()
    if not until_idle and not no_desk:
        from socialcare.desk.server import serve_in_thread
        from socialcare.store.users import first_admin

        note = rt.home / "desk-login.txt"
        created = first_admin(rt.engine, note)
        if created:
            click.echo(
                f"desk: no users yet, so an admin was made: {created} (also in {note})", err=True
            )
        serve_in_thread(rt, host, port)
        click.echo(f"desk: http://{host}:{port}/  (Ctrl-C to stop)", err=True)
    try:
        pipeline.run(stop, until_idle=until_idle, on_progress=_print_progress)
    finally:
        pipeline.close()


@main.command()
@source_option
@click.option("--until-idle", is_flag=True, help="Exit once every source has nothing new.")
@click.option(
    "--status",
    is_flag=True,
    help="Show each source's cursor, health and watermarks, whether it holds SLA decisions "
    "back, and up to when SLA decisions are taken per network; then exit.",
)
@click.option(
    "--retire",
    metavar="SOURCE",
    help="Mark a source that is no longer run (as --status names it) so it holds nothing back.",
)
@batch_option()
@with_runtime()
def ingest(rt: Runtime, sources, until_idle, status, retire, batch_size) -> None:
    """Run the ingest stage alone: sources → mentions.raw."""
    from ingest.ingestor import IngestWorker
    from socialcare.store.ingest_state import IngestState

    if retire:
        if not IngestState(rt.engine).retire(retire):
            raise NotFoundError(f"no source {retire!r}; see `socialcare ingest --status`")
        click.echo(f"retired {retire}: it no longer holds SLA decisions back", err=True)
        return
    if status:
        from datetime import timedelta

        from route.event_time import status as source_status
        from socialcare.stream.schema import utcnow

        lag = timedelta(minutes=rt.settings.source_lag_alert_minutes)
        with rt.engine.connect() as conn:
            for row in source_status(conn, utcnow(), lag):
                echo_json(row)
        return
    worker = IngestWorker(rt.sources(sources), rt.bus, IngestState(rt.engine), batch_size)
    try:
        run_loop(
            worker.step, stop_on_signals(), (lambda: worker.exhausted) if until_idle else None, 0.2
        )
    finally:
        worker.close()


def _run_worker(rt: Runtime, stage: Stage, until_idle: bool, idle_s: float, batch: int) -> None:
    worker = Worker(stage, rt.bus, batch_size=batch)
    try:
        worker.run(stop_on_signals(), until_idle=until_idle, idle_s=idle_s)
    finally:
        worker.close()
        s = worker.stats
        click.echo(
            f"{stage.name}: processed {s.processed}, dead letters {s.dead_letters}, "
            f"retries {s.retries}",
            err=True,
        )


@main.command()
@click.option(
    "--worker",
    "as_worker",
    is_flag=True,
    help="Run the classify stage (mentions.raw → mentions.classified) instead of "
    "classifying JSONL from stdin.",
)
@click.option("--until-idle", is_flag=True, help="With --worker: exit when nothing is left.")
@click.option("--idle-seconds", default=2.0, show_default=True)
@click.option(
    "--models",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory with one trained model per task (DIR/sentiment, DIR/complaint, "
    "DIR/topic); tasks without one use the default [default: SOCIALCARE_MODELS, else the "
    "versions in force in the case store, followed as they change].",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Also say why: the sentiment's strongest features (learned model) or VADER score and "
    "care cues (default), and the spam reasons.",
)
@batch_option()
@with_runtime()
def classify(rt: Runtime, as_worker, until_idle, idle_seconds, models, explain, batch_size) -> None:
    """Classify JSONL from stdin to stdout (one line out per line in), or run the stage."""
    classifier = rt.classifier(models)
    if as_worker:
        from classify.stage import ClassifyStage

        _run_worker(rt, ClassifyStage(classifier), until_idle, idle_seconds, batch_size)
        return
    from classify.stdio import classify_stream

    settle_heap()
    classify_stream(sys.stdin.buffer, sys.stdout.buffer, classifier(), explain)


@main.command()
@click.option("--until-idle", is_flag=True, help="Exit when nothing is left to route.")
@click.option("--idle-seconds", default=2.0, show_default=True)
@batch_option(ROUTE_BATCH)
@with_runtime(rules=True)
def route(rt: Runtime, until_idle, idle_seconds, batch_size) -> None:
    """Run the router stage alone: mentions.classified → cases."""
    from route.stage import RouteStage

    rt.checkpoint_in_background()
    _run_worker(rt, RouteStage(rt.engine, rt.rules), until_idle, idle_seconds, batch_size)


@main.command()
@click.option(
    "--interval",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.5),
    help="Seconds between checks.",
)
@click.option("--once", is_flag=True, help="Check once and exit.")
@with_runtime(rules=True)
def watchdog(rt: Runtime, interval, once) -> None:
    """Warn before SLA breaches and escalate on them (also runs inside `run`). On the embedded
    log it also deletes, every ten minutes, what SOCIALCARE_LOG_RETENTION_HOURS lets go."""
    from route.watchdog import Watchdog
    from socialcare.stream.retention import retention_of

    dog = Watchdog(rt.engine, rt.rules, webhook_url=rt.settings.webhook_url)
    embedded = rt.settings.bus_url.startswith("embedded:")  # Kafka keeps its own retention
    retention = retention_of(rt.bus, rt.settings.log_retention_hours) if embedded else None
    stop = stop_on_signals()
    while True:
        if retention is not None:
            retention.tick()
        report = dog.tick()
        if once:
            echo_json(report.summary())
            return
        if stop.wait(interval):
            return


@main.command()
@click.option(
    "--interval", default=5.0, show_default=True, type=click.FloatRange(0.5), help="Seconds."
)
@click.option("--once", is_flag=True, help="One round, then exit.")
@with_runtime(rules=True)
def assign(rt: Runtime, interval, once) -> None:
    """Give waiting cases to online agents by priority, capacity and skills (also in `run`)."""
    from datetime import timedelta

    from route.assigner import Assigner

    assigner = Assigner(rt.engine, rt.rules, timedelta(minutes=rt.settings.desk_idle_away_minutes))
    stop = stop_on_signals()
    while True:
        result = assigner.tick()
        if once or result.given:
            echo_json(
                {
                    "given": [{"case_id": c, "to": a} for c, a in result.given],
                    "waiting": result.waiting,
                }
            )
        if once or stop.wait(interval):
            return


@main.command()
@serve_options
@with_runtime(rules=True)
def desk(rt: Runtime, host, port) -> None:
    """Serve the desk (web pages and JSON API) on the case store."""
    from socialcare.desk.server import serve

    click.echo(f"desk: http://{host}:{port}/", err=True)
    serve(rt, host, port)


@main.group()
def replies() -> None:
    """Agents' replies: the outbox, and posting it through the networks' adapters."""


@replies.command("send")
@click.option(
    "--live/--dry-run",
    default=None,
    help="Post for real, or only mark as dry run [default: SOCIALCARE_REPLIES, else dry run].",
)
@click.option("--loop", is_flag=True, help="Keep sending every --interval seconds.")
@click.option("--interval", default=10.0, show_default=True, type=click.FloatRange(0.5))
@with_runtime()
def replies_send(rt: Runtime, live, loop, interval) -> None:
    """Post the queued replies that are due (also runs inside `run`)."""
    sender = rt.replies
    if live is not None:
        sender.live = live
    stop = stop_on_signals()
    while True:
        click.echo(json.dumps(sender.send_due()))
        if not loop or stop.wait(interval):
            return


@replies.command("list")
@click.option("--status", type=click.Choice(["queued", "sent", "dry_run", "failed"]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@with_runtime()
def replies_list(rt: Runtime, status, limit) -> None:
    """The outbox, newest first, one JSON object per line."""
    from socialcare.store.outbox import list_replies

    for row in list_replies(rt.engine, status, limit):
        echo_json(row)


@main.group("log")
def log_() -> None:
    """The embedded log (HOME/bus.db): what it keeps."""


@log_.command("prune")
@click.option(
    "--older-than",
    required=True,
    help="Delete messages written longer ago than this (like 7d or 12h).",
)
@with_runtime()
def log_prune(rt: Runtime, older_than) -> None:
    """Delete old messages nothing needs any more: in the pipeline's topics those every
    consumer group has committed past, in `care.events` by age alone (a broker's retention);
    dead letters stay (the audit reads them). The file keeps its size and reuses the space."""
    from route.durations import parse_duration
    from socialcare.stream.embedded import EmbeddedBus
    from socialcare.stream.retention import prune_log

    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    bus = rt.bus
    if not isinstance(bus, EmbeddedBus):
        raise click.ClickException("the log is Kafka: its brokers' retention.ms applies")
    deleted = prune_log(bus, age)
    echo_json({"deleted": deleted, "older_than": older_than})
