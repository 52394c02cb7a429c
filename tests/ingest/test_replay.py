"""Replay sources: twcs conversation roots over the whole file, line-numbered bad input, and
cursors that resume exactly."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.sources import SourceSpecError, open_source
from ingest.sources.base import BadInput
from ingest.sources.replay import JsonlReplay, TwcsReplay, load_twcs
from tests.factories import mention_dict

HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
TIME = "Tue Oct 31 22:{m:02d}:00 +0000 2017"


def _row(tid, author, inbound, minute, text, responses="", parent=""):
    return f'{tid},{author},{inbound},{TIME.format(m=minute)},"{text}",{responses},{parent}\n'


def test_twcs_conversation_is_the_root_even_when_the_parent_comes_later(tmp_path: Path):
    csv = tmp_path / "t.csv"
    csv.write_text(
        HEADER
        + _row(12, "AcmeHelp", "False", 5, "@u1 sorry! DM us", "13", "11")  # reply first
        + _row(13, "u1", "True", 6, "@AcmeHelp done", "", "12")
        + _row(11, "u1", "True", 1, "@AcmeHelp my order is late", "12", "")  # root comes last
        + _row(20, "u2", "True", 2, "@AcmeHelp hi", "", "19")  # parent 19 not in the file
        + _row(21, "u3", "True", 3, "@AcmeHelp me too", "", "19")
    )
    items = load_twcs(csv, "replay:test")
    conv = {m.post_id: m.conversation_id for m in items}
    assert conv == {"12": "11", "13": "11", "11": "11", "20": "19", "21": "19"}
    by_id = {m.post_id: m for m in items}
    assert by_id["12"].from_brand and not by_id["11"].from_brand
    assert by_id["11"].brand == "AcmeHelp"  # the customer's @mention of a known brand account
    assert by_id["13"].in_reply_to == "12"


def test_twcs_bad_rows_are_reported_with_line_numbers(tmp_path: Path):
    csv = tmp_path / "t.csv"
    csv.write_text(
        HEADER
        + _row(1, "u1", "True", 1, "fine")
        + "abc,u1,True,Tue Oct 31 22:01:00 +0000 2017,bad id,,\n"
        + _row(3, "u1", "maybe", 1, "bad inbound")
        + '4,u1,True,yesterday,"bad date",,\n'
        + '5,u1,True,Tue Oct 31 22:01:00 +0000 2017,"multi\nline text",,\n'
        + "6,u1\n"
    )
    items = load_twcs(csv, "replay:test")
    bad = [i for i in items if isinstance(i, BadInput)]
    assert [(b.line, b.error.split(" ")[0]) for b in bad] == [
        (3, "tweet_id"),
        (4, "inbound"),
        (5, "created_at"),
        (8, "expected"),
    ]
    assert {m.post_id for m in items if not isinstance(m, BadInput)} == {"1", "5"}


def test_twcs_cursor_resumes_and_a_finished_file_yields_nothing(tmp_path: Path):
    csv = tmp_path / "t.csv"
    csv.write_text(HEADER + "".join(_row(i, "u", "True", i, f"t{i}") for i in range(1, 8)))
    src = TwcsReplay(csv)
    first = src.fetch(None, 3)
    second = src.fetch(first.cursor, 3)
    third = src.fetch(second.cursor, 3)
    ids = [m.post_id for f in (first, second, third) for m in f.mentions]
    assert ids == [str(i) for i in range(1, 8)]
    assert third.exhausted and not first.exhausted
    assert src.fetch(third.cursor, 3).mentions == []


def test_jsonl_bad_lines_go_out_with_line_and_reason(tmp_path: Path):
    path = tmp_path / "m.jsonl"
    good = json.dumps(mention_dict("1"))
    path.write_bytes(
        b"\n".join(
            [
                good.encode(),
                b"{not json",
                b"",
                json.dumps(mention_dict("2", created_at="nope")).encode(),
                b"\xff\xfe\x00",
                b"[1, 2]",
                json.dumps(mention_dict("3")).encode(),
            ]
        )
        + b"\n"
    )
    fetched = JsonlReplay(path).fetch(None, 100)
    assert [m.post_id for m in fetched.mentions] == ["1", "3"]
    assert [(b.line, b.error.split(":")[0]) for b in fetched.bad] == [
        (2, "not JSON"),
        (4, "created_at"),
        (5, "line is not valid UTF-8"),
        (6, "expected a JSON object, got list"),
    ]
    assert fetched.mentions[1].ingest.line == 7


def test_jsonl_cursor_resumes_mid_file_and_restarts_when_the_file_changes(tmp_path: Path):
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(mention_dict(str(i))) + "\n" for i in range(5)))
    src = JsonlReplay(path)
    a = src.fetch(None, 2)
    b = src.fetch(a.cursor, 10)
    assert [m.post_id for m in a.mentions + b.mentions] == ["0", "1", "2", "3", "4"]
    path.write_text(path.read_text() + json.dumps(mention_dict("5")) + "\n")
    c = src.fetch(b.cursor, 10)  # a different file now: read from the start, dedup filters
    assert [m.post_id for m in c.mentions] == ["0", "1", "2", "3", "4", "5"]


def test_jsonl_overlong_line_is_dead_lettered_without_reading_it_whole(tmp_path, monkeypatch):
    from ingest.sources import replay

    monkeypatch.setattr(replay, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "m.jsonl"
    path.write_text("x" * 5000 + "\n" + json.dumps(mention_dict("1")) + "\n")
    fetched = JsonlReplay(path).fetch(None, 10)
    assert [m.post_id for m in fetched.mentions] == ["1"]
    assert fetched.bad[0].line == 1 and "longer than" in fetched.bad[0].error


def test_source_specs_are_checked(tmp_path: Path):
    for spec, msg in [
        ("nope", "unknown source"),
        ("replay:", "needs a file"),
        (f"replay:{tmp_path}/missing.csv", "not found"),
        ("demo:abc", "count"),
    ]:
        try:
            open_source(spec)
        except SourceSpecError as exc:
            assert msg in str(exc)
        else:
            raise AssertionError(spec)


def test_twcs_times_read_as_strptime_reads_them():
    """The regex fast path of twcs_time gives strptime's value, offset included, and what it
    does not take (impossible dates, other shapes) gets strptime's answer or the clear error."""
    import random
    from datetime import datetime

    import pytest

    from ingest.sources.replay import TWCS_TIME, twcs_time

    rng = random.Random(20)
    start = datetime(2010, 1, 1).timestamp()
    for _ in range(2000):
        when = datetime.fromtimestamp(start + rng.uniform(0, 5e8))
        offset = rng.choice(["+0000", "-0530", "+0100", "+1345", "-1200"])
        text = when.strftime("%a %b %d %H:%M:%S ") + offset + when.strftime(" %Y")
        got, want = twcs_time(text), datetime.strptime(text, TWCS_TIME)
        assert got == want and got.utcoffset() == want.utcoffset(), text
    assert twcs_time("Tue Oct 3 22:10:47 +0000 2017") == datetime.strptime(
        "Tue Oct 3 22:10:47 +0000 2017", TWCS_TIME
    )
    for bad in ("Tue Feb 30 22:10:47 +0000 2017", "Tue Oct 31 24:10:47 +0000 2017", "yesterday"):
        with pytest.raises(ValueError, match="is not like"):
            twcs_time(bad)
