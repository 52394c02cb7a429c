"""examples/rules.yaml covers every operator and action and passes `rules check`; a broken copy
reports each problem with its line."""

from __future__ import annotations

import typing
from pathlib import Path

import yaml
from click.testing import CliRunner

from route.rules.schema import Action, Op
from socialcare.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rules.yaml"


def _walk(node, ops: set, keys: set) -> None:
    if isinstance(node, dict):
        if "op" in node:
            ops.add(node["op"])
        keys.update(node)
        for value in node.values():
            _walk(value, ops, keys)
    elif isinstance(node, list):
        for item in node:
            _walk(item, ops, keys)


def test_example_uses_every_operator_and_action():
    data = yaml.safe_load(EXAMPLE.read_text())
    ops: set = set()
    keys: set = set()
    _walk(data["rules"], ops, keys)
    assert ops == set(typing.get_args(Op))
    assert {"all", "any", "not"} <= keys
    actions = set().union(*(rule["then"] for rule in data["rules"]))
    assert actions == set(Action.model_fields)
    assert any(rule.get("continue") for rule in data["rules"])


def test_example_passes_check_and_a_broken_copy_names_each_line(tmp_path):
    assert CliRunner().invoke(main, ["rules", "check", str(EXAMPLE)]).exit_code == 0
    original = EXAMPLE.read_text().splitlines()

    def line_of(fragment: str) -> int:
        return next(i for i, x in enumerate(original, 1) if fragment in x)

    queue_line = line_of("queue: priority-travel, priority: 60")
    schema_breaks = {
        line_of("op: gte, value: 50000"): ("value: 50000", "value: lots"),
        line_of("{field: spam, op: equals"): ("field: spam,", "field: spamm,"),
        line_of("(lawyer|attorney|chargeback)"): ("(lawyer|attorney|chargeback)", "(unclosed"),
    }
    lines = list(original)
    for number, (old, new) in schema_breaks.items():
        assert old in lines[number - 1], (number, old)
        lines[number - 1] = lines[number - 1].replace(old, new)
    lines[queue_line - 1] = lines[queue_line - 1].replace("priority-travel,", "nowhere,")
    broken = tmp_path / "broken.yaml"
    broken.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["rules", "check", str(broken)])
    assert result.exit_code == 1
    reported = [int(x.split(":")[1]) for x in result.output.splitlines()]
    assert reported == sorted(schema_breaks)  # the schema pass; references are checked after it
    for number in schema_breaks:
        lines[number - 1] = original[number - 1]
    broken.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["rules", "check", str(broken)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{broken}:{queue_line}: queue 'nowhere' does not exist (queues: priority-travel, "
        "urgent, complaints, questions, international, escalations)"
    ]
