"""The desk's queue page and the API's lists read their page by an index, however many resolved
cases the store keeps (with 13,110 open among 537,510, the queue page's queries took 289 ms
before, 30 ms after; a list of all or of the resolved cases 115 and 282 ms before, 13 and 3
after)."""

from __future__ import annotations

from sqlalchemy import event, update

from route.casebook import CaseBook
from route.rules import default_rules
from socialcare.store.cases import incident_lines, list_cases, queue_summary
from socialcare.store.db import open_store
from socialcare.store.tables import cases
from tests.factories import T0, classified


def test_the_queue_page_seeks_the_open_cases(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0).apply([classified(str(i), f"c{i}") for i in range(30)])
        conn.execute(update(cases).where(cases.c.conversation_id < "c2").values(status="resolved"))
    statements: list[tuple[str, tuple]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    unresolved = list_cases(engine, None, "unresolved", 51, hide_snoozed=True, fold_incidents=True)
    incident_lines(engine, None)
    summary = queue_summary(engine)
    event.remove(engine, "before_cursor_execute", keep)
    assert len(unresolved) == sum(q["open"] for q in summary) == 30 - 12  # c0, c1, c10..c19
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            steps = [row[3] for row in plan if " cases " in f" {row[3]} "]
            assert steps and all(s.startswith("SEARCH cases USING INDEX") for s in steps), steps


def _plans(engine, calls) -> list[str]:
    """The query plan of each SELECT the calls run, as one line each."""
    statements: list[tuple[str, tuple]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    for call in calls:
        call()
    event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as conn:
        return [
            " / ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p).all())
            for s, p in statements
        ]


def test_lists_of_resolved_or_of_all_cases_read_pages_in_the_queue_order(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0).apply([classified(str(i), f"c{i}") for i in range(30)])
        conn.execute(update(cases).where(cases.c.conversation_id < "c2").values(status="resolved"))
        # ties on priority and due time are common: the order falls through to the id
        conn.execute(update(cases).where(cases.c.conversation_id < "c15").values(priority=70))

    def key(case: dict) -> tuple:
        return (-case["priority"], case["sla_due"], case["opened_at"], case["id"])

    pages: list[list[dict]] = []
    plans = _plans(
        engine,
        [
            lambda: pages.append(list_cases(engine, None, None, 10)),
            lambda: pages.append(list_cases(engine, None, None, 100, offset=10)),
            lambda: pages.append(list_cases(engine, None, "resolved", 100)),
        ],
    )
    everything = pages[0] + pages[1]
    assert len({c["id"] for c in everything}) == len(everything) == 30  # no skip, no repeat
    assert [key(c) for c in everything] == sorted(key(c) for c in everything)
    assert {c["status"] for c in everything} == {"open", "resolved"}
    resolved = [c for c in everything if c["status"] == "resolved"]
    assert pages[2] == resolved and len(resolved) == 12  # c0, c1, c10..c19
    index = "SEARCH cases USING INDEX ix_cases_resolved_order (status=?)"
    for plan in plans[:2]:  # the open cases sorted, merged with the resolved ones read in order
        assert plan.startswith("MERGE (UNION ALL)") and index in plan, plan
        assert plan.count("TEMP B-TREE") == 1, plan
    assert plans[2] == index, plans[2]  # no sort at all
