"""The Reddit source against recorded-shape HTTP fixtures (`responses`)."""

from __future__ import annotations

import json
import re

import pytest
import responses

from ingest.sources.polling import SourceConfigError
from ingest.sources.reddit import RedditClient, RedditSource

OAUTH = "https://oauth.reddit.test"
WWW = "https://www.reddit.test"
MENTIONS = re.compile(rf"{re.escape(OAUTH)}/message/mentions.*")
SEARCH = re.compile(rf"{re.escape(OAUTH)}/search.*")
T0 = 1_793_000_000


def token() -> None:
    responses.post(
        f"{WWW}/api/v1/access_token",
        json={"access_token": "tok", "token_type": "bearer", "expires_in": 3600, "scope": "*"},
    )


def comment(n: int, body: str = "u/acme my refund never came", author: str = "maya", **kw) -> dict:
    return {
        "kind": "t1",
        "data": {
            "id": f"c{n}",
            "name": f"t1_c{n}",
            "author": author,
            "author_fullname": f"t2_{author}",
            "body": body,
            "created_utc": float(T0 + n),
            "link_id": kw.get("link", "t3_s1"),
            "parent_id": kw.get("parent", "t3_s1"),
            "context": f"/r/travel/comments/s1/x/c{n}/?context=3",
        },
    }


def submission(n: int, title: str, selftext: str = "") -> dict:
    return {
        "kind": "t3",
        "data": {
            "id": f"s{n}",
            "name": f"t3_s{n}",
            "author": "ana",
            "title": title,
            "selftext": selftext,
            "created_utc": T0 + n,
            "permalink": f"/r/travel/comments/s{n}/x/",
        },
    }


def listing(children: list, after: str | None = None) -> dict:
    return {"kind": "Listing", "data": {"children": children, "after": after}}


def source(kind: str = "mentions", arg: str = "acme", username: str = "acme") -> RedditSource:
    client = RedditClient(
        "id", "secret", username, "pw" if username else "", OAUTH, WWW, backoff_s=0
    )
    return RedditSource(kind, arg, client)


@responses.activate
def test_pages_back_to_since_then_moves_it_forward():
    token()
    responses.get(MENTIONS, json=listing([comment(30), comment(29)], after="t1_c29"))
    responses.get(MENTIONS, json=listing([comment(28), comment(5)], after="t1_c5"))
    got = source().fetch(json.dumps({"since": str(T0 + 20)}), 500)
    assert [m.post_id for m in got.mentions] == ["t1_c30", "t1_c29", "t1_c28"]
    assert "after=t1_c29" in responses.calls[-1].request.url
    assert json.loads(got.cursor)["since"] == str(T0 + 30)
    assert responses.calls[1].request.headers["Authorization"] == "bearer tok"
    responses.get(MENTIONS, json=listing([]))
    empty = source().fetch(got.cursor, 500)
    assert empty.mentions == [] and empty.exhausted


@responses.activate
def test_threads_deleted_posts_brand_replies_unicode_and_bad_items():
    token()
    responses.get(
        SEARCH,
        json=listing(
            [
                comment(9, "vol annulé ✈️😡 ñandú"),
                comment(8, "so sorry, DM us", author="acme", parent="t1_c9"),
                comment(7, "[deleted]"),
                comment(6, author="[deleted]"),
                submission(5, "Acme lost my bag", "Three days now."),
                {"kind": "t1", "data": {"id": "c4", "author": "x", "body": "no time"}},
            ]
        ),
    )
    got = source("search", "acme air").fetch(None, 500)
    assert (
        "q=acme+air" in responses.calls[-1].request.url
        and "sort=new" in responses.calls[-1].request.url
    )
    by_id = {m.post_id: m for m in got.mentions}
    assert set(by_id) == {"t1_c9", "t1_c8", "t3_s5"}
    assert (
        by_id["t1_c9"].text == "vol annulé ✈️😡 ñandú" and by_id["t1_c9"].conversation_id == "t3_s1"
    )
    assert by_id["t1_c8"].from_brand and by_id["t1_c8"].in_reply_to == "t1_c9"
    assert by_id["t3_s5"].text == "Acme lost my bag\n\nThree days now."
    assert by_id["t3_s5"].url == "https://www.reddit.com/r/travel/comments/s5/x/"
    assert len(got.bad) == 1 and "post not usable" in got.bad[0].error


@responses.activate
def test_429_waits_and_5xx_is_retried():
    token()
    responses.get(MENTIONS, status=429, headers={"retry-after": "3600"}, body="slow down")
    src = source()
    limited = src.fetch(None, 500)
    assert limited.rate_limited_until is not None and limited.exhausted
    calls = len(responses.calls)
    assert src.fetch(limited.cursor, 500).rate_limited_until == limited.rate_limited_until
    assert len(responses.calls) == calls

    responses.reset()
    token()
    responses.get(MENTIONS, status=500, body="{}")
    responses.get(MENTIONS, json=listing([comment(1)]))
    assert [m.post_id for m in source().fetch(None, 500).mentions] == ["t1_c1"]


@responses.activate
def test_malformed_json_is_reported_not_raised():
    token()
    responses.get(MENTIONS, body="<html>we took too long</html>", content_type="text/html")
    got = source().fetch(json.dumps({"since": "12"}), 500)
    assert got.error and json.loads(got.cursor)["since"] == "12"


def test_configuration_errors_are_clear():
    with pytest.raises(SourceConfigError, match="SOCIALCARE_REDDIT_CLIENT_ID"):
        RedditClient("", "")
    with pytest.raises(SourceConfigError, match="SOCIALCARE_REDDIT_USERNAME"):
        source(username="")
    with pytest.raises(SourceConfigError, match="reddit:mentions:USERNAME"):
        RedditSource("hot", "x", RedditClient("a", "b"))
