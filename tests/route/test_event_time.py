"""SLA decisions wait for a complete view (issue: false escalations on a bad day).

The watchdog decides a breach only up to the event-time clock of route/event_time.py: every
source that could answer a case has delivered past its due time and the router has routed it. A
replay of history escalates exactly the cases that were late in history; a post that arrives
late anyway retracts the escalation it contradicts."""

from __future__ import annotations

import itertools
import json
import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ingest.sources.demo import DemoSource
from route.casebook import CaseBook, case_id_for
from route.event_time import EventClock, SourceTime
from route.rules import parse_rules
from route.watchdog import Watchdog
from socialcare.cli import main
from socialcare.pipeline import Pipeline
from socialcare.runtime import Runtime
from socialcare.settings import Settings
from socialcare.store.db import open_store
from socialcare.store.ingest_state import IngestState, SourceOutcome
from socialcare.store.tables import case_events, cases
from socialcare.store.watermarks import RoutedMark, record_routed
from tests.factories import T0, classified

NOW = datetime.now(UTC).replace(microsecond=0)
ONE_QUEUE = """
version: 1
queues: {care: {}, escalations: {}}
sla_policies: {thirty: {first_response: 30m, resolution: 30d}}
escalation: {warn_before: 5m, priority_boost: 20, queue: escalations}
default: {queue: care, priority: 40, sla: thirty}
"""


def post(pid, conv, at, text="my flight is cancelled, please help", brand=False, reply_to=None):
    return {
        "schema": 1,
        "network": "x",
        "post_id": pid,
        "conversation_id": conv,
        "author": {
            "id": "AcmeAir" if brand else f"u{conv}",
            "handle": "AcmeAir" if brand else f"u{conv}",
        },
        "text": text,
        "created_at": at.isoformat(),
        "from_brand": brand,
        "brand": "AcmeAir",
        "in_reply_to": reply_to,
    }


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def escalated(home: Path) -> dict[str, dict]:
    engine = open_store(f"sqlite:///{home / 'cases.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            select(cases.c.conversation_id, cases.c.queue, cases.c.priority, cases.c.tags).where(
                cases.c.sla_escalated_due.is_not(None)
            )
        ).all()
    engine.dispose()
    return {r.conversation_id: dict(r._mapping) for r in rows}


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


# -- the reproductions ------------------------------------------------------------------------
def test_a_replayed_case_answered_a_minute_later_is_not_escalated(tmp_path):
    file = write_jsonl(
        tmp_path / "one.jsonl",
        [
            post("1", "c1", NOW - timedelta(minutes=30), "there is smoke in the cabin, help"),
            post("2", "c1", NOW - timedelta(minutes=29), "Crew alerted, sorry", True, "1"),
        ],
    )
    home = tmp_path / "home"
    invoke("run", "--source", f"replay:{file}", "--until-idle", "--home", str(home))
    assert escalated(home) == {}
    dog = json.loads(invoke("watchdog", "--once", "--home", str(home)))
    assert dog["escalated"] == [] and dog["held_back"] == []


def test_stages_run_apart_decide_only_on_what_was_routed(tmp_path):
    home = tmp_path / "home"
    h = ("--home", str(home))
    first = write_jsonl(
        tmp_path / "part.jsonl",
        [post("1", "c1", NOW - timedelta(minutes=30), "there is smoke in the cabin, help")],
    )
    invoke("ingest", "--source", f"replay:{first}", "--until-idle", *h)
    invoke("classify", "--worker", "--until-idle", "--idle-seconds", "0.5", *h)
    invoke("route", "--until-idle", "--idle-seconds", "0.5", *h)
    # the file says nothing past the customer's post: the 15-minute target is not known missed
    assert json.loads(invoke("watchdog", "--once", *h))["escalated"] == []
    # the reply arrives later (the file grows): still nothing to escalate
    first.write_text(
        first.read_text()
        + json.dumps(post("2", "c1", NOW - timedelta(minutes=29), "On it", True, "1"))
        + "\n"
    )
    invoke("ingest", "--source", f"replay:{first}", "--until-idle", *h)
    assert json.loads(invoke("watchdog", "--once", *h))["escalated"] == []  # not routed yet
    invoke("classify", "--worker", "--until-idle", "--idle-seconds", "0.5", *h)
    invoke("route", "--until-idle", "--idle-seconds", "0.5", *h)
    assert json.loads(invoke("watchdog", "--once", *h))["escalated"] == []
    assert escalated(home) == {}


def test_a_replay_of_history_escalates_exactly_the_cases_late_in_history(tmp_path):
    rng = random.Random(5)
    start = NOW - timedelta(days=2)
    rows, late, on_time = [], set(), set()
    for i in range(120):
        conv = f"k{i}"
        opened = start + timedelta(minutes=rng.uniform(0, 24 * 60))
        rows.append(post(f"{conv}-0", conv, opened))
        fate = rng.random()
        if fate < 0.45:  # answered within the 30-minute target
            rows.append(
                post(
                    f"{conv}-1",
                    conv,
                    opened + timedelta(minutes=rng.uniform(1, 29)),
                    "Sorry!",
                    True,
                )
            )
            on_time.add(conv)
        elif fate < 0.8:  # answered, late
            rows.append(
                post(
                    f"{conv}-1",
                    conv,
                    opened + timedelta(minutes=rng.uniform(31, 300)),
                    "Sorry!",
                    True,
                )
            )
            late.add(conv)
        else:  # never answered; the file goes on for a day after it, so it was late
            late.add(conv)
    rows.append(post("end", "end", start + timedelta(hours=30)))  # history reaches this far
    rng.shuffle(rows)  # a file not in time order: late lines are late posts
    rows.sort(key=lambda r: r["created_at"])  # … but a replay of history is in time order
    file = write_jsonl(tmp_path / "history.jsonl", rows)
    rules = tmp_path / "rules.yaml"
    rules.write_text(ONE_QUEUE)
    home = tmp_path / "home"
    invoke(
        "run",
        "--source",
        f"replay:{file}",
        "--until-idle",
        "--rules",
        str(rules),
        "--home",
        str(home),
    )
    got = escalated(home)
    assert set(got) == late  # and none of the on-time ones
    assert all(r["queue"] == "escalations" and "sla-breached" in r["tags"] for r in got.values())


# -- retraction -------------------------------------------------------------------------------
def _routed_up_to(engine, source: str, at: datetime) -> None:
    """A source (on X) whose watermark `at` the router has passed on its only stream."""
    IngestState(engine).commit(
        source, None, [], 0, SourceOutcome(watermark=at, networks="x", finite=False)
    )
    with engine.begin() as conn:
        record_routed(conn, [RoutedMark(source, "raw/0>classified/0", at, 1)], at)


def test_a_late_reply_retracts_the_escalation_it_contradicts(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    rules = parse_rules(ONE_QUEUE)
    with engine.begin() as conn:
        CaseBook(conn, rules, T0).apply([classified("1", "c", minutes=0)])
    case_id = case_id_for("x", "c")
    with engine.connect() as conn:
        before = conn.execute(select(cases).where(cases.c.id == case_id)).one()
    _routed_up_to(engine, "x:mentions:AcmeAir", T0 + timedelta(minutes=40))
    report = Watchdog(engine, lambda: rules).tick(T0 + timedelta(hours=1))
    assert report.escalated == [case_id]
    with engine.connect() as conn:
        hot = conn.execute(select(cases).where(cases.c.id == case_id)).one()
    assert hot.queue == "escalations" and hot.priority_parts["escalation"] == 20
    # the network delivers, late, the brand's reply posted 10 minutes after the customer
    late_reply = _brand("2", 10)
    with engine.begin() as conn:
        events = CaseBook(conn, rules, T0 + timedelta(hours=1)).apply([late_reply])
    assert "escalation_retracted" in [e.type for e in events]
    with engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.id == case_id)).one()
        kinds = (
            conn.execute(select(case_events.c.type).where(case_events.c.case_id == case_id))
            .scalars()
            .all()
        )
    assert (row.queue, row.priority, row.priority_parts, row.tags) == (
        before.queue,
        before.priority,
        before.priority_parts,
        before.tags,
    )
    assert "sla-breached" not in row.tags and row.sla_escalated_due is None
    assert kinds[-1] == "escalation_retracted"
    # answered in time: the watchdog does not escalate it again
    assert Watchdog(engine, lambda: rules).tick(T0 + timedelta(hours=2)).escalated == []


def test_a_genuinely_late_reply_keeps_the_escalation(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    rules = parse_rules(ONE_QUEUE)
    with engine.begin() as conn:
        CaseBook(conn, rules, T0).apply([classified("1", "c", minutes=0)])
    _routed_up_to(engine, "x:mentions:AcmeAir", T0 + timedelta(minutes=40))
    assert Watchdog(engine, lambda: rules).tick(T0 + timedelta(hours=1)).escalated
    late = _brand("2", 35)
    with engine.begin() as conn:
        events = CaseBook(conn, rules, T0 + timedelta(hours=1)).apply([late])
    assert "escalation_retracted" not in [e.type for e in events]


SHORT_RESOLUTION = ONE_QUEUE.replace("resolution: 30d", "resolution: 2h")


def _brand(pid: str, minutes: float):
    return classified(
        pid, "c", minutes=minutes, from_brand=True, author={"id": "AcmeAir", "handle": "AcmeAir"}
    )


def _looked_at(tmp_path, name: str, timeline: list, ticks_at_minutes: list[int], rules=None):
    """The case of conversation "c", its posts (`timeline`, the first opens it at T0) each routed
    at the first look at or after its time, with the watchdog looking at the given event times:
    the case row and its escalation events."""
    engine = open_store(f"sqlite:///{tmp_path / name}")
    rules = rules or parse_rules(SHORT_RESOLUTION)
    with engine.begin() as conn:
        CaseBook(conn, rules, T0).apply(timeline[:1])
    waiting = list(timeline[1:])
    for minutes in ticks_at_minutes:
        arrived = [m for m in waiting if m.created_at <= T0 + timedelta(minutes=minutes)]
        if arrived:
            with engine.begin() as conn:
                CaseBook(conn, rules, T0 + timedelta(minutes=minutes)).apply(arrived)
            waiting = [m for m in waiting if m not in arrived]
        _routed_up_to(engine, "x:mentions:AcmeAir", T0 + timedelta(minutes=minutes))
        Watchdog(engine, lambda: rules).tick(T0 + timedelta(minutes=minutes + 1))
    case_id = case_id_for("x", "c")
    with engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.id == case_id)).one()
        events = conn.execute(
            select(case_events.c.type, case_events.c.data)
            .where(case_events.c.case_id == case_id)
            .where(case_events.c.type.in_(["escalated", "escalation_retracted"]))
            .order_by(case_events.c.id)
        ).all()
        escalations = [(kind, e.get("reason"), e["due"]) for kind, e in events]
    engine.dispose()
    case = {
        k: getattr(row, k)
        for k in ("queue", "priority", "priority_parts", "tags", "sla_escalated_target")
    }
    return case, escalations


def _late_answer_escalations(tmp_path, name: str, ticks_at_minutes: list[int]):
    """A case answered late (first response due at 30 min, the brand's reply at 45), the
    customer writing again at 50 (the resolution clock, paused while the brand had answered
    last, runs again: due at 2 h 5 min)."""
    timeline = [classified("1", "c", minutes=0), _brand("2", 45), classified("3", "c", minutes=50)]
    return _looked_at(tmp_path, name, timeline, ticks_at_minutes)


def test_escalations_do_not_depend_on_when_the_watchdog_looks(tmp_path):
    """Live, the watchdog looks every few seconds: the case is escalated at 30 minutes (no first
    response) and again at 2 h 5 min (resolution). A replay runs through history faster than the
    watchdog ticks, so it may first look after both: it must decide the same."""
    often, escalations = _late_answer_escalations(tmp_path, "often.db", [35, 46, 55, 130])
    assert [reason for _kind, reason, _due in escalations] == [
        "first response SLA breached",
        "resolution SLA breached",
    ]
    assert often["priority_parts"]["escalation"] == 40
    for name, ticks in [("once.db", [130]), ("after_reply.db", [55, 130]), ("late.db", [35, 130])]:
        assert _late_answer_escalations(tmp_path, name, ticks) == (often, escalations), ticks


def test_a_resolution_passed_then_answered_is_escalated_whenever_the_watchdog_looks(tmp_path):
    """Answered in time (10 min), the customer writes again at 20 (resolution due at 2 h 10:
    2 h of clock from the start, the 10 minutes waited on the customer not counted), and the
    brand answers only at 2 h 30. Live, the watchdog escalates at 2 h 10; a watchdog that first
    looks after the answer sees a clock stopped, waiting on the customer. The router, routing
    the answer, sees that the due time passed before it and escalates first."""
    timeline = [
        classified("1", "c"),
        _brand("2", 10),
        classified("3", "c", minutes=20),
        _brand("4", 150),
    ]
    live, escalations = _looked_at(tmp_path, "live.db", timeline, [5, 15, 25, 135, 155])
    assert escalations == [
        ("escalated", "resolution SLA breached", (T0 + timedelta(minutes=130)).isoformat())
    ]
    assert live["queue"] == "escalations" and live["priority_parts"]["escalation"] == 20
    for name, ticks in [("after.db", [155]), ("between.db", [25, 155]), ("rare.db", [15, 155])]:
        assert _looked_at(tmp_path, name, timeline, ticks) == (live, escalations), ticks


def test_a_resolution_spent_while_waiting_breaches_when_the_customer_writes_again(tmp_path):
    """The first answer comes at 2 h 30, after both targets' time (30 min, 2 h) ran out. At
    5 h the customer writes again: the clock runs on with its time spent (due at 4 h 30, the
    2 h 30 waited on the customer not counted), so the resolution is breached then. The answer
    at 5 h 05 does not make that escalation wrong, and it is not retracted."""
    timeline = [
        classified("1", "c"),
        _brand("2", 150),
        classified("3", "c", minutes=300),
        _brand("4", 305),
    ]
    live, escalations = _looked_at(tmp_path, "live.db", timeline, [35, 155, 301, 310])
    assert escalations == [
        ("escalated", "first response SLA breached", (T0 + timedelta(minutes=30)).isoformat()),
        ("escalated", "resolution SLA breached", (T0 + timedelta(minutes=270)).isoformat()),
    ]
    assert live["priority_parts"]["escalation"] == 40
    for name, ticks in [("once.db", [310]), ("twice.db", [155, 310])]:
        assert _looked_at(tmp_path, name, timeline, ticks) == (live, escalations), ticks


URGENT_RULE = SHORT_RESOLUTION + (
    "rules:\n  - id: urgent\n    when: {field: urgency.level, op: equals, value: critical}\n"
    "    then: {queue: care, priority: 70}\n"
)


def test_an_escalation_stands_through_a_new_routing(tmp_path):
    """Escalated at 30 minutes, unanswered; at 40 the customer writes something critical, which
    routes higher: the case takes the new routing and keeps its escalation (priority part and
    queue), whether the watchdog escalated before the post or the router did on routing it."""
    rules = parse_rules(URGENT_RULE)
    timeline = [classified("1", "c"), classified("2", "c", minutes=40, urgency="critical")]
    looked, escalations = _looked_at(tmp_path, "looked.db", timeline, [35, 45], rules)
    assert looked["queue"] == "escalations"
    assert looked["priority_parts"]["rule"] == 70 and looked["priority_parts"]["escalation"] == 20
    assert [reason for _kind, reason, _due in escalations] == ["first response SLA breached"]
    assert _looked_at(tmp_path, "late.db", timeline, [45], rules) == (looked, escalations)


def test_a_replay_of_history_warns_no_one(tmp_path):
    """A warning is for a due time still ahead: replayed history, whose dues are long past by
    the wall clock, gets none, however its ticks fall; the same case live is warned."""
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    rules = parse_rules(ONE_QUEUE)
    with engine.begin() as conn:
        CaseBook(conn, rules, T0).apply([classified("1", "c", minutes=0)])
    _routed_up_to(engine, "x:mentions:AcmeAir", T0 + timedelta(minutes=27))  # due at 30
    assert T0 + timedelta(minutes=30) < NOW
    assert Watchdog(engine, lambda: rules).tick(NOW).warned == []  # history: past due
    live = Watchdog(engine, lambda: rules).tick(T0 + timedelta(minutes=27))
    assert live.warned == [case_id_for("x", "c")]


# -- a source that is behind holds decisions back -----------------------------------------------
def test_a_lagging_source_holds_back_decisions_and_says_so(tmp_path):
    home = tmp_path / "home"
    engine = open_store(f"sqlite:///{home / 'cases.db'}")
    rules = parse_rules(ONE_QUEUE)
    with engine.begin() as conn:
        CaseBook(conn, rules, NOW).apply(
            [classified("1", "c", created_at=(NOW - timedelta(hours=2)).isoformat())]
        )
    # the X source has routed only up to 3 hours ago (rate limited, say)
    _routed_up_to(engine, "x:mentions:AcmeAir", NOW - timedelta(hours=3))
    report = Watchdog(engine, lambda: rules).tick(NOW)
    assert report.escalated == [] and report.warned == []
    status = [
        json.loads(line) for line in invoke("ingest", "--status", "--home", str(home)).splitlines()
    ]
    source = next(r for r in status if r.get("source") == "x:mentions:AcmeAir")
    assert source["holds_sla_checks"] is True
    network = next(r for r in status if r.get("network") == "x")
    assert network["sla_decided_up_to"].startswith((NOW - timedelta(hours=3)).isoformat()[:16])
    # once it catches up, the decision is taken
    _routed_up_to(engine, "x:mentions:AcmeAir", NOW)
    assert Watchdog(engine, lambda: rules).tick(NOW).escalated == [case_id_for("x", "c")]
    # a source no longer run can be retired, so it holds nothing back
    invoke("ingest", "--retire", "x:mentions:AcmeAir", "--home", str(home))
    assert IngestState(engine).sources()[0]["retired"] is True


def test_the_demo_backfill_escalates_no_case_answered_in_time(tmp_path):
    runtime = Runtime(Settings.resolve(tmp_path / "home"))
    pipeline = Pipeline(runtime, [DemoSource(rate=2.0, backfill_s=20 * 60)])
    stop = threading.Event()
    timer = threading.Timer(3.0, stop.set)
    timer.start()
    pipeline.run(stop)
    pipeline.watch()
    pipeline.close()
    with runtime.engine.connect() as conn:
        wrong = conn.execute(
            select(cases.c.id).where(
                cases.c.sla_escalated_due.is_not(None),
                cases.c.first_response_at.is_not(None),
                cases.c.first_response_at <= cases.c.first_response_due,
            )
        ).all()
        total = conn.execute(select(cases.c.id)).all()
    runtime.close()
    assert len(total) > 100 and wrong == []


# -- the clock's rule, piece by piece ---------------------------------------------------------
def src(name, routed, nets=None, finished=False, delivered=None, retired=False):
    return SourceTime(
        name, nets, delivered if delivered else routed, routed, finished, finished, retired
    )


@pytest.mark.parametrize(
    ("sources", "network", "expected"),
    [
        ([], "x", NOW),  # no source could answer: the wall clock
        ([src("x", NOW - timedelta(hours=1), frozenset({"x"}))], "x", NOW - timedelta(hours=1)),
        ([src("x", NOW - timedelta(hours=1), frozenset({"x"}))], "reddit", NOW),  # not its network
        (
            [src("a", NOW - timedelta(hours=1)), src("b", NOW - timedelta(hours=2))],
            "x",
            NOW - timedelta(hours=2),
        ),
        ([src("a", None)], "x", None),  # a source still silent: nothing decided yet
        ([src("replay", T0, finished=True)], "x", T0),  # history ends where the replay ends
        (
            [src("replay", T0, finished=True), src("live", NOW - timedelta(minutes=1))],
            "x",
            NOW - timedelta(minutes=1),
        ),
        (
            [src("replay", T0, finished=True, delivered=T0 + timedelta(hours=1))],
            "x",
            T0,
        ),  # not drained yet
        ([src("old", T0, retired=True)], "x", NOW),
        ([src("future", NOW + timedelta(days=1))], "x", NOW),  # never past the wall clock
    ],
)
def test_the_event_time_clock(sources, network, expected):
    assert EventClock(NOW, tuple(sources)).clock(network) == expected


def _routed_in(
    tmp_path, name: str, timeline: list, order: list[int], rules_text: str = SHORT_RESOLUTION
) -> dict:
    """The case of conversation "c" once the posts of `timeline` have been routed one batch
    each, in the arrival `order` (indexes into `timeline`), with no watchdog: the fields an
    escalation sets, and how many `escalated` events it has."""
    engine = open_store(f"sqlite:///{tmp_path / name}")
    rules = parse_rules(rules_text)
    for i in order:
        with engine.begin() as conn:
            CaseBook(conn, rules, T0 + timedelta(days=30)).apply([timeline[i]])
    case_id = case_id_for("x", "c")
    with engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.id == case_id)).one()
        kinds = [
            kind
            for (kind,) in conn.execute(
                select(case_events.c.type).where(
                    case_events.c.case_id == case_id,
                    case_events.c.type.in_(["escalated", "escalation_retracted"]),
                )
            )
        ]
    engine.dispose()
    fields = ("queue", "priority", "priority_parts", "tags", "opened_at", "first_response_at")
    case = {
        k: getattr(row, k)
        for k in (*fields, "sla_escalated_due", "sla_escalated_target", "sla_paused_s")
    }
    standing = kinds.count("escalated") - kinds.count("escalation_retracted")
    return {**case, "escalations_standing": standing}


def _same_in_any_order(
    tmp_path,
    timeline: list,
    orders: int = 24,
    rules_text: str = SHORT_RESOLUTION,
    compare: tuple[str, ...] = (),
) -> dict:
    """The case routed in event-time order, checked equal to the case routed in `orders` other
    arrival orders (every one when there are no more): its escalation fields, and as many
    escalations standing by its events (`escalated` less `escalation_retracted`; a router that
    got a later post first may escalate on what it knew, and retract when the rest came)."""
    n = len(timeline)
    in_order = _routed_in(tmp_path, "in-order.db", timeline, list(range(n)), rules_text)
    shuffled = list(itertools.permutations(range(n)))
    random.Random(5).shuffle(shuffled)
    keys = compare or tuple(in_order)
    for k, order in enumerate(shuffled[:orders]):
        got = _routed_in(tmp_path, f"o{k}.db", timeline, list(order), rules_text)
        assert {k: got[k] for k in keys} == {k: in_order[k] for k in keys}, order
    return in_order


def _answered_two_days_late() -> list:
    """The twcs conversation the random-kill test found: opened at 0, first answered two days
    later (the first response is late), the customer back 18 minutes after that answer, then
    more answers and a wait of two days."""
    day = 24 * 60
    return [
        classified("1", "c", minutes=0),
        classified("2", "c", minutes=2 * day - 6),
        _brand("3", 2 * day),
        classified("4", "c", minutes=2 * day + 18),
        _brand("5", 2 * day + 25),
        classified("6", "c", minutes=2 * day + 170),
        _brand("7", 2 * day + 180),
        classified("8", "c", minutes=4 * day),
        _brand("9", 4 * day + 420),
    ]


def test_a_resolution_escalation_records_the_due_time_of_posts_in_order(tmp_path):
    """In order, the router escalates the resolution before the answer at 2 d 0 h 25, due at
    2 h 18 (2 h of clock plus the 18 minutes waited). A router that got the opening post last
    knew every wait when it decided, and recorded a due time two days later: the same
    escalation must record the same due time."""
    case = _same_in_any_order(tmp_path, _answered_two_days_late())
    assert case["sla_escalated_target"] == "resolution"
    assert case["sla_escalated_due"] == T0 + timedelta(hours=2, minutes=18)
    assert case["priority_parts"]["escalation"] == 40  # the late first response, then this
    assert case["escalations_standing"] == 2


def test_with_no_priority_boost_the_case_is_the_same_in_any_order(tmp_path):
    """With `priority_boost: 0` the case's priority part cannot say which targets it was
    escalated for, and a resolution escalation counts for both (a first-response one would
    change nothing more). The case is the one routed in order; its events may say one
    escalation stands where in order two do. A new routing keeps the escalation's queue and
    its part of 0 (it used to drop both, the part being 0)."""
    no_boost = SHORT_RESOLUTION.replace("priority_boost: 20", "priority_boost: 0")
    timeline = _answered_two_days_late()
    in_order = _routed_in(tmp_path, "fields.db", timeline, list(range(len(timeline))), no_boost)
    fields = tuple(k for k in in_order if k != "escalations_standing")
    case = _same_in_any_order(tmp_path, timeline, rules_text=no_boost, compare=fields)
    assert case["sla_escalated_target"] == "resolution"
    assert case["queue"] == "escalations" and case["priority_parts"]["escalation"] == 0


def test_a_resolution_passed_is_escalated_whatever_order_its_posts_arrive_in(tmp_path):
    """Answered in time (10 min); the customer writes again at 5 h (the clock was stopped,
    waiting on them: due at 6 h 50), and the brand answers only at 10 h. In order the router
    escalates before that answer. When the answer arrives before the customer's post at 5 h,
    no post arrives after the due time any more to decide on: the late post still shows it."""
    timeline = [
        classified("1", "c", minutes=0),
        _brand("2", 10),
        classified("3", "c", minutes=300),
        _brand("4", 600),
    ]
    case = _same_in_any_order(tmp_path, timeline)
    assert case["sla_escalated_target"] == "resolution"
    assert case["sla_escalated_due"] == T0 + timedelta(minutes=410)
    assert case["queue"] == "escalations" and "sla-breached" in case["tags"]
