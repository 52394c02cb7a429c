"""The Mastodon source against recorded-shape HTTP fixtures (`responses`)."""

from __future__ import annotations

import json
import re

import pytest
import requests
import responses

from ingest.sources.mastodon import PAGE_SIZE, MastodonClient, MastodonSource, html_to_text
from ingest.sources.polling import SourceConfigError

BASE = "https://mastodon.test"
NOTIFICATIONS = re.compile(rf"{re.escape(BASE)}/api/v1/notifications.*")
HASHTAG = re.compile(rf"{re.escape(BASE)}/api/v1/timelines/tag/acmeair.*")


def status(n: int, text: str = "<p>@acme my bag is lost</p>", acct: str = "maya", **kw) -> dict:
    return {
        "id": str(n),
        "created_at": "2026-11-01T10:00:00.000Z",
        "in_reply_to_id": kw.get("reply_to"),
        "content": text,
        "language": "en",
        "url": f"{BASE}/@{acct}/{n}",
        "uri": f"{BASE}/users/{acct}/statuses/{n}",
        "reblog": kw.get("reblog"),
        "visibility": "public",
        "account": {
            "id": "77" if acct == "maya" else "1",
            "username": acct.split("@")[0],
            "acct": acct,
            "display_name": "Maya 🌍",
            "followers_count": 120,
        },
    }


def mention(n: int, status_body: dict | None) -> dict:
    return {"id": str(1000 + n), "type": "mention", "created_at": "2026-11-01T10:00:00.000Z"} | (
        {"status": status_body} if status_body is not None else {}
    )


def source(kind: str = "mentions", arg: str = "acme") -> MastodonSource:
    return MastodonSource(kind, arg, MastodonClient(BASE, "secret", backoff_s=0))


@responses.activate
def test_pages_back_to_since_then_moves_it_forward():
    full = [mention(n, status(n)) for n in range(100, 100 - PAGE_SIZE, -1)]
    responses.get(NOTIFICATIONS, json=full)
    responses.get(NOTIFICATIONS, json=[mention(50, status(50))])
    got = source().fetch(json.dumps({"since": "1010"}), 500)
    assert len(got.mentions) == PAGE_SIZE + 1
    assert "since_id=1010" in responses.calls[0].request.url
    assert f"max_id={1000 + 100 - PAGE_SIZE + 1}" in responses.calls[1].request.url
    assert responses.calls[0].request.headers["Authorization"] == "Bearer secret"
    assert json.loads(got.cursor)["since"] == "1100"
    responses.get(NOTIFICATIONS, json=[])
    empty = source().fetch(got.cursor, 500)
    assert empty.mentions == [] and empty.exhausted and json.loads(empty.cursor)["since"] == "1100"


@responses.activate
def test_threads_boosts_brand_replies_deleted_posts_and_html():
    responses.get(
        NOTIFICATIONS,
        json=[
            mention(
                4, status(4, "<p>merci @acme&amp;co ✈️😡<br>vol annulé</p>", acct="ana@eu.test")
            ),
            mention(3, status(3, "<p>so sorry!</p>", acct="acme", reply_to="2")),
            mention(2, None),  # the status was deleted: the notification has no status
            mention(1, status(1, reblog=status(0))),
        ],
    )
    got = source().fetch(None, 500)
    by_id = {m.post_id: m for m in got.mentions}
    assert set(by_id) == {"4", "3"}
    assert by_id["4"].text == "merci @acme&co ✈️😡\nvol annulé"
    assert by_id["4"].author.handle == "ana@eu.test" and by_id["4"].network == "mastodon"
    assert by_id["3"].from_brand and by_id["3"].conversation_id == "2"
    assert not by_id["4"].from_brand and by_id["4"].conversation_id == "4"
    assert got.bad == []


@responses.activate
def test_hashtag_search_and_a_bad_status_is_a_dead_letter():
    broken = status(9) | {"created_at": "not a time"}
    responses.get(HASHTAG, json=[status(10), broken])
    got = source("search", "#acmeair").fetch(None, 500)
    assert [m.post_id for m in got.mentions] == ["10"]
    assert len(got.bad) == 1 and "post not usable" in got.bad[0].error


@responses.activate
def test_429_waits_until_the_stated_reset():
    responses.get(
        NOTIFICATIONS,
        status=429,
        json={"error": "Too many requests"},
        headers={"X-RateLimit-Reset": "2100-01-01T00:00:00.000Z"},
    )
    src = source()
    got = src.fetch(None, 500)
    assert got.rate_limited_until.year == 2100 and got.exhausted
    calls = len(responses.calls)
    again = src.fetch(got.cursor, 500)
    assert len(responses.calls) == calls and again.rate_limited_until == got.rate_limited_until


@responses.activate
def test_5xx_and_network_errors_are_retried_then_reported():
    responses.get(NOTIFICATIONS, status=502, json={"error": "bad gateway"})
    responses.get(NOTIFICATIONS, body=requests.ConnectionError("reset"))
    responses.get(NOTIFICATIONS, json=[mention(5, status(5))])
    assert [m.post_id for m in source().fetch(None, 500).mentions] == ["5"]
    for _ in range(4):
        responses.get(NOTIFICATIONS, status=500, json={"error": "boom"})
    failed = source().fetch(json.dumps({"since": "1001"}), 500)
    assert failed.error and "500" in failed.error and json.loads(failed.cursor)["since"] == "1001"


@responses.activate
def test_malformed_json_is_reported_not_raised():
    responses.get(NOTIFICATIONS, body="<html>maintenance</html>", content_type="text/html")
    got = source().fetch(json.dumps({"since": "7"}), 500)
    assert got.error and "JSON" in got.error and json.loads(got.cursor)["since"] == "7"


def test_configuration_errors_are_clear():
    with pytest.raises(SourceConfigError, match="SOCIALCARE_MASTODON_ACCESS_TOKEN"):
        MastodonClient(BASE, "")
    with pytest.raises(SourceConfigError, match="SOCIALCARE_MASTODON_API_URL"):
        MastodonClient("", "token")
    with pytest.raises(SourceConfigError, match="mastodon:mentions:ACCOUNT"):
        MastodonSource("home", "x", MastodonClient(BASE, "token"))


def test_html_to_text_keeps_text_and_drops_markup():
    assert (
        html_to_text('<p>hi <a href="x">@acme</a></p><p>2nd &lt;b&gt;</p>') == "hi @acme\n\n2nd <b>"
    )
    assert html_to_text("") == ""


@responses.activate
def test_through_the_ingest_worker_each_post_once_across_a_restart(tmp_path):
    from ingest.ingestor import IngestWorker
    from socialcare.store.db import open_store
    from socialcare.store.ingest_state import IngestState
    from socialcare.stream.bus import TOPIC_RAW
    from socialcare.stream.embedded import EmbeddedBus
    from socialcare.stream.watermarks import is_marker

    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    bus = EmbeddedBus(tmp_path / "bus.db")
    bus.ensure_topics([TOPIC_RAW])
    responses.get(NOTIFICATIONS, json=[mention(n, status(n)) for n in (3, 2, 1)])
    first = IngestWorker([source()], bus, IngestState(engine))
    first.step()
    first.close()
    # a new process: the same three come back (plus one new); only the new one is written
    responses.replace(
        responses.GET, NOTIFICATIONS, json=[mention(n, status(n)) for n in (4, 3, 2, 1)]
    )
    second = IngestWorker([source()], bus, IngestState(engine))
    second.step()
    second.close()
    assert "since_id=1003" in responses.calls[-1].request.url
    posts = [json.loads(r.value)["post_id"] for r in bus.read_all(TOPIC_RAW) if not is_marker(r)]
    assert sorted(posts) == ["1", "2", "3", "4"]
    assert IngestState(engine).sources()[0]["source"] == "mastodon:mentions:acme"
