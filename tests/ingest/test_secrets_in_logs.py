"""With debug logging on (`socialcare -v`), no network's secret reaches the logs."""

from __future__ import annotations

import logging

import httpx
import responses

from tests.ingest.test_bluesky import NOTIFS, FakeXrpc, post
from tests.ingest.test_bluesky import source as bluesky_source
from tests.ingest.test_mastodon import NOTIFICATIONS, mention, status
from tests.ingest.test_mastodon import source as mastodon_source
from tests.ingest.test_reddit import MENTIONS, comment, listing, token
from tests.ingest.test_reddit import source as reddit_source


@responses.activate
def test_debug_logs_carry_no_credentials(caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    token()
    responses.get(MENTIONS, json=listing([comment(1)]))
    responses.get(NOTIFICATIONS, json=[mention(1, status(1))])
    assert reddit_source().fetch(None, 10).mentions  # app secret "secret", password "pw"
    assert mastodon_source().fetch(None, 10).mentions  # access token "secret"
    fake = FakeXrpc()
    fake.queue(NOTIFS, httpx.Response(200, json={"notifications": [post(1, reason="mention")]}))
    assert bluesky_source(fake).fetch(None, 10).mentions  # app password "app-pass"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "page of 1 posts" in logged  # debug logging did run, for each source
    for secret in ("'password': 'pw'", "Bearer secret", "app-pass", "accessJwt", "bearer tok"):
        assert secret not in logged, secret
