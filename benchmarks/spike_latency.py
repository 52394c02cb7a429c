"""Spike and latency runs on the embedded transport (printed, and saved as JSON by run.py).

spike:   N mentions land on the raw topics at once (triaged as the ingest worker does: a
         possibly critical post on mentions.raw.urgent); classify and route drain the backlog
         in one process. Reports when the critical cases became visible in the case store (relative
         to the start) against when the whole backlog was done.
latency: mentions arrive at a steady rate for a while, produced by a second thread; reports
         p50/p95/p99 from a mention entering the bus to its post being stored in a case.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from classify.stage import ClassifyStage
from classify.triage import raw_topic
from ingest.sources.demo import DemoSource
from route.rules import default_rules
from route.stage import RouteStage
from socialcare.store.db import open_store
from socialcare.store.reports import percentile
from socialcare.store.tables import cases, posts
from socialcare.stream.bus import PIPELINE_TOPICS, OutMessage
from socialcare.stream.embedded import EmbeddedBus
from socialcare.stream.worker import Worker, settle_heap


def _stages(work: Path):
    bus = EmbeddedBus(work / "bus.db")
    bus.ensure_topics(PIPELINE_TOPICS)
    engine = open_store(f"sqlite:///{work / 'cases.db'}")
    rules = default_rules()
    classify = Worker(ClassifyStage(), bus, poll_timeout_s=0)
    route = Worker(RouteStage(engine, lambda: rules), bus, poll_timeout_s=0)
    return bus, engine, classify, route


def spike(conversations: int = 50_000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bus, engine, classify, route = _stages(work)
        mentions = DemoSource(conversations, seed=5).fetch(None, 10**9).mentions
        producer = bus.producer()
        for m in mentions:
            producer.send(OutMessage(raw_topic(m), m.conversation_id, m.to_json()))
        producer.flush()
        settle_heap()
        start = datetime.now(UTC)
        t0 = time.perf_counter()
        while classify.step(0) + route.step(0) or classify.lag() or route.lag():
            pass
        drained = time.perf_counter() - t0
        with engine.connect() as conn:
            rows = conn.execute(select(cases.c.urgency, cases.c.created_at)).all()
        crit = sorted(
            (r.created_at - start).total_seconds() for r in rows if r.urgency == "critical"
        )
        every = sorted((r.created_at - start).total_seconds() for r in rows)
        return {
            "mentions": len(mentions),
            "cases": len(rows),
            "critical_cases": len(crit),
            "drain_s": round(drained, 2),
            "critical_visible_p50_s": round(percentile(crit, 50) or 0, 2),
            "critical_visible_max_s": round(max(crit, default=0), 2),
            "all_cases_visible_p50_s": round(percentile(every, 50) or 0, 2),
        }


def latency(rate: int = 1000, seconds: int = 60) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bus, engine, classify, route = _stages(work)
        mentions = DemoSource(rate * seconds // 2 + 100, seed=9).fetch(None, 10**9).mentions
        mentions = mentions[: rate * seconds]
        settle_heap()  # as Worker.run and Pipeline.run do once set up
        done = threading.Event()

        def feed() -> None:
            producer = bus.producer()
            t0 = time.perf_counter()
            sent = 0
            while sent < len(mentions):
                due = int((time.perf_counter() - t0) * rate) + 1
                while sent < min(due, len(mentions)):
                    m = mentions[sent]
                    stamped = m.replace(ingest=m.ingest.replace(fetched_at=datetime.now(UTC)))
                    producer.send(OutMessage(raw_topic(m), m.conversation_id, stamped.to_json()))
                    sent += 1
                producer.flush()
                time.sleep(0.01)
            done.set()

        feeder = threading.Thread(target=feed)
        feeder.start()
        while not done.is_set() or classify.lag() or route.lag():
            if not classify.step(0) + route.step(0):
                time.sleep(0.005)
        feeder.join()
        with engine.connect() as conn:
            rows = conn.execute(select(posts.c.stored_at, posts.c.mention)).all()
        waits = []
        for stored_at, raw in rows:
            fetched = datetime.fromisoformat(json.loads(raw)["ingest"]["fetched_at"])
            waits.append((stored_at - fetched).total_seconds() * 1000)
        return {
            "rate_per_s": rate,
            "seconds": seconds,
            "mentions": len(rows),
            "latency_p50_ms": round(percentile(waits, 50), 1),
            "latency_p95_ms": round(percentile(waits, 95), 1),
            "latency_p99_ms": round(percentile(waits, 99), 1),
        }


if __name__ == "__main__":
    print(json.dumps(spike(2000), indent=2))
    print(json.dumps(latency(200, 5), indent=2))
