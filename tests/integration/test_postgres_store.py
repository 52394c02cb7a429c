"""The case store on a real PostgreSQL: migrations once under concurrency, claims that cannot be
taken twice, and the router's effects."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from route.casebook import CaseBook
from route.rules import default_rules
from socialcare.store.claims import claim_next
from socialcare.store.db import open_store
from socialcare.store.migrations import MIGRATIONS, schema_version
from socialcare.store.tables import cases, posts
from tests.factories import T0, classified
from tests.route.test_alerter import LIVE_LOOKS, ONE_LOOK, raised_by_looks
from tests.route.test_watchdog import escalate_concurrently


def test_many_processes_starting_at_once_migrate_once(pg_url):
    engines = []
    errors = []

    def start():
        try:
            engines.append(open_store(pg_url))
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engines[0].connect() as conn:
        applied = conn.execute(select(func.count()).select_from(schema_version)).scalar()
    assert applied == len(MIGRATIONS)  # each migration once, however many processes raced


def test_concurrent_agents_never_claim_the_same_case(pg_url):
    engine = open_store(pg_url)
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0).apply(
            [classified(str(i), f"c{i}", minutes=i) for i in range(60)]
        )
    claimed: list[str] = []
    lock = threading.Lock()

    def agent(name: str):
        while (case_id := claim_next(engine, name, now=T0 + timedelta(hours=1))) is not None:
            with lock:
                claimed.append(case_id)

    threads = [threading.Thread(target=agent, args=(f"agent{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 60
    assert max(Counter(claimed).values()) == 1
    with engine.connect() as conn:
        holders = conn.execute(select(cases.c.claimed_by)).scalars().all()
    assert None not in holders


def test_concurrent_watchdogs_escalate_each_case_once(pg_url):
    escalate_concurrently(pg_url)


def test_concurrent_assigners_give_each_case_once_and_nobody_too_much(pg_url):
    from datetime import timedelta

    from sqlalchemy import func

    from route.assigner import Assigner
    from route.rules import default_rules
    from socialcare.store.assignment import change_presence
    from socialcare.store.tables import case_events
    from socialcare.store.users import add_user
    from tests.factories import T0

    engine = open_store(pg_url)
    rules = default_rules()
    with engine.begin() as conn:
        CaseBook(conn, rules, T0).apply(
            [classified(str(i), f"conv{i}", minutes=i % 50) for i in range(200)]
        )
    for i in range(5):
        add_user(engine, f"agent{i}", "agent", "correct horse battery", capacity=10)
        change_presence(engine, f"agent{i}", "online", T0)
    now = T0 + timedelta(minutes=1)
    barrier = threading.Barrier(4)

    def run() -> None:
        assigner = Assigner(open_store(pg_url), lambda: rules, idle=timedelta(days=1))
        barrier.wait()
        for _ in range(3):
            assigner.tick(now)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        loads = dict(
            conn.execute(
                select(cases.c.assignee, func.count())
                .where(cases.c.assignee.is_not(None))
                .group_by(cases.c.assignee)
            ).all()
        )
        given = conn.execute(
            select(case_events.c.case_id, func.count())
            .where(case_events.c.type == "assigned")
            .group_by(case_events.c.case_id)
        ).all()
    assert sum(loads.values()) == 50 and max(loads.values()) == 10  # every slot filled, none over
    assert max(n for _c, n in given) == 1  # no case given twice


def test_two_routers_with_posts_of_one_conversation_share_its_case_without_a_retry(pg_url):
    """A conversation's urgent post and its other posts come on different lanes, so two routers
    can route them at once. The second waits for the first's batch to commit, then finds its
    case: no duplicate-key failure that would rewind its whole batch."""
    engine = open_store(pg_url)
    rules = default_rules()
    first_applied, release = threading.Event(), threading.Event()
    order: list[str] = []
    errors: list[Exception] = []

    def first_router():
        with engine.begin() as conn:
            CaseBook(conn, rules, T0).apply([classified("1", "d", minutes=0)])
            first_applied.set()
            release.wait(10)
            order.append("first commits")

    def second_router():
        first_applied.wait(10)
        try:
            with engine.begin() as conn:
                CaseBook(conn, rules, T0).apply(
                    [classified("2", "d", urgency="critical", minutes=1)]
                )
                order.append("second applied")
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=first_router), threading.Thread(target=second_router)]
    for t in threads:
        t.start()
    first_applied.wait(10)
    threads[1].join(1.0)  # the second router is waiting on the conversation's lock
    assert threads[1].is_alive() and order == []
    release.set()
    for t in threads:
        t.join(10)
    assert errors == []
    assert order == ["first commits", "second applied"]
    with engine.connect() as conn:
        rows = conn.execute(select(cases.c.id).where(cases.c.conversation_id == "d")).all()
        posts_of = conn.execute(select(posts.c.case_id).where(posts.c.network == "x")).scalars()
        case_ids = set(posts_of)
    assert len(rows) == 1 and case_ids == {rows[0].id}


def test_the_spike_judge_raises_on_postgresql_what_it_raises_on_sqlite(pg_url, tmp_path):
    """The looks' SQL (each key's last minute by a loose index scan, the history in ranges)."""
    on_sqlite = raised_by_looks(open_store(f"sqlite:///{tmp_path / 'one.db'}"), ONE_LOOK)
    assert on_sqlite
    assert raised_by_looks(open_store(pg_url), LIVE_LOOKS) == on_sqlite


def test_lists_of_cases_come_in_the_same_order_on_postgresql_as_on_sqlite(pg_url, tmp_path):
    """The list of every case merges the open ones with the resolved ones (a union read in the
    queue's order); its pages and the resolved list are the same on both databases."""
    from sqlalchemy import update

    from socialcare.store.cases import list_cases

    def lists(engine) -> list[list[tuple]]:
        with engine.begin() as conn:
            CaseBook(conn, default_rules(), T0).apply(
                [classified(str(i), f"l{i}", minutes=i % 4) for i in range(24)]
            )
            conn.execute(
                update(cases).where(cases.c.conversation_id < "l2").values(status="resolved")
            )
        pages = [
            list_cases(engine, None, None, 7),
            list_cases(engine, None, None, 100, offset=7),
            list_cases(engine, None, "resolved", 100),
            list_cases(engine, "complaints", None, 100),
        ]
        return [[(c["conversation_id"], c["status"], c["priority"]) for c in p] for p in pages]

    on_sqlite = lists(open_store(f"sqlite:///{tmp_path / 'lists.db'}"))
    assert len(on_sqlite[0] + on_sqlite[1]) == 24 and len(on_sqlite[2]) == 12  # l0, l1, l1x
    assert on_sqlite[3], "no case in the queue"
    assert lists(open_store(pg_url)) == on_sqlite


def test_an_incidents_bulk_actions_do_on_postgresql_what_they_do_on_sqlite(pg_url, tmp_path):
    """reply_all, tag_all and resolve_all: a few statements per chunk of cases (RETURNING, the
    bulk helpers' Core path on PostgreSQL)."""
    from tests.store.test_actions import bulk_actions_on

    on_sqlite = bulk_actions_on(tmp_path / "cases.db")
    assert on_sqlite[0][1] and on_sqlite[0][3]  # a case refused, cases resolved
    assert bulk_actions_on(pg_url) == on_sqlite


def test_crisis_mode_reroutes_on_postgresql_as_on_sqlite(pg_url, tmp_path):
    """`reroute`'s bulk update and event rows (the bulk helpers' Core path on PostgreSQL)."""
    from route.crisis import crisis_on
    from tests.route.test_crisis import incident_store, routing

    def rerouted(path_or_url):
        engine, _ = incident_store(path_or_url)
        crisis_on(engine, default_rules(), "inc1", "lead", "outage")
        return routing(engine)

    on_sqlite = rerouted(tmp_path / "cases.db")
    assert [e for e in on_sqlite[1] if e[2] == "lead"]
    assert rerouted(pg_url) == on_sqlite
