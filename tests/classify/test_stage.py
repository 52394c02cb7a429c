"""The classify stage writes the same bytes whether the mention came decoded (the all-in-one
hand-off, where the classification is spliced into the raw JSON) or as bytes to parse."""

from __future__ import annotations

from classify.stage import ClassifyStage
from socialcare.stream.bus import Record
from socialcare.stream.schema import Routing
from tests.factories import classified, mention


def _records(mentions, handed_over: bool) -> list[Record]:
    return [
        Record("mentions.raw", 0, i, None, m.to_json(), (), 0, m if handed_over else None)
        for i, m in enumerate(mentions)
    ]


def test_handed_over_mentions_are_written_as_parsed_ones_are():
    mentions = [
        mention("1", text='quotes " and \\ and ünïcode ✈️, \u2028 and a tab\t'),
        mention("2", text="my card was charged twice, fraud, calling my lawyer", language=None),
        mention("3", text="there is smoke in the cabin", url=None, brand=None),
        # already classified, or even routed: encoded anew, never spliced
        classified("4", text="thanks!", sentiment="positive", score=0.6),
        mention("5").replace(
            routing=Routing(case_id="c", queue="q", priority=1, rule_id="r", ruleset_version="v")
        ),
    ]
    stage = ClassifyStage()
    parsed = stage.process(_records(mentions, handed_over=False)).messages
    handed = stage.process(_records(mentions, handed_over=True)).messages
    assert [m.value for m in handed] == [m.value for m in parsed]
    assert [m.topic for m in handed] == [m.topic for m in parsed]
    # and each is exactly what the classified mention encodes to
    assert [m.value for m in handed] == [m.decoded.to_json() for m in handed]
    assert b'"classification"' in handed[0].value
