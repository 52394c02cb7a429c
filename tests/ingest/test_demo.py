from __future__ import annotations

from collections import Counter

from ingest.sources.demo import DemoSource


def test_demo_is_reproducible_and_resumes_from_its_cursor():
    whole = DemoSource(200).fetch(None, 10_000)
    src = DemoSource(200)
    first = src.fetch(None, 100)
    rest = src.fetch(first.cursor, 10_000)
    assert rest.exhausted
    assert [m.post_id for m in first.mentions + rest.mentions] == [
        m.post_id for m in whole.mentions
    ]
    assert [m.text for m in whole.mentions] == [
        m.text for m in DemoSource(200).fetch(None, 10**4).mentions
    ]


def test_demo_traffic_is_varied():
    ms = DemoSource(400).fetch(None, 10_000).mentions
    assert len({m.post_id for m in ms}) == len(ms)
    assert len({m.network for m in ms}) == 4
    assert {m.brand for m in ms} == {"SkyLarkAir", "VoltMobileHelp"}
    assert 0.2 < sum(m.from_brand for m in ms) / len(ms) < 0.5  # brand replies
    assert Counter(m.language for m in ms)["en"] < len(ms)  # some non-English
    assert any("<script>" in m.text for m in ms)  # hostile text, for the desk's escaping
    convs = Counter(m.conversation_id for m in ms)
    assert max(convs.values()) >= 3  # complaint, reply, follow-up


def test_realtime_demo_emits_posts_as_their_time_comes():
    src = DemoSource(rate=50.0, backfill_s=0)
    first = src.fetch(None, 1000)
    import time

    time.sleep(0.2)
    second = src.fetch(first.cursor, 1000)
    ids = [m.post_id for m in first.mentions + second.mentions]
    assert len(ids) == len(set(ids))
    assert second.mentions, "about 10 episodes should have started in 0.2 s at 50/s"
    assert not src.finite


def test_a_fresh_realtime_demo_starts_with_recent_history():
    fetched = DemoSource(rate=0.5, backfill_s=600).fetch(None, 10_000)
    assert len({m.conversation_id for m in fetched.mentions}) > 200
