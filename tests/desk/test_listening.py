"""The Listening page and API: the same figures as socialcare/store/listening.py, every figure a
link whose drill-down page counts as many posts, text escaped, analysts only."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from route.casebook import CaseBook
from route.rules import default_rules
from socialcare.store import listening
from tests.desk.conftest import XSS
from tests.factories import T0, classified


@pytest.fixture
def busy(engine):
    """Mentions of two brands over two days (the desk conftest's two cases are for 'brand'-less
    posts), some negative, one with hostile text."""
    posts = []
    for i in range(40):
        brand = "AirCo" if i % 4 else "ShopCo"
        posts.append(
            classified(
                f"m{i}",
                sentiment="negative" if i % 3 == 0 else "positive",
                score=-0.5 if i % 3 == 0 else 0.4,
                topic="billing" if i % 2 else "delay",
                network="mastodon" if i % 5 == 0 else "x",
                brand=brand,
                minutes=i * 70,
                text=f"@{brand} wifi broken again {XSS if i == 7 else ''}",
                author={"id": f"a{i}", "handle": f"user{i}"},
            )
        )
    with engine.begin() as conn:
        CaseBook(conn, default_rules(), T0 + timedelta(days=3)).apply(posts)
    return engine


def analyst(app, token) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token('ann')}"})


def test_the_api_gives_the_store_figures(app, token, busy):
    client = analyst(app, token)
    voice = client.get("/api/reports/voice").json()
    assert voice == listening.voice(busy)
    assert {r["account"]: r["mentions"] for r in voice}["AirCo"] == 30
    by_day = client.get("/api/reports/sentiment", params={"by": "day", "brand": "AirCo"}).json()
    assert sum(r["mentions"] for r in by_day) == 30
    assert client.get("/api/reports/nope").status_code == 404
    assert client.get("/api/reports/voice", params={"by": "week"}).status_code == 422
    drilled = client.get("/api/mentions", params={"brand": "AirCo", "sentiment": "negative"}).json()
    assert drilled["total"] == len(drilled["mentions"]) == 10
    trends = client.get("/api/reports/trends", params={"brand": "AirCo"})
    assert trends.status_code == 422 and "--since" in trends.json()["detail"]


def test_every_figure_on_the_page_links_to_as_many_posts(as_role, busy):
    client = as_role("ann")
    html = client.get("/listening").text
    assert "<script>alert" not in html
    cells = re.findall(r'<a href="(/listening/mentions\?[^"]+)">([0-9]+)</a>', html)
    bars = re.findall(
        r'<a href="(/listening/mentions\?[^"]+)">(?:(?!</a>).)*?<span class="bar-value">(\d+)(?: ·|</span>)',
        html,
    )
    links = cells + bars
    assert len(cells) >= 5 and len(bars) >= 3
    for href, figure in links:
        page = client.get(unescape(href)).text
        total = re.search(r'<h2 id="mentions-total">(\d+) mention', page).group(1)
        assert total == figure, (href, figure, total)
        query = {k: v[0] for k, v in parse_qs(urlparse(unescape(href)).query).items()}
        assert client.get("/api/mentions", params=query).json()["total"] == int(figure)


def test_the_drill_down_escapes_post_text_and_pages(as_role, busy):
    client = as_role("ann")
    page = client.get("/listening/mentions", params={"brand": "AirCo"}).text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert client.get("/listening/mentions", params={"since": "1800-01-01"}).status_code == 422


def test_agents_cannot_read_listening(as_role, busy):
    assert as_role("ana").get("/listening").status_code == 403
