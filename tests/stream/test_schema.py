from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialcare.stream.schema import SchemaError, parse_mention
from tests.factories import mention, mention_dict


def test_round_trip_keeps_every_field():
    m = mention("1", "c1", in_reply_to="0", url="https://x.com/i/web/status/1")
    again = parse_mention(m.to_json())
    assert again == m
    assert b'"schema":1' in m.to_json()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"post_id": ""}, "post_id"),
        ({"network": "X Twitter"}, "network"),
        ({"created_at": "2024-05-01T12:00:00"}, "time zone"),
        ({"url": "javascript:alert(1)"}, "http"),
        ({"author": {"id": "u", "followers": -3}}, "followers"),
        ({"text": "x" * 50_000}, "text"),
        ({"schema": 2}, "schema"),
    ],
)
def test_invalid_mentions_name_the_field(change, reason):
    import json

    data = {**mention_dict("1"), **change}
    with pytest.raises(SchemaError, match=reason):
        parse_mention(json.dumps(data))


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"\xff\xfe", b"null", b"[" * 5000])
def test_garbage_is_a_schema_error_not_a_crash(raw):
    with pytest.raises(SchemaError):
        parse_mention(raw)


def test_control_characters_are_stripped_and_times_normalized_to_utc():
    m = mention("1", text="hi\x00 there\x07", created_at="2024-05-01T14:00:00+02:00")
    assert m.text == "hi there"
    assert m.created_at.isoformat() == "2024-05-01T12:00:00+00:00"


def test_a_routed_mention_as_stored_parses_again():
    from socialcare.stream.schema import Routing, mention_from_dict

    routed = mention("1").replace(
        routing=Routing(case_id="c1", queue="q", priority=5, rule_id="r", ruleset_version="v")
    )
    stored = msgspec.to_builtins(routed)
    assert mention_from_dict(stored).routing == routed.routing


@pytest.mark.parametrize(
    "queue, rule_id, version",
    [
        ("billing", "r1", "v1"),
        ('q "quoted" \\ back', "rule\nwith\tcontrols\x01\x1f", "ünïcode ✈️ 日本"),
        ("", "\u2028\u2029", "\x7f"),
    ],
)
def test_routing_json_reads_back_as_the_routing_it_was_given(queue, rule_id, version):
    from socialcare.stream.schema import Routing, routing_json

    for priority in (0, 7, -3, 2**40, 2**70):  # past 64 bits too
        written = routing_json("c1", queue, priority, rule_id, version)
        assert b'"sla_due":null' in written
        want = Routing(
            case_id="c1", queue=queue, priority=priority, rule_id=rule_id, ruleset_version=version
        )
        assert msgspec.json.decode(written, type=Routing) == want


def test_a_lone_surrogate_is_refused_when_written_not_written_broken():
    from socialcare.stream.schema import routing_json

    with pytest.raises(UnicodeEncodeError):
        routing_json("c1", "lone \ud800 surrogate", 1, "r", "v")


def test_every_field_is_written_null_where_there_is_no_value():
    import json

    from socialcare.stream.schema import Author, IngestMeta, Mention

    data = json.loads(mention("1").to_json())
    assert list(data) == ["schema", *Mention.__struct_fields__]
    assert list(data["author"]) == list(Author.__struct_fields__)
    assert list(data["ingest"]) == list(IngestMeta.__struct_fields__)
    assert data["language"] is None and data["classification"] is None
    assert data["author"]["verified"] is False and data["from_brand"] is False


def test_lax_where_json_writers_differ():
    import json

    data = mention_dict("1", author={"id": "u", "followers": "12", "verified": "true"})
    data["created_at"] = 1714564800  # a Unix timestamp
    m = parse_mention(json.dumps(data))
    assert m.author.followers == 12 and m.author.verified is True
    assert m.created_at.isoformat() == "2024-05-01T12:00:00+00:00"
    data.pop("schema")  # the version is assumed when left out (another is refused: above)
    assert parse_mention(json.dumps(data)) == m


@pytest.mark.parametrize("bad", ["1\n", "\n1", "a\tb", "a\x00"])
def test_an_id_with_a_line_break_or_control_character_is_refused(bad):
    import json

    with pytest.raises(SchemaError, match="post_id"):
        parse_mention(json.dumps(mention_dict(bad)))


def test_an_error_names_the_path_first():
    import json

    data = mention_dict("1", author={"id": "u", "followers": -3})
    with pytest.raises(SchemaError) as caught:
        parse_mention(json.dumps(data))
    assert str(caught.value).startswith("author.followers: Expected `int` >= 0")


def test_a_mention_built_from_a_dict_is_checked_as_one_parsed():
    from socialcare.stream.schema import mention_from_dict

    with pytest.raises(SchemaError, match="time zone"):
        mention_from_dict(mention_dict("1", created_at="2024-05-01T12:00:00"))
    with pytest.raises(SchemaError, match="network"):
        mention_from_dict(mention_dict("1", network="X"))


_text = st.text(st.characters(codec="utf-8"), max_size=300)


@given(
    text=_text,
    handle=st.text(max_size=40),
    followers=st.none() | st.integers(0, 2**63 - 1),
    url=st.none() | st.just("https://example.com/p?q=1"),
    offset_min=st.integers(-14 * 60, 14 * 60),
    micro=st.integers(0, 999_999),
)
def test_what_is_written_reads_back_the_same(text, handle, followers, url, offset_min, micro):
    """Written, then read: the same mention, with control characters gone from the text and
    the time in UTC, whatever offset it was given in."""
    from datetime import timedelta, timezone

    from socialcare.stream.schema import mention_from_dict

    at = datetime(2024, 5, 1, 12, 0, 0, micro, tzinfo=timezone(timedelta(minutes=offset_min)))
    author = {"id": "u1", "handle": handle, "followers": followers}
    m = mention_from_dict(mention_dict("1", text=text, author=author, url=url, created_at=at))
    assert parse_mention(m.to_json()) == m
    assert m.created_at == at and m.created_at.tzinfo is UTC
    assert not any(c in m.text for c in "\x00\x07\x1f\x7f")
