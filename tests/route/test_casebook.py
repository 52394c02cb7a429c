"""Cases per conversation: opening, joining, brand responses in any order, reopening,
reprioritizing, ignoring, and idempotence under redelivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from route.casebook import CaseBook, case_id_for
from route.rules import default_rules, parse_rules
from socialcare.store.cases import get_case, list_cases
from socialcare.store.db import open_store
from socialcare.store.tables import case_events, cases, posts
from tests.factories import T0, classified


@pytest.fixture
def engine(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'cases.db'}")


def apply(engine, mentions, rules=None):
    with engine.begin() as conn:
        return CaseBook(conn, rules or default_rules(), T0 + timedelta(hours=1)).apply(mentions)


def brand(post_id, conv, minutes, handle="AcmeHelp"):
    return classified(
        post_id,
        conv,
        minutes=minutes,
        from_brand=True,
        sentiment="neutral",
        score=0.0,
        author={"id": handle, "handle": handle},
    )


def test_a_conversation_is_one_case_and_the_first_brand_reply_is_its_first_response(engine):
    apply(
        engine,
        [
            classified("1", "c", minutes=0),
            brand("2", "c", 7),
            classified("3", "c", minutes=9),
            brand("4", "c", 12),
        ],
    )
    (case,) = list_cases(engine, with_posts=True)
    assert case["post_ids"] == ["1", "2", "3", "4"]
    assert case["first_response_at"] == (T0 + timedelta(minutes=7)).isoformat()
    assert case["account"] == "AcmeHelp" and case["post_count"] == 2
    assert case["id"] == case_id_for("x", "c")


def test_brand_reply_arriving_before_the_customer_post_still_counts(engine):
    apply(engine, [brand("2", "c", 5)])
    assert list_cases(engine) == []
    apply(engine, [classified("1", "c", minutes=0)])
    (case,) = list_cases(engine, with_posts=True)
    assert case["first_response_at"] == (T0 + timedelta(minutes=5)).isoformat()
    assert sorted(case["post_ids"]) == ["1", "2"]
    # and a brand post in the same batch, before the customer's
    apply(engine, [brand("12", "d", 5), classified("11", "d", minutes=1)])
    d = get_case(engine, case_id_for("x", "d"))
    assert d["first_response_at"] == (T0 + timedelta(minutes=5)).isoformat()


def test_brand_post_before_the_customers_first_post_is_not_a_response(engine):
    apply(engine, [brand("1", "c", 0), classified("2", "c", minutes=3), brand("3", "c", 10)])
    (case,) = list_cases(engine)
    assert case["first_response_at"] == (T0 + timedelta(minutes=10)).isoformat()


def test_an_earlier_customer_post_arriving_late_moves_the_opening_time(engine):
    apply(engine, [classified("2", "c", minutes=10), brand("3", "c", 12)])
    apply(engine, [brand("1b", "c", 4), classified("1", "c", minutes=0)])
    (case,) = list_cases(engine)
    assert case["opened_at"] == T0.isoformat()
    assert case["first_response_at"] == (T0 + timedelta(minutes=4)).isoformat()


def test_the_summary_is_the_first_customer_post_whatever_order_they_arrive_in(engine):
    """A crash test found it: the summary was the text of whichever post the router saw first."""
    first = classified("1", "c", minutes=0, text="my order never arrived")
    later = classified("2", "c", minutes=30, text="still waiting")
    apply(engine, [later])
    apply(engine, [first])
    apply(engine, [first.replace(post_id="3", conversation_id="d")])
    apply(engine, [later.replace(post_id="4", conversation_id="d")])
    summaries = {c["id"]: c["summary"] for c in list_cases(engine)}
    assert summaries == {case_id_for("x", k): "my order never arrived" for k in ("c", "d")}


def test_the_customer_is_the_first_posts_author_whatever_order_they_arrive_in(engine):
    """The chaos test found it: in a conversation two customers wrote in, the case's customer was
    the author of whichever post the router saw first."""
    first = classified(
        "1", "c", minutes=0, author={"id": "u1", "handle": "first"}, language="en", brand="Acme"
    )
    later = classified(
        "2", "c", minutes=30, author={"id": "u2", "handle": "second"}, language="de", brand="Other"
    )
    apply(engine, [later])
    apply(engine, [first])
    apply(engine, [first.replace(post_id="3", conversation_id="d")])
    apply(engine, [later.replace(post_id="4", conversation_id="d")])
    customers = {
        c["id"]: (c["customer_id"], c["customer_handle"], c["language"], c["account"])
        for c in list_cases(engine)
    }
    assert customers == {case_id_for("x", k): ("u1", "first", "en", "Acme") for k in ("c", "d")}


def test_redelivered_batches_change_nothing(engine):
    batch = [classified("1", "c"), brand("2", "c", 3), classified("3", "c", minutes=5)]
    first = apply(engine, batch)
    assert apply(engine, batch) == [] and apply(engine, batch[1:]) == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posts)).scalar() == 3
        assert conn.execute(select(func.count()).select_from(case_events)).scalar() == len(first)


def test_a_customer_writing_after_resolution_reopens_the_case(engine):
    apply(engine, [classified("1", "c")])
    with engine.begin() as conn:
        conn.execute(cases.update().values(status="resolved", resolved_at=T0))
    events = apply(engine, [classified("2", "c", minutes=30)])
    assert "reopened" in [e.type for e in events]
    (case,) = list_cases(engine)
    assert case["status"] == "open" and case["resolved_at"] is None


def test_a_more_urgent_post_reprioritizes_the_case(engine):
    apply(engine, [classified("1", "c", sentiment="neutral", score=0.0)])
    assert list_cases(engine)[0]["queue"] == "questions"
    events = apply(engine, [classified("2", "c", minutes=1, urgency="critical")])
    assert [e.type for e in events] == ["post_added", "reprioritized"]
    case = list_cases(engine)[0]
    assert (case["queue"], case["rule_id"], case["sla_policy"]) == (
        "urgent",
        "critical",
        "critical",
    )
    assert case["sla_due"] == (T0 + timedelta(minutes=15)).isoformat()


def test_sla_due_is_first_response_then_resolution_paused_while_waiting_on_the_customer(engine):
    apply(engine, [classified("1", "c", sentiment="neutral", score=0.0)])  # standard: 4h / 48h
    assert list_cases(engine)[0]["sla_due"] == (T0 + timedelta(hours=4)).isoformat()
    apply(engine, [brand("2", "c", 30)])  # the brand answered: waiting on the customer
    case = list_cases(engine)[0]
    assert (
        case["sla_due"] is None
        and case["waiting_since"] == (T0 + timedelta(minutes=30)).isoformat()
    )
    apply(engine, [classified("3", "c", minutes=90, sentiment="neutral", score=0.0)])
    case = list_cases(engine)[0]  # the hour spent waiting does not count
    assert case["sla_paused_s"] == 3600 and case["waiting_since"] is None
    assert case["sla_due"] == (T0 + timedelta(hours=49)).isoformat()


def test_business_hours_policy_and_repeat_contacts_and_escalate(engine):
    rs = parse_rules(
        "queues: {q: {}, vip: {}}\n"
        "calendars:\n  office: {timezone: Europe/London, hours: {mon-fri: ['09:00-17:00']}}\n"
        "sla_policies: {s: {first_response: 1h, resolution: 1d, calendar: office}}\n"
        "vip: ['@BigCustomer']\n"
        "default: {queue: q, priority: 10, sla: s}\n"
        "rules:\n"
        "  - id: vip\n    when: {field: author.vip, op: equals, value: true}\n"
        "    then: {queue: vip, priority: 50, escalate: true}\n"
        "  - id: again\n    when: {field: customer.repeat_contacts, op: gte, value: 1}\n"
        "    then: {queue: vip, priority: 40, tags: [repeat]}\n"
    )
    # 2024-05-01 is a Wednesday; 12:00 UTC = 13:00 London: due 14:00 London = 13:00 UTC
    apply(engine, [classified("1", "first", author={"id": "u9", "handle": "someone"})], rs)
    first = get_case(engine, case_id_for("x", "first"))
    assert first["queue"] == "q" and first["sla_due"] == "2024-05-01T13:00:00+00:00"
    apply(
        engine, [classified("2", "second", minutes=5, author={"id": "u9", "handle": "someone"})], rs
    )
    second = get_case(engine, case_id_for("x", "second"))
    assert (second["queue"], second["rule_id"], second["tags"]) == ("vip", "again", ["repeat"])
    apply(engine, [classified("3", "big", author={"id": "u7", "handle": "bigcustomer"})], rs)
    big = get_case(engine, case_id_for("x", "big"))
    assert big["queue"] == "vip" and "escalated" in big["tags"]
    assert big["priority_parts"]["boost"] == 20
    assert any(e["type"] == "escalated" for e in big["events"])


def test_ignored_mentions_are_stored_with_their_reason_and_open_no_case(engine):
    rs = parse_rules(
        "queues: {q: {}}\nsla_policies: {s: {first_response: 1h, resolution: 1d}}\n"
        "default: {queue: q, priority: 1, sla: s}\n"
        "rules:\n  - id: bots\n    when: {field: spam, op: equals, value: true}\n"
        "    then: {ignore: bot traffic}\n"
    )
    apply(engine, [classified("1", "c", spam=True)], rs)
    assert list_cases(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(posts.c.ignored_reason)).scalar() == "bot traffic"


def test_every_routing_decision_records_rule_and_version(engine):
    apply(engine, [classified("1", "c", urgency="critical")])
    case = get_case(engine, case_id_for("x", "c"))
    routed = next(e for e in case["events"] if e["type"] == "routed")
    assert routed["data"]["rule_id"] == "critical"
    assert routed["data"]["ruleset_version"] == default_rules().version
    stored = case["posts"][0]
    assert stored["post_id"] == "1"


def _thread(n: int) -> list:
    """One conversation of `n` posts a minute apart, every seventh from the brand (the clock
    waits on the customer, then runs again), and now and then two customer posts at one minute."""
    out = []
    for i in range(n):
        if i % 7 == 3:
            out.append(brand(f"b{i}", "t", i))
        else:
            out.append(classified(f"p{i}", "t", minutes=i, author={"id": f"u{i % 40}"}))
        if i % 11 == 5 and i % 7 != 3:
            out.append(classified(f"q{i}", "t", minutes=i, author={"id": "tied"}))
    return out


SHORT = parse_rules(
    "queues: {q: {}}\nsla_policies: {s: {first_response: 1h, resolution: 3h}}\n"
    "default: {queue: q, priority: 1, sla: s}\n"
)


def _case_and_events(engine) -> tuple[dict, list]:
    case = get_case(engine, case_id_for("x", "t"))
    events = sorted((e["type"], e["actor"], str(e["data"])) for e in case.pop("events"))
    case.pop("posts")
    return {k: v for k, v in case.items() if k not in ("created_at", "updated_at")}, events


def test_a_long_thread_works_its_sla_clock_out_once_per_batch_not_once_per_post(
    engine, tmp_path, monkeypatch
):
    """A reply thread to an outage notice can run to thousands of posts. Past the case's first
    due time the router checks the clock before each post; it steps the clock it has (posts in
    time order) instead of sorting the whole timeline again, which made such a thread quadratic.
    The case comes out as when every post is its own batch (a clock worked out afresh each time)."""
    import route.casebook

    worked_out = []
    of = route.casebook.Clock.of
    monkeypatch.setattr(
        route.casebook.Clock, "of", classmethod(lambda cls, *a: worked_out.append(1) or of(*a))
    )
    thread = _thread(400)  # 400 minutes, past the 3-hour resolution time (the waits added)
    apply(engine, thread, SHORT)
    # once as the first due time passes, once as the batch is written, to check that the
    # escalation still stands; before, once per post past the due time (about 170)
    assert len(worked_out) == 2

    one_by_one = open_store(f"sqlite:///{tmp_path / 'one-by-one.db'}")
    for m in thread:
        apply(one_by_one, [m], SHORT)
    assert len(worked_out) > 100  # each batch past the due time works it out from the store
    assert _case_and_events(engine) == _case_and_events(one_by_one)
    case, events = _case_and_events(engine)
    assert case["post_count"] == len(thread) - sum(m.from_brand for m in thread)
    assert any(e[0] == "escalated" for e in events)  # the clock ran past a due time


def test_a_post_earlier_than_the_thread_so_far_works_the_clock_out_again(engine, tmp_path):
    thread = _thread(300)
    late = thread.pop(120)  # a customer post that arrives last
    assert not late.from_brand
    apply(engine, [*thread, late])
    in_order = open_store(f"sqlite:///{tmp_path / 'in-order.db'}")
    apply(in_order, _thread(300))
    got, want = get_case(engine, case_id_for("x", "t")), get_case(in_order, case_id_for("x", "t"))
    for field in ("waiting_since", "sla_paused_s", "sla_due", "first_response_at", "post_count"):
        assert got[field] == want[field], field


def test_repeat_contacts_count_the_customers_other_conversations(engine):
    """A post's `customer.repeat_contacts` is the number of the customer's other conversations
    of the last 30 days: the one it is in does not count, in the same batch or an earlier one."""
    rs = parse_rules(
        "queues: {q: {}, again: {}}\nsla_policies: {s: {first_response: 1h, resolution: 1d}}\n"
        "default: {queue: q, priority: 1, sla: s}\n"
        "rules:\n  - id: third\n    when: {field: customer.repeat_contacts, op: gte, value: 3}\n"
        "    then: {queue: again, priority: 5}\n"
    )
    who = {"id": "u5", "handle": "frequent"}
    apply(engine, [classified(str(i), f"c{i}", minutes=i, author=who) for i in range(3)], rs)
    assert {c["queue"] for c in list_cases(engine)} == {"q"}  # 0, 1 and 2 others
    apply(engine, [classified("10", "c1", minutes=10, author=who)], rs)  # c1 again: 2 others
    assert get_case(engine, case_id_for("x", "c1"))["queue"] == "q"
    apply(engine, [classified("11", "c3", minutes=11, author=who)], rs)  # a fourth: 3 others
    assert get_case(engine, case_id_for("x", "c3"))["queue"] == "again"
    apply(engine, [classified("12", "c0", minutes=12, author=who)], rs)  # c0 again: 3 others
    assert get_case(engine, case_id_for("x", "c0"))["queue"] == "again"
