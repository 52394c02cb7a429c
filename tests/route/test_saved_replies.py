"""Saved replies and macros files: variables checked with FILE:LINE errors, filled with their
fallbacks, offered by queue/network/language; `socialcare templates check` exits 1 on a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from route.saved_replies import DEFAULT_PATH, SavedRepliesError, fill, load, parse, values_for
from socialcare.cli import main

GOOD = """\
templates:
  - id: hello
    text: 'Hi {{customer.name | default: "there"}}, {{agent.name}} here for {{brand}}.'
  - id: es-only
    text: 'Hola {{customer.handle}}'
    language: es
  - id: x-urgent
    text: 'On it.'
    queues: [urgent]
    networks: [x]
macros:
  - id: hello-and-close
    actions:
      - reply: hello
      - tag: greeted
      - resolve: true
"""


def test_the_shipped_file_is_valid():
    saved = load(DEFAULT_PATH)
    assert saved.templates and saved.macros


def test_an_unknown_variable_is_named_with_its_file_and_line(tmp_path: Path):
    bad = GOOD.replace("{{brand}}", "{{customer.shoe_size}}")
    with pytest.raises(SavedRepliesError) as err:
        parse(bad, "replies.yaml")
    assert err.value.problems[0].startswith("replies.yaml:3: unknown variable customer.shoe_size")


def test_templates_check_prints_file_line_and_exits_1(tmp_path: Path):
    path = tmp_path / "replies.yaml"
    path.write_text(GOOD.replace("{{brand}}", "{{customer.shoe_size}}"))
    result = CliRunner().invoke(main, ["templates", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:3: unknown variable customer.shoe_size" in result.output
    path.write_text(GOOD)
    ok = CliRunner().invoke(main, ["templates", "check", str(path)])
    assert ok.exit_code == 0, ok.output


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            "      - reply: hello\n",
            "      - reply: nope\n",
        ),
        ("      - tag: greeted\n", "      - tag: greeted\n        resolve: true\n"),
        ("  - id: es-only\n", "  - id: hello\n"),
        ("    text: 'On it.'\n", "    text: 'On {{ it.'\n"),
    ],
)
def test_broken_files_are_refused_with_a_line(change, expected):
    with pytest.raises(SavedRepliesError) as err:
        parse(GOOD.replace(change, expected), "r.yaml")
    assert all(p.startswith("r.yaml:") for p in err.value.problems)


def test_fill_uses_the_value_or_the_fallback():
    text = 'Hi {{customer.name | default: "there"}} ({{customer.handle}})'
    assert fill(text, {"customer.name": "Maya", "customer.handle": "@maya"}) == "Hi Maya (@maya)"
    assert fill(text, {"customer.name": "", "customer.handle": "@maya"}) == "Hi there (@maya)"


def test_values_come_from_the_case_and_the_agent():
    case = {
        "id": "c1",
        "customer_handle": "maya",
        "customer_name": None,
        "account": "AirCo",
        "queue": "urgent",
        "network": "x",
    }
    values = values_for(case, "ana")
    saved = parse(GOOD)
    assert fill(saved.templates["hello"].text, values) == "Hi there, ana here for AirCo."


def test_offered_follows_queue_network_and_language():
    saved = parse(GOOD)
    case = {"queue": "urgent", "network": "x", "language": "en"}
    assert [t.id for t in saved.offered(case)] == ["hello", "x-urgent"]
    assert [t.id for t in saved.offered({**case, "language": "es"})] == [
        "hello",
        "es-only",
        "x-urgent",
    ]
    assert [t.id for t in saved.offered({**case, "network": "bluesky"})] == ["hello"]
