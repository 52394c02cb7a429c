"""Random and hostile input to every parser: a clear error or a dead letter, never a crash.
(Property-based with hypothesis; hand-written hostile cases live beside each parser's tests.)"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classify.classifier import Classifier
from classify.stage import ClassifyStage
from classify.stdio import classify_lines
from ingest.sources.replay import TWCS_COLUMNS, JsonlReplay, load_twcs
from route.rules import RuleFileError, parse_rules
from socialcare.stream.schema import SchemaError, parse_mention
from socialcare.stream.testing import run_stage
from tests.factories import mention_dict

HOSTILE_TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "'; DROP TABLE cases; --",
            "😀" * 2000,
            "\x00\x01\x7f",
            "\ud800",
            "{{7*7}}",
            "../../etc/passwd",
            "a" * 50_000,
            "\u202eevil",
            "%s%s%n",
        ]
    ),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | HOSTILE_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FAST
@given(st.binary(max_size=2000))
def test_mention_parser_on_random_bytes(raw):
    with contextlib.suppress(SchemaError):
        parse_mention(raw)


@FAST
@given(st.dictionaries(st.sampled_from(list(mention_dict("1"))), JSON_VALUES, max_size=6))
def test_mention_parser_on_mangled_fields(changes):
    data = {**mention_dict("1"), **changes}
    try:
        m = parse_mention(json.dumps(data, default=str))
    except SchemaError:
        return
    assert m.post_id and m.created_at.tzinfo is not None  # what passes is well-formed


@FAST
@given(st.text(max_size=2000))
def test_rule_parser_on_random_text(text):
    try:
        parse_rules(text, "r.yaml")
    except RuleFileError as exc:
        assert all(p.startswith("r.yaml:") for p in exc.problems)


@FAST
@given(JSON_VALUES)
def test_rule_parser_on_random_structures(data):
    import yaml

    try:
        parse_rules(yaml.safe_dump(data), "r.yaml")
    except RuleFileError as exc:
        assert exc.problems and all(p.startswith("r.yaml:") for p in exc.problems)


@FAST
@given(st.lists(st.binary(max_size=300).filter(lambda b: b"\n" not in b), max_size=30))
def test_jsonl_replay_accounts_for_every_line(tmp_path_factory, lines):
    path = Path(tmp_path_factory.mktemp("j")) / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fetched = JsonlReplay(path).fetch(None, 10_000)
    non_blank = [line for line in lines if line.strip()]
    assert len(fetched.mentions) + len(fetched.bad) == len(non_blank)
    assert all(b.line and b.error for b in fetched.bad)


@FAST
@given(st.lists(st.lists(HOSTILE_TEXT, min_size=0, max_size=9), max_size=15))
def test_twcs_replay_on_random_rows(tmp_path_factory, rows):
    import csv

    path = Path(tmp_path_factory.mktemp("c")) / "t.csv"
    with path.open("w", newline="", encoding="utf-8", errors="surrogatepass") as fh:
        writer = csv.writer(fh)
        writer.writerow(TWCS_COLUMNS)
        for row in rows:
            writer.writerow(row)
    items = load_twcs(path, "replay:t")
    assert len(items) == len(rows)


CLASSIFIER = Classifier()


@FAST
@given(st.lists(st.binary(max_size=200).filter(lambda b: b"\n" not in b), max_size=20))
def test_classify_stdin_gives_one_line_per_line(lines):
    out = list(classify_lines([line + b"\n" for line in lines], CLASSIFIER))
    assert len(out) == len(lines)
    for line in out:
        json.loads(line)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=10))
def test_classify_worker_dead_letters_garbage_and_keeps_going(tmp_path_factory, values):
    good = json.dumps(mention_dict("ok", text="still no bag")).encode()
    written = run_stage(
        ClassifyStage(CLASSIFIER), [*values, good], Path(tmp_path_factory.mktemp("w"))
    )
    out = written.get("mentions.classified", [])
    dead = written.get("mentions.raw.dlq", [])
    assert len(out) + len(dead) == len(values) + 1
    assert any(json.loads(r.value)["post_id"] == "ok" for r in out)
    assert all(d.header("error") for d in dead)
