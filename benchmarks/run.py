"""`make bench`: throughput figures, printed as a table and saved as JSON in bench-results/.

Measures, on this machine, one process each:
- classify alone: texts/s through Classifier.classify, batches of 512;
- route alone: classified mentions/s through the router stage (embedded log + SQLite);
- all-in-one: mentions/s through `socialcare run --until-idle` stages in one process.
Peak memory (max RSS) is reported for the whole benchmark process.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classify.classifier import Classifier  # noqa: E402
from ingest.sources.demo import DemoSource  # noqa: E402
from route.ruleset import default_rules  # noqa: E402
from route.worker import RouteStage  # noqa: E402
from socialcare.pipeline import Pipeline  # noqa: E402
from socialcare.settings import Settings  # noqa: E402
from store.db import open_store  # noqa: E402
from stream.bus import TOPIC_CLASSIFIED, OutMessage  # noqa: E402
from stream.embedded import EmbeddedBus  # noqa: E402
from stream.worker import Worker  # noqa: E402


def demo_mentions(conversations: int):
    return DemoSource(conversations).fetch(None, 10**9).mentions


def bench_classify(n_conv: int) -> dict:
    texts = [m.text for m in demo_mentions(n_conv)]
    clf = Classifier()
    start = time.perf_counter()
    for i in range(0, len(texts), 512):
        clf.classify(texts[i : i + 512])
    secs = time.perf_counter() - start
    return {"stage": "classify alone", "items": len(texts), "seconds": secs}


def bench_route(n_conv: int, workdir: Path) -> dict:
    mentions = demo_mentions(n_conv)
    tags = Classifier().classify([m.text for m in mentions])
    bus = EmbeddedBus(workdir / "route-bus.db")
    producer = bus.producer()
    for m, t in zip(mentions, tags, strict=True):
        value = m.model_copy(update={"classification": t}).to_json()
        producer.send(OutMessage(TOPIC_CLASSIFIED, m.conversation_id, value))
    producer.flush()
    engine = open_store(f"sqlite:///{workdir / 'route-cases.db'}")
    rules = default_rules()
    worker = Worker(RouteStage(engine, lambda: rules), bus, poll_timeout_s=0)
    start = time.perf_counter()
    while worker.step(0) or worker.lag():
        pass
    secs = time.perf_counter() - start
    return {"stage": "route alone", "items": len(mentions), "seconds": secs}


def bench_all_in_one(n_conv: int, workdir: Path) -> dict:
    settings = Settings.resolve(workdir / "aio")
    source = DemoSource(n_conv)
    pipeline = Pipeline(settings, [source])
    start = time.perf_counter()
    pipeline.run(threading.Event(), until_idle=True)
    secs = time.perf_counter() - start
    items = pipeline.progress().routed
    pipeline.close()
    return {"stage": "all-in-one embedded", "items": items, "seconds": secs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, fn in [
            ("classify", lambda: bench_classify(args.conversations)),
            ("route", lambda: bench_route(args.conversations, work)),
            ("all-in-one", lambda: bench_all_in_one(args.conversations, work)),
        ]:
            print(f"running {name} …", file=sys.stderr, flush=True)
            r = fn()
            r["per_second"] = r["items"] / r["seconds"]
            results.append(r)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{'stage':24} {'items':>8} {'seconds':>8} {'per second':>11}")
    for r in results:
        print(f"{r['stage']:24} {r['items']:>8} {r['seconds']:>8.2f} {r['per_second']:>11,.0f}")
    print(f"peak memory (max RSS of the benchmark process): {peak_mb:.0f} MB")
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "results": results,
        "peak_rss_mb": peak_mb,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = args.out / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"saved {path}")


if __name__ == "__main__":
    main()
