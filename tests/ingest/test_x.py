"""The X source against recorded-shape HTTP fixtures (`responses`)."""

from __future__ import annotations

import json
import re

import pytest
import responses

from ingest.sources.x import RebasingSession, SourceConfigError, XClient, XSource
from tests.ingest.x_api import USER_LOOKUP, page, tweet

BASE = "https://x.test"
LOOKUP = f"{BASE}/2/users/by/username/AcmeAir"
MENTIONS = re.compile(rf"{re.escape(BASE)}/2/users/1/mentions.*")


def source(monkeypatch, **kw) -> XSource:
    client = XClient("secret-token", BASE, backoff_s=0, **kw)
    return XSource("mentions", "AcmeAir", client, brands={"AcmeAir", "AcmeHelp"})


@responses.activate
def test_pages_then_moves_since_id_only_when_the_poll_is_complete(monkeypatch):
    responses.get(LOOKUP, json=USER_LOOKUP)
    responses.get(MENTIONS, json=page([tweet(30), tweet(29)], next_token="p2"))
    responses.get(MENTIONS, json=page([tweet(28), tweet(27)]))
    src = source(monkeypatch)
    got = src.fetch(None, 500)
    assert [m.post_id for m in got.mentions] == ["30", "29", "28", "27"]
    state = json.loads(got.cursor)
    assert state["since"] == "30" and "token" not in state
    assert "pagination_token=p2" in responses.calls[2].request.url
    assert all(c.request.url.startswith(BASE) for c in responses.calls)
    assert responses.calls[1].request.headers["Authorization"] == "Bearer secret-token"
    responses.get(MENTIONS, json=page([]))
    again = src.fetch(got.cursor, 500)
    assert "since_id=30" in responses.calls[-1].request.url
    assert again.mentions == [] and again.exhausted


@responses.activate
def test_a_restart_mid_poll_resumes_the_same_pages(monkeypatch):
    responses.get(LOOKUP, json=USER_LOOKUP)
    responses.get(MENTIONS, json=page([tweet(30), tweet(29)], next_token="p2"))
    first = source(monkeypatch).fetch(json.dumps({"since": "20"}), 2)  # limit reached
    state = json.loads(first.cursor)
    assert state["token"] == "p2" and state["since"] == "20" and not first.exhausted
    responses.get(MENTIONS, json=page([tweet(28)]))
    second = source(monkeypatch).fetch(first.cursor, 500)  # a new process
    assert [m.post_id for m in second.mentions] == ["28"]
    assert json.loads(second.cursor)["since"] == "30"


@responses.activate
def test_429_waits_until_the_stated_reset(monkeypatch):
    responses.get(LOOKUP, json=USER_LOOKUP)
    responses.get(
        MENTIONS,
        status=429,
        headers={"x-rate-limit-reset": "4102444800"},
        json={"title": "Too Many Requests"},
    )
    src = source(monkeypatch)
    got = src.fetch(None, 500)
    assert got.rate_limited_until.year == 2100 and got.exhausted and got.mentions == []
    calls = len(responses.calls)
    blocked = src.fetch(got.cursor, 500)
    assert len(responses.calls) == calls  # not even asked before the reset
    assert blocked.rate_limited_until == got.rate_limited_until


@responses.activate
def test_5xx_and_network_errors_are_retried(monkeypatch):
    import requests

    responses.get(LOOKUP, json=USER_LOOKUP)
    responses.get(MENTIONS, status=503)
    responses.get(MENTIONS, body=requests.ConnectionError("reset by peer"))
    responses.get(MENTIONS, json=page([tweet(5)]))
    got = source(monkeypatch).fetch(None, 500)
    assert [m.post_id for m in got.mentions] == ["5"] and got.error is None


@responses.activate
def test_persistent_failure_and_malformed_json_are_reported_not_raised(monkeypatch):
    responses.get(LOOKUP, json=USER_LOOKUP)
    for _ in range(4):
        responses.get(MENTIONS, status=500)
    got = source(monkeypatch).fetch(json.dumps({"since_id": "9"}), 500)
    assert got.error == "X API 500" and json.loads(got.cursor)["since"] == "9"
    responses.get(MENTIONS, body="<html>gateway</html>", content_type="text/html")
    got = source(monkeypatch).fetch(got.cursor, 500)
    assert "not JSON" in got.error and json.loads(got.cursor)["since"] == "9"


@responses.activate
def test_deleted_posts_retweets_brand_replies_unicode_and_bad_items(monkeypatch):
    responses.get(LOOKUP, json=USER_LOOKUP)
    body = page(
        [
            tweet(40, text="@AcmeAir ✈️ vol annulé… 😡😡 ñandú"),
            tweet(41, author="1", text="@maya_r so sorry!", conv=40, reply_to=40),
            tweet(42, author="8", retweet_of=40),
            {"id": "43", "author_id": "7", "text": "no date", "created_at": "yesterday"},
        ],
        errors=[
            {
                "resource_id": "39",
                "title": "Not Found Error",
                "detail": "Could not find tweet with id: [39].",
            }
        ],
    )
    responses.get(MENTIONS, json=body)
    got = source(monkeypatch).fetch(None, 500)
    by_id = {m.post_id: m for m in got.mentions}
    assert set(by_id) == {"40", "41"}  # the retweet is not a case; 39 was deleted
    assert by_id["40"].text.startswith("@AcmeAir ✈️ vol annulé")
    assert by_id["40"].author.display_name == "Maya 🌍 R."
    assert by_id["41"].from_brand and by_id["41"].in_reply_to == "40"
    assert by_id["41"].conversation_id == "40" and by_id["41"].author.verified
    assert [b.error.split(": ")[1] for b in got.bad] == ["post not usable"]


def test_missing_credentials_and_bad_specs_are_clear(monkeypatch):
    monkeypatch.delenv("SOCIALCARE_X_BEARER_TOKEN", raising=False)
    with pytest.raises(SourceConfigError, match="SOCIALCARE_X_BEARER_TOKEN"):
        XClient("")
    with pytest.raises(SourceConfigError, match="x:mentions:HANDLE"):
        XSource("timeline", "x", XClient("t"))
    with pytest.raises(SourceConfigError, match="http"):
        XClient("t", "ftp://nope")


def test_the_rebasing_session_only_rewrites_the_api_host():
    session = RebasingSession("http://127.0.0.1:9999/")
    sent = []
    session.send = lambda request, **kw: sent.append(request.url)  # type: ignore[method-assign]
    session.request("GET", "https://api.twitter.com/2/tweets?ids=1")
    session.request("GET", "https://example.org/other")
    assert sent == ["http://127.0.0.1:9999/2/tweets?ids=1", "https://example.org/other"]
