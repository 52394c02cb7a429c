"""The Bluesky source against recorded-shape XRPC fixtures.

atproto speaks HTTP through httpx, which `responses` does not see; httpx's own MockTransport
plays the same part: each test queues the answers per XRPC method, in order."""

from __future__ import annotations

import base64
import json
from collections import defaultdict

import httpx
import pytest

from ingest.sources.bluesky import BlueskyClient, BlueskySource, instant
from ingest.sources.polling import SourceConfigError

BASE = "https://pds.test"
DID = "did:plc:maya"


def _jwt() -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part({'exp': 4102444800, 'sub': 'did:plc:acme'})}.sig"


SESSION = {
    "accessJwt": _jwt(),
    "refreshJwt": _jwt(),
    "handle": "acme.bsky.social",
    "did": "did:plc:acme",
}


class FakeXrpc:
    def __init__(self) -> None:
        self.answers: dict[str, list[httpx.Response | Exception]] = defaultdict(list)
        self.requests: list[httpx.Request] = []
        self.answers["com.atproto.server.createSession"] = [httpx.Response(200, json=SESSION)]

    def queue(self, method: str, *answers: httpx.Response | Exception) -> None:
        self.answers[method].extend(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        method = request.url.path.rsplit("/", 1)[-1]
        queue = self.answers[method]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def post(n: int, text: str = "@acme.bsky.social still no bag", handle: str = "maya.test", **kw):
    uri = f"at://{DID}/app.bsky.feed.post/{n:04d}"
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-01T10:00:00Z"}
    if kw.get("reply_to"):
        parent = f"at://{DID}/app.bsky.feed.post/{kw['reply_to']:04d}"
        record["reply"] = {
            "root": {"uri": parent, "cid": "c"},
            "parent": {"uri": parent, "cid": "c"},
        }
    return {
        "uri": uri,
        "cid": f"cid{n}",
        "author": {
            "did": DID if handle == "maya.test" else "did:plc:acme",
            "handle": handle,
            "displayName": "Maya 🌍",
        },
        "record": record,
        "indexedAt": f"2026-11-01T10:{n // 60:02d}:{n % 60:02d}.000Z",
    } | ({"reason": kw["reason"], "isRead": False} if "reason" in kw else {})


def source(fake: FakeXrpc, kind: str = "mentions", arg: str = "acme.bsky.social"):
    client = BlueskyClient(
        "acme.bsky.social", "app-pass", BASE, backoff_s=0, transport=httpx.MockTransport(fake)
    )
    return BlueskySource(kind, arg, client)


NOTIFS = "app.bsky.notification.listNotifications"
SEARCH = "app.bsky.feed.searchPosts"


def test_pages_back_to_since_and_keeps_only_mentions_replies_quotes():
    fake = FakeXrpc()
    fake.queue(
        NOTIFS,
        httpx.Response(
            200,
            json={
                "notifications": [post(30, reason="mention"), post(29, reason="like")],
                "cursor": "c2",
            },
        ),
        httpx.Response(
            200,
            json={
                "notifications": [
                    post(28, reason="reply", reply_to=20),
                    post(10, reason="mention"),
                ],
                "cursor": "c3",
            },
        ),
    )
    got = source(fake).fetch(json.dumps({"since": instant("2026-11-01T10:00:20Z")}), 500)
    assert [m.post_id.rsplit("/", 1)[-1] for m in got.mentions] == ["0030", "0028"]
    assert got.mentions[1].conversation_id.endswith("/0020")
    assert json.loads(got.cursor)["since"] == instant("2026-11-01T10:00:30Z")
    paths = [r.url.path for r in fake.requests]
    assert paths[0].endswith("createSession") and paths.count(f"/xrpc/{NOTIFS}") == 2
    assert "cursor=c2" in str(fake.requests[2].url)
    assert fake.requests[1].headers["authorization"].startswith("Bearer ")


def test_search_passes_since_and_marks_brand_posts_and_bad_posts():
    fake = FakeXrpc()
    bad = post(7) | {"record": {"text": "no date"}, "author": {"handle": "x"}}
    fake.queue(
        SEARCH,
        httpx.Response(
            200,
            json={
                "posts": [
                    post(9, "vol annulé ✈️😡 ñandú"),
                    post(8, "so sorry!", handle="acme.bsky.social"),
                    bad,
                ]
            },
        ),
    )
    got = source(fake, "search", "acme air").fetch(
        json.dumps({"since": "2026-11-01T09:00:00.000000Z"}), 500
    )
    assert "since=2026-11-01T09" in str(fake.requests[-1].url) and "q=acme+air" in str(
        fake.requests[-1].url
    )
    by_id = {m.post_id.rsplit("/", 1)[-1]: m for m in got.mentions}
    assert by_id["0009"].text == "vol annulé ✈️😡 ñandú" and by_id["0008"].from_brand
    assert len(got.bad) == 1 and "post not usable" in got.bad[0].error


def test_empty_page_429_and_5xx():
    fake = FakeXrpc()
    fake.queue(NOTIFS, httpx.Response(200, json={"notifications": []}))
    empty = source(fake).fetch(None, 500)
    assert empty.mentions == [] and empty.exhausted and empty.error is None

    fake = FakeXrpc()
    fake.queue(
        NOTIFS,
        httpx.Response(
            429, json={"error": "RateLimitExceeded"}, headers={"ratelimit-reset": "4102444800"}
        ),
    )
    limited = source(fake).fetch(None, 500)
    assert limited.rate_limited_until.year == 2100 and limited.exhausted

    fake = FakeXrpc()
    fake.queue(
        NOTIFS,
        httpx.Response(503, json={"error": "Unavailable"}),
        httpx.ConnectError("refused"),
        httpx.Response(200, json={"notifications": [post(3, reason="mention")]}),
    )
    assert len(source(fake).fetch(None, 500).mentions) == 1


def test_malformed_json_and_a_refused_login_are_reported_not_raised():
    fake = FakeXrpc()
    fake.queue(
        NOTIFS,
        httpx.Response(200, content=b"<html>oops</html>", headers={"content-type": "text/html"}),
    )
    got = source(fake).fetch(json.dumps({"since": "2026"}), 500)
    assert got.error and json.loads(got.cursor)["since"] == "2026"

    fake = FakeXrpc()
    fake.answers["com.atproto.server.createSession"] = [
        httpx.Response(401, json={"error": "AuthenticationRequired"})
    ]
    got = source(fake).fetch(None, 500)
    assert got.error and "app password" in got.error


def test_configuration_errors_are_clear():
    with pytest.raises(SourceConfigError, match="SOCIALCARE_BLUESKY_APP_PASSWORD"):
        BlueskyClient("acme.bsky.social", "")
    with pytest.raises(SourceConfigError, match="bluesky:mentions:HANDLE"):
        BlueskySource("feed", "x", BlueskyClient("a", "b"))
