"""The watchdog warns before a breach (once per due time) and escalates on it (once per target),
and tells a webhook, of the router's escalations too."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from route.casebook import CaseBook, case_id_for
from route.rules import parse_rules
from route.watchdog import Watchdog
from socialcare.store.cases import get_case
from socialcare.store.db import open_store
from tests.factories import T0, classified

RULES = """
queues: {general: {}, escalations: {}}
sla_policies: {s: {first_response: 30m, resolution: 1d}}
escalation: {warn_before: 10m, priority_boost: 25, queue: escalations, webhook: WEBHOOK}
default: {queue: general, priority: 40, sla: s}
"""


@pytest.fixture
def hook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def test_warn_then_escalate_once_each_and_notify(tmp_path, hook):
    url, received = hook
    rules = parse_rules(RULES.replace("WEBHOOK", url))
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as conn:
        CaseBook(conn, rules, T0).apply([classified("1", "c", sentiment="neutral", score=0.0)])
    dog = Watchdog(engine, lambda: rules)
    case_id = case_id_for("x", "c")

    assert dog.tick(T0 + timedelta(minutes=10)).warned == []  # 20 minutes left: quiet
    assert dog.tick(T0 + timedelta(minutes=22)).warned == [case_id]
    assert dog.tick(T0 + timedelta(minutes=25)).warned == []  # once per due time
    report = dog.tick(T0 + timedelta(minutes=31))
    assert report.escalated == [case_id] and report.webhook_failures == 0
    assert dog.tick(T0 + timedelta(minutes=40)).escalated == []

    case = get_case(engine, case_id)
    assert case["queue"] == "escalations" and case["priority"] == 65
    assert case["priority_parts"]["escalation"] == 25 and "sla-breached" in case["tags"]
    escalated = [e for e in case["events"] if e["type"] == "escalated"]
    assert len(escalated) == 1
    assert escalated[0]["data"]["reason"] == "first response SLA breached"
    assert [n["type"] for n in received] == ["sla_warning", "escalated"]
    assert received[1]["case_id"] == case_id


def test_the_routers_escalations_reach_the_webhook_through_the_watchdog(tmp_path, hook):
    """The brand answers at 45 minutes, 15 past the target, and the router routes the answer
    before the watchdog looks: the router escalates, and the watchdog tells the webhook, once."""
    url, received = hook
    rules = parse_rules(RULES.replace("WEBHOOK", url))
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as conn:
        CaseBook(conn, rules, T0).apply([classified("1", "c")])
    answer = classified(
        "2", "c", minutes=45, from_brand=True, author={"id": "AcmeAir", "handle": "AcmeAir"}
    )
    with engine.begin() as conn:
        events = CaseBook(conn, rules, T0 + timedelta(minutes=46)).apply([answer])
    assert [e.type for e in events] == ["escalated", "replied"]
    case_id = case_id_for("x", "c")
    dog = Watchdog(engine, lambda: rules)
    report = dog.tick(T0 + timedelta(minutes=50))
    assert report.escalated == [] and report.escalated_by_router == [case_id]
    assert [(n["type"], n["case_id"], n["reason"]) for n in received] == [
        ("escalated", case_id, "first response SLA breached")
    ]
    assert dog.tick(T0 + timedelta(minutes=55)).escalated_by_router == []  # taken: sent once
    assert len(received) == 1
    case = get_case(engine, case_id)
    assert case["queue"] == "escalations" and case["priority_parts"]["escalation"] == 25


def test_a_failing_webhook_does_not_stop_escalation(tmp_path):
    rules = parse_rules(RULES.replace("WEBHOOK", "http://127.0.0.1:9/nothing-listens"))
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as conn:
        CaseBook(conn, rules, T0).apply([classified("1", "c")])
    report = Watchdog(engine, lambda: rules).tick(T0 + timedelta(hours=2))
    assert report.escalated and report.webhook_failures == 1


def escalate_concurrently(url: str, watchdogs: int = 4, late: int = 80) -> None:
    """Many late cases, several watchdogs ticking at once: each case is escalated exactly once,
    by one of them, with one event."""
    rules = parse_rules(RULES.replace("WEBHOOK", ""))
    engine = open_store(url)
    with engine.begin() as conn:
        CaseBook(conn, rules, T0).apply([classified(str(i), f"c{i}") for i in range(late)])
    reports = []
    start = threading.Barrier(watchdogs)

    def tick():
        dog = Watchdog(open_store(url), lambda: rules)
        start.wait()
        reports.append(dog.tick(T0 + timedelta(hours=2)))

    threads = [threading.Thread(target=tick) for _ in range(watchdogs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acted = [case_id for r in reports for case_id in r.escalated]
    assert sorted(acted) == sorted(case_id_for("x", f"c{i}") for i in range(late))
    for case_id in acted[:5]:
        case = get_case(engine, case_id)
        assert [e["type"] for e in case["events"]].count("escalated") == 1
        assert case["priority_parts"]["escalation"] == 25 and case["queue"] == "escalations"


def test_concurrent_watchdogs_escalate_each_case_once(tmp_path):
    escalate_concurrently(f"sqlite:///{tmp_path / 'c.db'}")


def test_a_look_reads_the_open_cases_of_a_network_by_their_index(tmp_path):
    """Resolved cases pile up for as long as the system runs: a look must not read them (with
    13,000 open cases among 537,000 a look took 3.5 s of every 5 s without the index)."""
    from sqlalchemy import event

    rules = parse_rules(RULES.replace("WEBHOOK", ""))
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as conn:
        CaseBook(conn, rules, T0).apply([classified(str(i), f"c{i}") for i in range(20)])
    statements: list[tuple[str, tuple]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE cases") and "WHERE cases.network = ?" in statement:
            statements.append((statement, parameters))

    Watchdog(engine, lambda: rules).tick(T0 + timedelta(minutes=40))
    assert len(statements) >= 2  # the warning and the escalation passes
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            steps = " | ".join(row[3] for row in plan)
            assert "ix_cases_network_status_due (network=? AND status=?" in steps, steps
