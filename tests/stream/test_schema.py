from __future__ import annotations

import pytest

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

    routed = mention("1").model_copy(
        update={
            "routing": Routing(
                case_id="c1", queue="q", priority=5, rule_id="r", ruleset_version="v"
            )
        }
    )
    stored = routed.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert mention_from_dict(stored).routing == routed.routing


@pytest.mark.parametrize(
    "queue, rule_id, version",
    [
        ("billing", "r1", "v1"),
        ('q "quoted" \\ back', "rule\nwith\tcontrols\x01\x1f", "ünïcode ✈️ 日本"),
        ("", "\u2028\u2029", "\x7f"),
        ("lone \ud800 surrogate", "r", "v"),  # neither writes it
    ],
)
def test_routing_json_is_what_the_model_writes(queue, rule_id, version):
    from pydantic_core import PydanticSerializationError

    from socialcare.stream.schema import Routing, routing_json

    for priority in (0, 7, -3, 2**40, 2**70):  # past 64 bits orjson refuses: the model writes it
        model = Routing(
            case_id="c1", queue=queue, priority=priority, rule_id=rule_id, ruleset_version=version
        )
        try:
            want = model.model_dump_json(exclude_none=True).encode()
        except PydanticSerializationError:  # a lone surrogate: the same error as before
            with pytest.raises(PydanticSerializationError):
                routing_json("c1", queue, priority, rule_id, version)
            continue
        assert routing_json("c1", queue, priority, rule_id, version) == want
