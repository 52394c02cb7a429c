"""Rule files: every operator, nested conditions, evaluation order, and FILE:LINE errors."""

from __future__ import annotations

import pytest

from route.rules import DEFAULT_RULES_PATH, RuleFileError, decide, default_rules, parse_rules
from tests.factories import classified

HEAD = """version: 1
queues: {vip: {}, urgent: {}, general: {}, spam: {}}
sla_policies:
  fast: {first_response: 15m, resolution: 4h}
  slow: {first_response: 1d, resolution: 3d}
default: {queue: general, priority: 20, sla: slow}
rules:
"""


def rules(body: str):
    return parse_rules(HEAD + body, "test.yaml")


@pytest.mark.parametrize(
    ("cond", "hit", "miss"),
    [
        ("{field: topic, op: equals, value: Billing}", {"topic": "billing"}, {"topic": "refund"}),
        ("{field: topic, op: not_equals, value: billing}", {"topic": "x"}, {"topic": "billing"}),
        ("{field: topic, op: in, value: [a, b]}", {"topic": "b"}, {"topic": "c"}),
        ("{field: topic, op: not_in, value: [a, b]}", {"topic": "c"}, {"topic": "a"}),
        (
            "{field: text, op: contains_any, value: [double charged, refund]}",
            {"text": "I was DOUBLE  charged!"},
            {"text": "doubled charges"},
        ),
        (
            "{field: text, op: regex, value: 'flight [A-Z]{2}\\d+'}",
            {"text": "Flight SK123 late"},
            {"text": "flight late"},
        ),
        ("{field: author.followers, op: gt, value: 100}", {"followers": 101}, {"followers": 100}),
        ("{field: author.followers, op: gte, value: 100}", {"followers": 100}, {"followers": 99}),
        ("{field: author.followers, op: lt, value: 100}", {"followers": 99}, {"followers": 100}),
        ("{field: author.followers, op: lte, value: 100}", {"followers": 100}, {"followers": 101}),
        (
            "{field: author.followers, op: between, value: [10, 20]}",
            {"followers": 20},
            {"followers": 21},
        ),
        ("{field: language, op: exists, value: true}", {"language": "en"}, {}),
        ("{field: author.verified, op: equals, value: true}", {"verified": True}, {}),
        (
            "{not: {field: topic, op: equals, value: billing}}",
            {"topic": "x"},
            {"topic": "billing"},
        ),
        (
            "{all: [{field: topic, op: equals, value: a}, {any: [{field: spam, op: equals, value: true}, {field: author.followers, op: gt, value: 5}]}]}",
            {"topic": "a", "followers": 6},
            {"topic": "a", "followers": 5},
        ),
        # one, two and three parts (one and two are compiled to plain and / or)
        ("{all: [{field: topic, op: equals, value: a}]}", {"topic": "A"}, {"topic": "b"}),
        ("{any: [{field: topic, op: in, value: [A]}]}", {"topic": "a"}, {"topic": "b"}),
        (
            "{all: [{field: topic, op: not_equals, value: x}, {field: text, op: equals, "
            "value: Hi}, {field: author.followers, op: gte, value: 3}]}",
            {"topic": "a", "text": "hi", "followers": 3},
            {"topic": "a", "text": "hi", "followers": 2},
        ),
        (
            "{any: [{field: topic, op: equals, value: x}, {field: spam, op: equals, value: true}, "
            "{field: author.followers, op: gt, value: 3}]}",
            {"followers": 4},
            {"followers": 3},
        ),
    ],
)
def test_every_operator(cond, hit, miss):
    rs = rules(f"  - id: r\n    when: {cond}\n    then: {{queue: vip}}\n")

    def build(over):
        author = {
            "id": "u",
            "followers": over.get("followers", 0),
            "verified": over.get("verified", False),
        }
        extra = {"language": over["language"]} if "language" in over else {}
        return classified(
            "1",
            topic=over.get("topic", "other"),
            text=over.get("text", "hello"),
            author=author,
            **extra,
        )

    assert decide(rs, build(hit)).queue == "vip"
    assert decide(rs, build(miss)).queue == "general"


def test_first_deciding_rule_wins_and_continue_rules_add_tags_and_boosts():
    rs = rules(
        "  - id: reach\n    when: {field: author.followers, op: gte, value: 1000}\n"
        "    then: {priority_boost: 10, tags: [reach]}\n    continue: true\n"
        "  - id: first\n    when: {field: topic, op: equals, value: billing}\n"
        "    then: {queue: urgent, priority: 50, sla: fast}\n"
        "  - id: second\n    when: {field: topic, op: equals, value: billing}\n"
        "    then: {queue: vip, priority: 90}\n"
    )
    d = decide(rs, classified("1", topic="billing", author={"id": "u", "followers": 5000}))
    assert (d.queue, d.rule_id, d.sla.name, d.tags) == ("urgent", "first", "fast", ("reach",))
    assert d.parts["boost"] == 10 and d.parts["rule"] == 50
    assert d.priority == sum(d.parts.values())
    assert d.matched == ("reach", "first")
    d = decide(rs, classified("2", topic="other"))
    assert (d.queue, d.rule_id) == ("general", "default")


def test_ignore_action_records_the_reason():
    rs = rules(
        "  - id: drop\n    when: {field: spam, op: equals, value: true}\n"
        "    then: {ignore: bot traffic}\n"
    )
    assert decide(rs, classified("1", spam=True)).ignored == "bot traffic"


def test_problems_are_reported_with_file_and_line():
    text = HEAD + (
        "  - id: a\n"  # line 8
        "    when: {field: sentimnt, op: equals, value: x}\n"  # 9
        "    then: {queue: vip}\n"
        "  - id: b\n"  # 11
        "    then: {queue: nowhere, sla: fast}\n"  # 12
        "  - id: c\n"  # 13
        "    when: {field: text, op: regex, value: '(unclosed'}\n"  # 14
        "    then: {queue: vip}\n"
    )
    with pytest.raises(RuleFileError) as err:
        parse_rules(text, "r.yaml")
    problems = err.value.problems
    assert problems[0].startswith("r.yaml:9: rules[0].when.field: unknown field 'sentimnt'")
    assert problems[1].startswith("r.yaml:14: rules[2].when") and "does not compile" in problems[1]
    text = text.replace("sentimnt", "topic").replace("(unclosed", "ok")
    with pytest.raises(RuleFileError) as err:
        parse_rules(text, "r.yaml")
    assert err.value.problems == [
        "r.yaml:12: queue 'nowhere' does not exist (queues: vip, urgent, general, spam)",
        "r.yaml:13: rule 'c' is unreachable: rule 'b' above it matches everything",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("queues: [\n", "YAML syntax"),
        ("- a\n- b\n", "a rule file is a mapping"),
        (
            "a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            + "".join(
                f"c{i}: &c{i} [*{'b' if i == 0 else f'c{i - 1}'}, *{'b' if i == 0 else f'c{i - 1}'}, *{'b' if i == 0 else f'c{i - 1}'}, *{'b' if i == 0 else f'c{i - 1}'}, *{'b' if i == 0 else f'c{i - 1}'}, *{'b' if i == 0 else f'c{i - 1}'}, *{'b' if i == 0 else f'c{i - 1}'}, *{'b' if i == 0 else f'c{i - 1}'}]\n"
                for i in range(8)
            ),
            "alias bomb",
        ),
        ("!!python/object/apply:os.system ['echo pwned']\n", "YAML"),
    ],
)
def test_hostile_or_broken_files_get_a_clear_error(text, message):
    with pytest.raises(RuleFileError, match=message):
        parse_rules(text, "h.yaml")


def test_nested_quantifier_regex_is_refused():
    with pytest.raises(RuleFileError, match="nested quantifier"):
        rules(
            "  - id: r\n    when: {field: text, op: regex, value: '(a+)+$'}\n    then: {queue: vip}\n"
        )


def test_the_shipped_default_rules_are_valid_and_route_the_obvious_cases():
    rs = default_rules()
    assert decide(rs, classified("1", urgency="critical")).queue == "urgent"
    assert decide(rs, classified("2", spam=True)).queue == "spam"
    assert decide(rs, classified("3", sentiment="negative")).queue == "complaints"
    assert (
        decide(rs, classified("4", sentiment="positive", score=0.8, topic="praise")).queue
        == "praise"
    )
    assert decide(rs, classified("5", sentiment="neutral", score=0.0)).queue == "questions"


def test_a_deeply_nested_file_is_a_line_numbered_error_everywhere(tmp_path):
    from click.testing import CliRunner

    from socialcare.cli import main

    nested = "[" * 5000 + "]" * 5000
    with pytest.raises(RuleFileError, match="too deeply nested"):
        parse_rules(nested, "r.yaml")
    file = tmp_path / "r.yaml"
    file.write_text(nested)
    checked = CliRunner().invoke(main, ["rules", "check", str(file)])
    assert checked.exit_code == 1 and checked.output.startswith(f"{file}:1: too deeply nested")
    # a router reading the file keeps the last good version when it is edited into this
    from route.provider import RulesFile

    good = tmp_path / "good.yaml"
    good.write_text(DEFAULT_RULES_PATH.read_text())
    provider = RulesFile(good)
    before = provider().version
    import os

    good.write_text(nested)
    os.utime(good, ns=(1, 1))
    assert provider().version == before


def test_the_desk_refuses_a_deeply_nested_file_with_422(tmp_path):
    from fastapi.testclient import TestClient

    from socialcare.desk.app import create_app
    from socialcare.store.db import open_store
    from socialcare.store.users import add_user, create_token

    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    add_user(engine, "ada", "admin", "correct horse battery")
    client = TestClient(
        create_app(engine, default_rules),
        headers={"Authorization": f"Bearer {create_token(engine, 'ada')}"},
    )
    nested = "[" * 5000 + "]" * 5000
    for path in ("/api/rules/validate", "/api/rules/publish"):
        r = client.post(path, json={"text": nested, "message": "m"})
        assert r.status_code == 422 and "too deeply nested" in r.text
