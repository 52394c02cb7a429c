"""The one CLI: `socialcare run | ingest | classify | route | desk | cases | dlq | rules`."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path

import click

from socialcare.settings import Settings

log = logging.getLogger("socialcare")


def _settings(home, bus, db, rules=None) -> Settings:
    try:
        return Settings.resolve(home, bus, db, rules)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signum, _frame):
        log.info("signal %s: finishing the current batch, then stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def state_options(f):
    f = click.option(
        "--db", envvar="SOCIALCARE_DB", help="Case store URL (default: sqlite in HOME)"
    )(f)
    f = click.option(
        "--bus",
        envvar="SOCIALCARE_BUS",
        help="Transport URL: embedded:///PATH (default, in HOME) or kafka://HOST:PORT",
    )(f)
    f = click.option(
        "--home",
        envvar="SOCIALCARE_HOME",
        default=".socialcare",
        show_default=True,
        help="Directory holding the embedded log, the SQLite case store and rules.",
    )(f)
    return f


def source_option(f):
    return click.option(
        "--source",
        "sources",
        multiple=True,
        help="demo, demo:COUNT, replay:PATH (.jsonl or twcs .csv), or NETWORK:mentions:ACCOUNT, "
        "NETWORK:search:QUERY for x, mastodon, bluesky, reddit; repeatable.",
    )(f)


def serve_options(f):
    f = click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))(f)
    return click.option("--host", default="127.0.0.1", show_default=True)(f)


def batch_option(f):
    return click.option(
        "--batch-size",
        default=500,
        show_default=True,
        type=click.IntRange(1, 10_000),
        help="Messages per poll.",
    )(f)


def rules_option(f):
    return click.option(
        "--rules",
        "rules_path",
        envvar="SOCIALCARE_RULES",
        type=click.Path(dir_okay=False),
        help="Routing rules YAML (default: HOME/rules.yaml, else the built-in)",
    )(f)


class _Group(click.Group):
    """Turns a storage failure (disk full, read-only state) into one clear line and exit 1."""

    def invoke(self, ctx):
        from socialcare.stream.storage import storage_problem

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
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


def _open_sources(specs, home: Path | None = None):
    from ingest.credentials import configured_sources
    from ingest.sources import SourceSpecError, open_source

    try:
        specs = list(specs) or configured_sources(home)
        if not specs:
            raise click.UsageError(
                "give at least one --source (or list them as [ingest] sources in HOME/config.toml)"
            )
        return [open_source(s, home) for s in specs]
    except (SourceSpecError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="--source") from None


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
    help="Do not warn or escalate (for replaying historical traffic).",
)
@serve_options
@state_options
@rules_option
def run(sources, until_idle, no_desk, no_watchdog, host, port, home, bus, db, rules_path) -> None:
    """Run every stage in one process (and serve the desk unless --until-idle or --no-desk)."""
    from route.ruleset import RuleFileError
    from socialcare.pipeline import Pipeline

    settings = _settings(home, bus, db, rules_path)
    srcs = _open_sources(sources, settings.home)
    try:
        pipeline = Pipeline(settings, srcs, watchdog=not no_watchdog)
    except RuleFileError as exc:
        raise click.ClickException(f"invalid rules:\n{exc}") from None
    except (OSError, ValueError) as exc:  # ValueError: a bad setting such as SOCIALCARE_REPLIES
        raise click.ClickException(str(exc)) from None
    stop = _stop_on_signals()
    serve = not until_idle and not no_desk
    if serve:
        from socialcare.desk.server import serve_in_thread
        from socialcare.store.users import first_admin

        created = first_admin(pipeline.engine, settings.home / "desk-login.txt")
        if created:
            click.echo(
                f"desk: no users yet, so an admin was made: {created} "
                f"(also in {settings.home / 'desk-login.txt'})",
                err=True,
            )

        serve_in_thread(settings, host, port)
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
    help="Show each source's cursor, last success, rate limit and errors, and exit.",
)
@batch_option
@state_options
def ingest(sources, until_idle, status, batch_size, home, bus, db) -> None:
    """Run the ingest stage alone: sources → mentions.raw."""
    from ingest.ingestor import IngestWorker
    from socialcare.store.db import open_store
    from socialcare.store.ingest_state import IngestState
    from socialcare.stream.bus import PIPELINE_TOPICS, open_bus

    settings = _settings(home, bus, db)
    settings.ensure_home()
    if status:
        for row in IngestState(open_store(settings.db_url)).sources():
            click.echo(
                json.dumps(
                    {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
                )
            )
        return
    srcs = _open_sources(sources, settings.home)
    the_bus = open_bus(settings.bus_url)
    the_bus.ensure_topics(PIPELINE_TOPICS)
    worker = IngestWorker(srcs, the_bus, IngestState(open_store(settings.db_url)), batch_size)
    stop = _stop_on_signals()
    try:
        while not stop.is_set():
            if worker.step():
                continue
            if until_idle and worker.exhausted:
                break
            stop.wait(0.2)
    finally:
        worker.close()


def _run_worker(
    stage, settings: Settings, until_idle: bool, idle_s: float, batch_size: int
) -> None:
    from socialcare.stream.bus import PIPELINE_TOPICS, open_bus
    from socialcare.stream.worker import Worker

    the_bus = open_bus(settings.bus_url)
    the_bus.ensure_topics(PIPELINE_TOPICS)
    worker = Worker(stage, the_bus, batch_size=batch_size)
    stop = _stop_on_signals()
    try:
        worker.run(stop, until_idle=until_idle, idle_s=idle_s)
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
    envvar="SOCIALCARE_MODELS",
    help="Directory with one trained model per task (DIR/sentiment, DIR/complaint, "
    "DIR/topic); tasks without one use the default.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Also say why: the sentiment's strongest features (learned model) or VADER score and "
    "care cues (default), and the spam reasons.",
)
@batch_option
@state_options
def classify(
    as_worker, until_idle, idle_seconds, models, explain, batch_size, home, bus, db
) -> None:
    """Classify JSONL from stdin to stdout (one line out per line in), or run the stage."""
    from classify.classifier import Classifier
    from classify.learned import ModelError, load_dir

    try:
        classifier = Classifier(load_dir(models))
    except ModelError as exc:
        raise click.ClickException(str(exc)) from None
    if as_worker:
        from classify.stage import ClassifyStage

        settings = _settings(home, bus, db)
        settings.ensure_home()
        _run_worker(ClassifyStage(classifier), settings, until_idle, idle_seconds, batch_size)
        return
    from classify.stdio import classify_stream
    from socialcare.stream.worker import settle_heap

    settle_heap()
    classify_stream(sys.stdin.buffer, sys.stdout.buffer, classifier, explain)


def _task_options(f):
    f = click.option("--label-column", required=True, help="Column holding the label.")(f)
    f = click.option("--text-column", required=True, help="Column holding the post text.")(f)
    f = click.option(
        "--data",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="A labeled CSV.",
    )(f)
    return click.option(
        "--task", required=True, type=click.Choice(["sentiment", "complaint", "topic"])
    )(f)


@main.command()
@_task_options
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Model directory to write (e.g. models/sentiment).",
)
@click.option(
    "--folds",
    default=5,
    show_default=True,
    type=click.IntRange(0, 20),
    help="Cross-validation folds reported in meta.json (0: none).",
)
@click.option(
    "--features",
    "feature_set",
    type=click.Choice(["words", "words+chars"]),
    help="Feature set [default: words+chars for complaint, words otherwise]; "
    "words+chars is more accurate on small varied data and about 2x slower to score.",
)
def train(task, data, text_column, label_column, out, folds, feature_set) -> None:
    """Train a model for TASK from a labeled CSV and write it to --out."""
    from classify import training
    from classify.dataset import DatasetError, read_labeled
    from classify.learned import ModelError

    try:
        rows = read_labeled(data, text_column, label_column)
        click.echo(
            f"training {task} on {len(rows.texts)} rows ({folds}-fold cross-validation first) …",
            err=True,
        )
        model = training.train(task, rows.texts, rows.labels, folds, feature_set)
        model.save(out)
    except (DatasetError, ModelError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"out": str(out), **model.meta}))


@main.command("eval")
@_task_options
@click.option(
    "--model",
    type=click.Path(file_okay=False, path_type=Path),
    help="A model directory from `train`; without it, the untrained default.",
)
def eval_(task, data, text_column, label_column, model) -> None:
    """Evaluate a model (or the default) on a labeled CSV; prints one JSON object."""
    from classify.dataset import DatasetError
    from classify.evaluate import evaluate
    from classify.learned import ModelError

    try:
        click.echo(json.dumps(evaluate(task, data, text_column, label_column, model)))
    except (DatasetError, ModelError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--until-idle", is_flag=True, help="Exit when nothing is left to route.")
@click.option("--idle-seconds", default=2.0, show_default=True)
@batch_option
@state_options
@rules_option
def route(until_idle, idle_seconds, batch_size, home, bus, db, rules_path) -> None:
    """Run the router stage alone: mentions.classified → cases."""
    from route.provider import rules_provider
    from route.ruleset import RuleFileError
    from route.stage import RouteStage
    from socialcare.store.db import open_store

    settings = _settings(home, bus, db, rules_path)
    settings.ensure_home()
    engine = open_store(settings.db_url)
    try:
        rules = rules_provider(engine, settings.rules_path, settings.home)
    except RuleFileError as exc:
        raise click.ClickException(f"invalid rules:\n{exc}") from None
    stage = RouteStage(engine, rules)
    _run_worker(stage, settings, until_idle, idle_seconds, batch_size)


@main.command()
@click.option(
    "--interval",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.5),
    help="Seconds between checks.",
)
@click.option("--once", is_flag=True, help="Check once and exit.")
@state_options
@rules_option
def watchdog(interval, once, home, bus, db, rules_path) -> None:
    """Warn before SLA breaches and escalate on them (also runs inside `run`)."""
    from route.provider import rules_provider
    from route.watchdog import Watchdog
    from socialcare.store.db import open_store

    settings = _settings(home, bus, db, rules_path)
    settings.ensure_home()
    engine = open_store(settings.db_url)
    dog = Watchdog(engine, rules_provider(engine, settings.rules_path, settings.home))
    stop = _stop_on_signals()
    while True:
        report = dog.tick()
        if once:
            click.echo(
                json.dumps(
                    {
                        "warned": report.warned,
                        "escalated": report.escalated,
                        "webhook_failures": report.webhook_failures,
                    }
                )
            )
            return
        if stop.wait(interval):
            return


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
@state_options
def replies_send(live, loop, interval, home, bus, db) -> None:
    """Post the queued replies that are due (also runs inside `run`)."""
    from ingest.replies import ReplySender, live_from_env
    from socialcare.store.db import open_store

    settings = _settings(home, bus, db)
    settings.ensure_home()
    try:
        live = live_from_env() if live is None else live
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    sender = ReplySender(open_store(settings.db_url), settings.home, live=live)
    stop = _stop_on_signals()
    while True:
        click.echo(json.dumps(sender.send_due()))
        if not loop or stop.wait(interval):
            return


@replies.command("list")
@click.option("--status", type=click.Choice(["queued", "sent", "dry_run", "failed"]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@state_options
def replies_list(status, limit, home, bus, db) -> None:
    """The outbox, newest first, one JSON object per line."""
    from sqlalchemy import select

    from socialcare.store.db import open_store
    from socialcare.store.tables import outbox

    settings = _settings(home, bus, db)
    query = select(outbox).order_by(outbox.c.created_at.desc()).limit(limit)
    if status:
        query = query.where(outbox.c.status == status)
    with open_store(settings.db_url).connect() as conn:
        for row in conn.execute(query):
            click.echo(json.dumps(dict(row._mapping), default=str, ensure_ascii=False))


@main.command()
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1))
@state_options
def audit(limit, home, bus, db) -> None:
    """Prove nothing was dropped: every ingested mention is in a case, ignored with a reason,
    a brand response, or a dead letter. Exit 1 listing any that are none of these."""
    from socialcare.store.audit import audit as run_audit
    from socialcare.store.db import open_store
    from socialcare.stream.bus import (
        TOPIC_CLASSIFIED,
        TOPIC_RAW,
        TOPIC_RAW_URGENT,
        TOPIC_URGENT,
        open_bus,
    )

    settings = _settings(home, bus, db)
    the_bus = open_bus(settings.bus_url)
    lags = [
        the_bus.group_lag(f"classify:{TOPIC_RAW_URGENT}", [TOPIC_RAW_URGENT]),
        the_bus.group_lag("classify", [TOPIC_RAW]),
        the_bus.group_lag(f"route:{TOPIC_URGENT}", [TOPIC_URGENT]),
        the_bus.group_lag("route", [TOPIC_CLASSIFIED]),
    ]
    lag = None if None in lags else sum(lags)
    report = run_audit(open_store(settings.db_url), the_bus, lag, limit)
    click.echo(json.dumps(report, indent=2))
    if not report["ok"]:
        sys.exit(1)


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "html"]),
    default="json",
    show_default=True,
    help="json: one object per line.",
)
@click.option(
    "--by",
    type=click.Choice(["queue", "account", "priority", "topic", "hour", "agent"]),
    default="queue",
    show_default=True,
)
@click.option(
    "--kind",
    type=click.Choice(["response", "backlog", "volume"]),
    default="response",
    show_default=True,
    help="response: first response / resolution / SLA by --by; backlog: open cases "
    "by age; volume: cases and sentiment per day.",
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Cases opened at or after (UTC).",
)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Cases opened before (UTC).",
)
@state_options
def report(fmt, by, kind, since, until, home, bus, db) -> None:
    """Response-time and SLA reports, the same figures as the desk's report page."""
    from datetime import UTC

    from socialcare.desk import reports
    from socialcare.store.db import open_store

    settings = _settings(home, bus, db)
    if db is None and not (settings.home / "cases.db").exists():
        raise click.ClickException(f"no case store in {settings.home}; pass --home or --db")
    engine = open_store(settings.db_url)
    since = since.replace(tzinfo=UTC) if since else None
    until = until.replace(tzinfo=UTC) if until else None
    if kind == "backlog":
        rows, label = reports.backlog_report(engine), "age"
    elif kind == "volume":
        rows, label = reports.volume_report(engine, since, until), "day"
    else:
        rows, label = reports.response_report(engine, by, since, until), by
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row))
    elif fmt == "csv":
        click.echo(reports.to_csv(rows), nl=False)
    else:
        click.echo(reports.to_html(rows, label, f"socialcare {kind} report by {label}"))


@main.command()
@serve_options
@state_options
def desk(host, port, home, bus, db) -> None:
    """Serve the desk (web pages and JSON API) on the case store."""
    from socialcare.desk.server import serve

    settings = _settings(home, bus, db)
    settings.ensure_home()
    click.echo(f"desk: http://{host}:{port}/", err=True)
    serve(settings, host, port)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True
)
@click.option("--queue", help="Only this queue.")
@click.option("--status", type=click.Choice(["open", "claimed", "resolved"]))
@click.option("--limit", type=click.IntRange(1), help="At most this many, highest priority first.")
@state_options
def cases(fmt, queue, status, limit, home, bus, db) -> None:
    """List cases, highest priority first (json: one object per line)."""
    from socialcare.store.cases import list_cases
    from socialcare.store.db import open_store

    settings = _settings(home, bus, db)
    if db is None and not (settings.home / "cases.db").exists():
        raise click.ClickException(
            f"no case store in {settings.home}; run the pipeline first or pass --home/--db"
        )
    rows = list_cases(open_store(settings.db_url), queue, status, limit, with_posts=True)
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    click.echo(f"{'case':17} {'queue':11} {'pri':>3} {'status':8} {'sla due':20} posts  customer")
    for r in rows:
        due = (r["sla_due"] or "")[:19]
        click.echo(
            f"{r['id']:17} {r['queue']:11} {r['priority']:>3} {r['status']:8} {due:20} "
            f"{len(r['post_ids']):>5}  {r['customer_handle']}"
        )


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
@state_options
def user_add(name, role, password_stdin, home, bus, db) -> None:
    """Add a desk user with a role; the password comes from stdin."""
    from socialcare.store.db import open_store
    from socialcare.store.users import UserError, add_user

    password = sys.stdin.readline().rstrip("\r\n")
    settings = _settings(home, bus, db)
    settings.ensure_home()
    try:
        add_user(open_store(settings.db_url), name, role, password)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {name} ({role})", err=True)


@main.group()
def token() -> None:
    """API tokens (sent as Authorization: Bearer TOKEN)."""


@token.command("create")
@click.argument("name")
@state_options
def token_create(name, home, bus, db) -> None:
    """Print a new API token for user NAME (shown once; only its hash is stored)."""
    from socialcare.store.db import open_store
    from socialcare.store.users import UserError, create_token

    try:
        click.echo(create_token(open_store(_settings(home, bus, db).db_url), name))
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def corrections() -> None:
    """Tag corrections agents made on the desk: training data for `socialcare train`."""


@corrections.command("export")
@click.option("--field", required=True, type=click.Choice(["sentiment", "urgency", "topic"]))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV with columns text,label (train with --text-column text --label-column label).",
)
@state_options
def corrections_export(field, out, home, bus, db) -> None:
    from socialcare.desk.reports import to_csv
    from socialcare.store.actions import export_corrections
    from socialcare.store.db import open_store

    rows = export_corrections(open_store(_settings(home, bus, db).db_url), field)
    out.write_text(to_csv(rows) or "text,label\n", encoding="utf-8")
    click.echo(f"{len(rows)} corrected examples written to {out}", err=True)


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
@state_options
def dlq_list(topic, limit, home, bus, db) -> None:
    """Print each dead letter as one JSON object per line."""
    from socialcare.stream.bus import dlq_topic, open_bus
    from socialcare.stream.deadletter import dead_letter_json

    settings = _settings(home, bus, db)
    the_bus = open_bus(settings.bus_url)
    for record in the_bus.read_all(dlq_topic(topic), limit):
        click.echo(dead_letter_json(record))


@main.group()
def rules() -> None:
    """Routing rule files."""


@rules.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def rules_check(file: Path) -> None:
    """Validate FILE: exit 0 if valid, else 1 with one `FILE:LINE: message` per problem."""
    from route.ruleset import RuleFileError, load_rules

    try:
        rs = load_rules(file)
    except RuleFileError as exc:
        for problem in exc.problems:
            click.echo(problem)
        sys.exit(1)
    click.echo(
        f"{file}: ok, version {rs.version}, {len(rs.rules)} rules, {len(rs.queues)} queues",
        err=True,
    )


def _rule_file(file: Path):
    from route.ruleset import RuleFileError, load_rules

    try:
        return load_rules(file)
    except RuleFileError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(1)


@rules.command("publish")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--author", required=True, help="Who publishes (kept in the history).")
@click.option("-m", "--message", required=True, help="Why (kept in the history).")
@state_options
def rules_publish(file, author, message, home, bus, db) -> None:
    """Validate FILE and make it the rule set in force; running routers pick it up."""
    from socialcare.store import rulesets
    from socialcare.store.db import open_store

    _rule_file(file)
    settings = _settings(home, bus, db)
    settings.ensure_home()
    rs = rulesets.publish(
        open_store(settings.db_url), file.read_text(encoding="utf-8"), author, message, str(file)
    )
    click.echo(f"published version {rs.version}")


@rules.command("history")
@state_options
def rules_history(home, bus, db) -> None:
    """Every published version, oldest first, as JSON lines."""
    from socialcare.store import rulesets
    from socialcare.store.db import open_store

    for row in rulesets.history(open_store(_settings(home, bus, db).db_url)):
        click.echo(json.dumps(row))


@rules.command("rollback")
@click.argument("version")
@click.option("--author", required=True)
@click.option("-m", "--message", default="", help="Why (default: 'rollback to VERSION').")
@state_options
def rules_rollback(version, author, message, home, bus, db) -> None:
    """Put an earlier published VERSION back in force (recorded as a new history entry)."""
    from socialcare.store import rulesets
    from socialcare.store.db import open_store

    try:
        rs = rulesets.rollback(
            open_store(_settings(home, bus, db).db_url), version, author, message
        )
    except rulesets.VersionError as exc:
        raise click.ClickException(str(exc)) from None
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
@state_options
@rules_option
def rules_replay(file, since, fmt, examples, home, bus, db, rules_path) -> None:
    """What FILE would change on stored past traffic; changes nothing."""
    from datetime import UTC

    from route.provider import rules_provider
    from route.rule_replay import format_text, replay
    from socialcare.store.db import open_store

    proposed = _rule_file(file)
    settings = _settings(home, bus, db, rules_path)
    engine = open_store(settings.db_url)
    current = rules_provider(engine, settings.rules_path, settings.home)()
    report = replay(
        engine, current, proposed, since.replace(tzinfo=UTC) if since else None, examples
    )
    click.echo(json.dumps(report, indent=2) if fmt == "json" else format_text(report))


if __name__ == "__main__":  # pragma: no cover
    main()
