"""No value in any field of any source's input makes an exception escape the source: an unusable
post becomes a dead letter with its reason (issue: one poison post must never halt ingest).
Hypothesis throws arbitrary JSON values (huge and negative numbers, infinities, years 1 and
9999, nesting, wrong types) at every field of a JSONL mention, a twcs CSV row, and each network's
post shape (as their fixtures have it)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.sources.bluesky import BlueskyClient, BlueskySource
from ingest.sources.mastodon import MastodonClient, MastodonSource
from ingest.sources.polling import Page
from ingest.sources.reddit import RedditClient, RedditSource
from ingest.sources.replay import TWCS_COLUMNS, JsonlReplay, TwcsReplay
from ingest.sources.x import XClient, XSource
from tests.factories import mention_dict
from tests.ingest.test_bluesky import post as bluesky_post
from tests.ingest.test_mastodon import mention as mastodon_notification
from tests.ingest.test_mastodon import status as mastodon_status
from tests.ingest.test_reddit import comment as reddit_comment

DATES = st.sampled_from(
    [
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "1970-01-01T00:00:00Z",
        "2999-01-01T00:00:00Z",
        "2017-10-31T22:10:47",
        "Tue Oct 31 22:10:47 +0000 0001",
        "not a date",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | DATES
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in nested dicts (and the dicts themselves)."""
    out = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            out += paths(inner, (*prefix, key))
    return out


def replaced(base: dict, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copy = dict(base)
    copy[path[0]] = (
        replaced(base[path[0]], path[1:], value)
        if isinstance(base.get(path[0]), dict) and len(path) > 1
        else value
    )
    return copy


@st.composite
def hostile(draw, base: dict) -> Any:
    """`base` with one to three of its fields (at any depth) replaced by arbitrary values."""
    item: Any = base
    for _ in range(draw(st.integers(1, 3))):
        if not isinstance(item, dict):
            break
        path = draw(st.sampled_from(paths(item)))
        item = replaced(item, path, draw(VALUES))
    return item


class _Offline:
    """A network source whose API is a list of items handed in by the test."""

    items: ClassVar[list[Any]] = []
    context: Any = None

    def page(self, state, since, token):
        return Page(items=list(self.items), newest=None, context=self.context)


class OfflineX(_Offline, XSource):
    pass


class OfflineMastodon(_Offline, MastodonSource):
    pass


class OfflineBluesky(_Offline, BlueskySource):
    pass


class OfflineReddit(_Offline, RedditSource):
    pass


def _network_sources():
    return {
        "x": (
            OfflineX("search", "acme", XClient("t", "https://x.test")),
            {
                "id": "1",
                "text": "@acme hi",
                "author_id": "7",
                "created_at": "2026-11-01T10:00:00.000Z",
                "conversation_id": "1",
                "referenced_tweets": [{"type": "replied_to", "id": "0"}],
            },
            {
                "7": {
                    "id": "7",
                    "username": "maya",
                    "name": "Maya",
                    "public_metrics": {"followers_count": 3},
                }
            },
        ),
        "mastodon": (
            OfflineMastodon(
                "mentions", "acme", MastodonClient("https://m.test", "tok"), brand="acme"
            ),
            mastodon_notification(1, mastodon_status(1)),
            None,
        ),
        "bluesky": (
            OfflineBluesky("search", "acme", BlueskyClient("acme.bsky.social", "pw")),
            bluesky_post(1),
            None,
        ),
        "reddit": (
            OfflineReddit("search", "acme", RedditClient("id", "secret")),
            reddit_comment(1),
            None,
        ),
    }


NETWORKS = _network_sources()


def _check_network(network: str, item: Any) -> None:
    source, _base, context = NETWORKS[network]
    source.items, source.context = [item], context
    got = source.fetch(None, 100)  # must not raise
    assert len(got.mentions) + len(got.bad) <= 1
    for bad in got.bad:
        assert "not usable" in bad.error


@FAST
@given(st.data())
def test_x_posts(data):
    _check_network("x", data.draw(hostile(NETWORKS["x"][1])))


@FAST
@given(st.data())
def test_mastodon_posts(data):
    _check_network("mastodon", data.draw(hostile(NETWORKS["mastodon"][1])))


@FAST
@given(st.data())
def test_bluesky_posts(data):
    _check_network("bluesky", data.draw(hostile(NETWORKS["bluesky"][1])))


@FAST
@given(st.data())
def test_reddit_posts(data):
    _check_network("reddit", data.draw(hostile(NETWORKS["reddit"][1])))


@FAST
@given(st.data())
def test_jsonl_lines(tmp_path_factory, data):
    base = mention_dict("1", created_at="2026-11-01T10:00:00+00:00")
    rows = [data.draw(hostile(base)) for _ in range(3)]
    path = Path(tmp_path_factory.mktemp("jsonl")) / "in.jsonl"
    lines = [json.dumps(r, allow_nan=True) for r in rows] + [json.dumps(base)]
    path.write_text("\n".join(lines) + "\n")
    got = JsonlReplay(path).fetch(None, 100)  # must not raise
    assert len(got.mentions) + len(got.bad) == len(lines)
    assert got.mentions and got.mentions[-1].post_id == "1"  # the good line after bad ones


CELLS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["inf", "-inf", "nan", "1e400", "-5", "1.5", "0001", "", "True", "true"]),
    DATES,
)


@FAST
@given(st.lists(st.fixed_dictionaries({c: CELLS for c in TWCS_COLUMNS}), min_size=1, max_size=4))
def test_twcs_rows(tmp_path_factory, rows):
    good = {
        "tweet_id": "99",
        "author_id": "maya",
        "inbound": "True",
        "created_at": "Tue Oct 31 22:10:47 +0000 2017",
        "text": "@AcmeAir hello",
        "response_tweet_id": "",
        "in_response_to_tweet_id": "",
    }
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(TWCS_COLUMNS))
    writer.writeheader()
    writer.writerows([*rows, good])
    path = Path(tmp_path_factory.mktemp("twcs")) / "in.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", errors="surrogateescape")
    got = TwcsReplay(path).fetch(None, 100)  # must not raise
    assert len(got.mentions) + len(got.bad) == len(rows) + 1
    assert "99" in {m.post_id for m in got.mentions}
