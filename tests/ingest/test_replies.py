"""Desk replies go through the outbox to each network's adapter: dry run by default, live on
request, retried with backoff, failures shown on the case. Network answers are fixtures."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest
import responses
from sqlalchemy import select

from ingest.replies import ReplySender
from ingest.sources.bluesky import BlueskyClient
from ingest.sources.mastodon import MastodonClient
from ingest.sources.reddit import RedditClient
from ingest.sources.x import XClient
from route.casebook import CaseBook, case_id_for, clock_refresher
from route.rules import default_rules
from socialcare.errors import ConfigError
from socialcare.settings import Settings
from socialcare.store.actions import reply
from socialcare.store.db import open_store
from socialcare.store.outbox import MAX_ATTEMPTS
from socialcare.store.tables import case_events, outbox
from tests.factories import T0, classified
from tests.ingest.test_bluesky import SESSION, FakeXrpc

NOW = T0 + timedelta(minutes=5)


def desk(tmp_path, network: str, post_id: str):
    engine = open_store(f"sqlite:///{tmp_path / 'cases.db'}")
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0).apply(
            [classified(post_id, "conv", network=network, urgency="high")]
        )
    case = case_id_for(network, "conv")
    reply(
        engine,
        clock_refresher(default_rules()),
        case,
        "ana",
        "So sorry: DM us your booking code 🙏",
        now=NOW,
    )
    return engine, case


def events(engine, case: str) -> list[tuple[str, dict]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(case_events.c.type, case_events.c.data)
            .where(case_events.c.case_id == case)
            .order_by(case_events.c.id)
        )
        return [(r.type, r.data) for r in rows]


def the_row(engine):
    with engine.connect() as conn:
        return conn.execute(select(outbox)).one()


@responses.activate
def test_dry_run_posts_nothing_and_says_so_on_the_case(tmp_path):
    engine, case = desk(tmp_path, "mastodon", "109")
    assert the_row(engine).status == "queued" and the_row(engine).in_reply_to == "109"
    counts = ReplySender(engine).send_due(NOW)
    assert counts["dry_run"] == 1 and len(responses.calls) == 0
    assert the_row(engine).status == "dry_run"
    assert [t for t, _ in events(engine, case)][-1] == "reply_dry_run"
    assert ReplySender(engine).send_due(NOW)["dry_run"] == 0  # never twice


@responses.activate
def test_live_mastodon_reply_answers_the_customer_post(tmp_path):
    engine, case = desk(tmp_path, "mastodon", "109")
    responses.post("https://m.test/api/v1/statuses", json={"id": "555", "content": "<p>ok</p>"})
    client = MastodonClient("https://m.test", "tok", backoff_s=0)
    sender = ReplySender(engine, live=True, adapters={"mastodon": lambda home: client.reply})
    assert sender.send_due(NOW)["sent"] == 1
    body = responses.calls[0].request.body
    body = body.decode() if isinstance(body, bytes) else body
    assert "in_reply_to_id=109" in body
    row = the_row(engine)
    assert row.status == "sent" and row.network_post_id == "555"
    assert events(engine, case)[-1] == (
        "reply_sent",
        {"post_id": row.id, "network_post_id": "555", "network": "mastodon"},
    )


@responses.activate
def test_live_x_reply_is_a_reply_to_the_post(tmp_path, monkeypatch):
    engine, _case = desk(tmp_path, "x", "1790")
    responses.post("https://x.test/2/tweets", json={"data": {"id": "1800", "text": "..."}})
    client = XClient("user-token", "https://x.test", backoff_s=0)
    ReplySender(engine, live=True, adapters={"x": lambda home: client.reply}).send_due(NOW)
    sent = json.loads(responses.calls[0].request.body)
    assert sent["reply"] == {"in_reply_to_tweet_id": "1790"} and sent["text"].startswith("So sorry")
    assert the_row(engine).network_post_id == "1800"


@responses.activate
def test_live_reddit_reply_is_a_comment(tmp_path):
    engine, _case = desk(tmp_path, "reddit", "t1_abc")
    responses.post(
        "https://www.reddit.test/api/v1/access_token",
        json={"access_token": "t", "token_type": "bearer", "expires_in": 3600, "scope": "*"},
    )
    responses.post(
        "https://oauth.reddit.test/api/comment/",
        json={
            "json": {
                "errors": [],
                "data": {
                    "things": [
                        {
                            "kind": "t1",
                            "data": {
                                "id": "new1",
                                "name": "t1_new1",
                                "body": "So sorry",
                                "link_id": "t3_s1",
                                "parent_id": "t1_abc",
                                "author": "acme",
                                "created_utc": 1.0,
                                "subreddit": "travel",
                            },
                        }
                    ]
                },
            }
        },
    )
    client = RedditClient(
        "id",
        "secret",
        "acme",
        "pw",
        "https://oauth.reddit.test",
        "https://www.reddit.test",
        backoff_s=0,
    )
    ReplySender(engine, live=True, adapters={"reddit": lambda home: client.reply}).send_due(NOW)
    body = responses.calls[-1].request.body
    assert "thing_id=t1_abc" in (body.decode() if isinstance(body, bytes) else body)
    assert the_row(engine).network_post_id == "t1_new1"


def test_live_bluesky_reply_threads_under_the_root(tmp_path):
    uri = "at://did:plc:maya/app.bsky.feed.post/0002"
    root = {"uri": "at://did:plc:maya/app.bsky.feed.post/0001", "cid": "cid1"}
    engine, _case = desk(tmp_path, "bluesky", uri)
    fake = FakeXrpc()
    fake.queue(
        "app.bsky.feed.getPosts",
        httpx.Response(
            200,
            json={
                "posts": [
                    {
                        "uri": uri,
                        "cid": "cid2",
                        "author": {"did": "did:plc:maya", "handle": "maya.test"},
                        "record": {
                            "text": "help",
                            "createdAt": "2026-11-01T10:00:00Z",
                            "reply": {"root": root, "parent": root},
                        },
                        "indexedAt": "2026-11-01T10:00:00Z",
                    }
                ]
            },
        ),
    )
    fake.queue(
        "com.atproto.repo.createRecord",
        httpx.Response(200, json={"uri": "at://did:plc:acme/app.bsky.feed.post/9", "cid": "cid9"}),
    )
    client = BlueskyClient(
        SESSION["handle"],
        "pw",
        "https://pds.test",
        backoff_s=0,
        transport=httpx.MockTransport(fake),
    )
    ReplySender(engine, live=True, adapters={"bluesky": lambda home: client.reply}).send_due(NOW)
    record = json.loads(fake.requests[-1].content)["record"]
    refs = {k: (record["reply"][k]["uri"], record["reply"][k]["cid"]) for k in ("root", "parent")}
    assert refs == {"root": (root["uri"], "cid1"), "parent": (uri, "cid2")}
    assert the_row(engine).network_post_id == "at://did:plc:acme/app.bsky.feed.post/9"


def test_failures_retry_with_backoff_then_show_on_the_case(tmp_path):
    engine, case = desk(tmp_path, "x", "1790")

    def broken(home):
        def send(in_reply_to, text):
            raise ConnectionError("X is down")

        return send

    sender = ReplySender(engine, live=True, adapters={"x": broken})
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        counts = sender.send_due(now)
        assert counts["retry" if attempt < MAX_ATTEMPTS else "failed"] == 1
        assert sender.send_due(now) == {"sent": 0, "dry_run": 0, "retry": 0, "failed": 0}
        now = the_row(engine).next_attempt_at
    row = the_row(engine)
    assert row.status == "failed" and "X is down" in row.last_error
    kind, data = events(engine, case)[-1]
    assert kind == "reply_failed" and data["attempts"] == MAX_ATTEMPTS


def test_missing_credentials_fail_the_reply_not_the_sender(tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALCARE_X_USER_TOKEN", raising=False)
    engine, _case = desk(tmp_path, "x", "1790")
    settings = Settings.resolve(tmp_path / "home")
    assert ReplySender(engine, settings, live=True).send_due(NOW)["retry"] == 1
    assert "SOCIALCARE_X_USER_TOKEN" in the_row(engine).last_error


def test_reply_mode_comes_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALCARE_REPLIES", raising=False)
    assert Settings.resolve(tmp_path).live_replies is False
    monkeypatch.setenv("SOCIALCARE_REPLIES", "live")
    assert Settings.resolve(tmp_path).live_replies is True
    monkeypatch.setenv("SOCIALCARE_REPLIES", "yolo")
    with pytest.raises(ConfigError, match="dry-run"):
        Settings.resolve(tmp_path)


def test_the_cli_lists_and_sends_the_outbox(tmp_path):
    from click.testing import CliRunner

    from socialcare.cli import main

    home = tmp_path / "h"
    home.mkdir()
    desk(tmp_path, "x", "1790")
    db = f"sqlite:///{tmp_path / 'cases.db'}"
    runner = CliRunner()
    listed = runner.invoke(main, ["replies", "list", "--home", str(home), "--db", db])
    assert listed.exit_code == 0 and json.loads(listed.output)["status"] == "queued"
    sent = runner.invoke(main, ["replies", "send", "--dry-run", "--home", str(home), "--db", db])
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output)["dry_run"] == 1
    assert re.search(
        r'"status": "dry_run"',
        runner.invoke(main, ["replies", "list", "--home", str(home), "--db", db]).output,
    )
