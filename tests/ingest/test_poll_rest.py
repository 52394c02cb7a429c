"""Pollers rest: through the ingest worker, over three minutes of fake time, every network's
source makes one poll per interval (60 s) and no more, whether the network filters by `since`
(X, Mastodon: an empty page when nothing is new) or not (Bluesky notifications, Reddit
listings: the newest posts again). And a poll that finds nothing new counts as exhausted, so
`--until-idle` ends."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import httpx
import responses

from ingest.ingestor import IngestWorker
from socialcare.store.db import open_store
from socialcare.store.ingest_state import IngestState
from socialcare.stream.bus import TOPIC_RAW, TOPIC_RAW_URGENT
from socialcare.stream.embedded import EmbeddedBus
from socialcare.stream.watermarks import is_marker
from tests.ingest import test_bluesky as bsky
from tests.ingest import test_mastodon as masto
from tests.ingest import test_reddit as reddit
from tests.ingest import test_x as x
from tests.ingest.x_api import USER_LOOKUP, page, tweet

MINUTES = 3


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def drive(tmp_path, monkeypatch, source) -> tuple[list[bool], list[str]]:
    """Step an ingest worker once a fake second for MINUTES; returns whether the source said
    it was exhausted after each poll, and the post ids it wrote."""
    clock = FakeClock()
    monkeypatch.setattr("ingest.ingestor.time.monotonic", clock)
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    bus = EmbeddedBus(tmp_path / "bus.db")
    bus.ensure_topics([TOPIC_RAW, TOPIC_RAW_URGENT])
    worker = IngestWorker([source], bus, IngestState(engine))
    exhausted = []
    for _ in range(MINUTES * 60):
        before = worker.progress[source.name].next_poll
        worker.step()
        if worker.progress[source.name].next_poll != before:
            exhausted.append(worker.exhausted)
        clock.now += 1.0
    worker.close()
    posts = [
        json.loads(r.value)["post_id"]
        for topic in (TOPIC_RAW, TOPIC_RAW_URGENT)
        for r in bus.read_all(topic)
        if not is_marker(r)
    ]
    return exhausted, posts


def since_filtered(items: list, key, since: str | None) -> list:
    return [i for i in items if since is None or int(key(i)) > int(since)]


@responses.activate
def test_x_polls_once_a_minute(tmp_path, monkeypatch):
    responses.get(x.LOOKUP, json=USER_LOOKUP)
    tweets = [tweet(30), tweet(29)]

    def mentions(request):
        since = parse_qs(urlparse(request.url).query).get("since_id", [None])[0]
        return 200, {}, json.dumps(page(since_filtered(tweets, lambda t: t["id"], since)))

    responses.add_callback(responses.GET, x.MENTIONS, callback=mentions)
    exhausted, posts = drive(tmp_path, monkeypatch, x.source(monkeypatch))
    calls = [c for c in responses.calls if "/mentions" in c.request.url]
    assert len(calls) == MINUTES  # one poll a minute, each one page
    assert exhausted == [True] * MINUTES and sorted(posts) == ["29", "30"]


@responses.activate
def test_mastodon_polls_once_a_minute(tmp_path, monkeypatch):
    notes = [masto.mention(n, masto.status(n)) for n in (3, 2, 1)]

    def notifications(request):
        since = parse_qs(urlparse(request.url).query).get("since_id", [None])[0]
        return 200, {}, json.dumps(since_filtered(notes, lambda n: n["id"], since))

    responses.add_callback(responses.GET, masto.NOTIFICATIONS, callback=notifications)
    exhausted, posts = drive(tmp_path, monkeypatch, masto.source())
    assert len(responses.calls) == MINUTES
    assert exhausted == [True] * MINUTES and sorted(posts) == ["1", "2", "3"]


@responses.activate
def test_reddit_polls_once_a_minute_though_it_returns_the_newest_again(tmp_path, monkeypatch):
    reddit.token()
    listing = reddit.listing([reddit.comment(30), reddit.comment(29)])
    responses.get(reddit.MENTIONS, json=listing)  # no since filter: the same newest, always
    exhausted, posts = drive(tmp_path, monkeypatch, reddit.source())
    calls = [c for c in responses.calls if re.search("/message/mentions", c.request.url)]
    assert len(calls) == MINUTES
    assert exhausted == [True] * MINUTES and sorted(posts) == ["t1_c29", "t1_c30"]


def test_bluesky_polls_once_a_minute_though_it_returns_the_newest_again(tmp_path, monkeypatch):
    fake = bsky.FakeXrpc()
    newest = {"notifications": [bsky.post(30, reason="mention"), bsky.post(29, reason="reply")]}
    fake.queue(bsky.NOTIFS, httpx.Response(200, json=newest))  # every poll: the same page
    exhausted, posts = drive(tmp_path, monkeypatch, bsky.source(fake))
    calls = [r for r in fake.requests if r.url.path.endswith(bsky.NOTIFS)]
    assert len(calls) == MINUTES  # was 180: a poll every step, never resting
    assert exhausted == [True] * MINUTES
    assert sorted(p.rsplit("/", 1)[-1] for p in posts) == ["0029", "0030"]


def test_a_new_post_is_picked_up_at_the_next_poll(tmp_path, monkeypatch):
    fake = bsky.FakeXrpc()
    first = {"notifications": [bsky.post(30, reason="mention")]}
    later = {"notifications": [bsky.post(31, reason="mention"), bsky.post(30, reason="mention")]}
    fake.queue(bsky.NOTIFS, httpx.Response(200, json=first), httpx.Response(200, json=later))
    _, posts = drive(tmp_path, monkeypatch, bsky.source(fake))
    assert sorted(p.rsplit("/", 1)[-1] for p in posts) == ["0030", "0031"]
    assert len([r for r in fake.requests if r.url.path.endswith(bsky.NOTIFS)]) == MINUTES
