"""Claims are leases: they expire, can be renewed by their holder, never taken twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from route.casebook import CaseBook, case_id_for
from route.rules import default_rules
from socialcare.store.cases import get_case, list_cases
from socialcare.store.claims import CaseNotFound, ClaimError, claim, claim_next, release, resolve
from socialcare.store.db import open_store
from tests.factories import T0, classified

NOW = T0 + timedelta(hours=1)


@pytest.fixture
def engine(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0).apply(
            [
                classified("1", "hot", urgency="critical"),
                classified("2", "calm", sentiment="neutral", score=0.0),
            ]
        )
    return engine


def test_claim_next_takes_the_top_case_and_the_lease_expires(engine):
    hot = case_id_for("x", "hot")
    assert claim_next(engine, "ana", now=NOW) == hot
    assert claim_next(engine, "ben", now=NOW) == case_id_for("x", "calm")  # not hot again
    assert claim_next(engine, "cy", now=NOW) is None
    later = NOW + timedelta(minutes=16)  # past the 15-minute lease
    assert claim_next(engine, "cy", now=later) == hot
    assert get_case(engine, hot)["claimed_by"] == "cy"


def test_claim_refuses_a_held_case_and_renews_ones_own(engine):
    hot = case_id_for("x", "hot")
    claim(engine, hot, "ana", now=NOW)
    with pytest.raises(ClaimError, match="claimed by ana"):
        claim(engine, hot, "ben", now=NOW)
    claim(engine, hot, "ana", now=NOW + timedelta(minutes=10))  # renew
    with pytest.raises(ClaimError):
        claim(engine, hot, "ben", now=NOW + timedelta(minutes=20))
    with pytest.raises(CaseNotFound, match="no case"):
        claim(engine, "nope", "ana", now=NOW)


def test_release_and_resolve_record_events_and_respect_the_holder(engine):
    hot = case_id_for("x", "hot")
    claim(engine, hot, "ana", now=NOW)
    with pytest.raises(ClaimError):
        release(engine, hot, "ben", now=NOW)
    with pytest.raises(ClaimError):
        resolve(engine, hot, "ben", now=NOW)
    resolve(engine, hot, "ana", note="rebooked on SK12", now=NOW)
    case = get_case(engine, hot)
    assert case["status"] == "resolved" and case["sla_due"] is None
    assert [e["type"] for e in case["events"]][-2:] == ["claimed", "resolved"]
    with pytest.raises(ClaimError, match="resolved"):
        claim(engine, hot, "ana", now=NOW)


def test_claimed_status_shows_while_the_lease_runs(engine):
    claim(engine, case_id_for("x", "hot"), "ana")  # real clock: lease runs for 15 minutes
    statuses = {c["conversation_id"]: c["status"] for c in list_cases(engine)}
    assert statuses == {"hot": "claimed", "calm": "open"}
    assert [c["conversation_id"] for c in list_cases(engine, status="open")] == ["calm"]
    assert [c["conversation_id"] for c in list_cases(engine, status="claimed")] == ["hot"]
